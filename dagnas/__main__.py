from dagnas.cli import main

main()

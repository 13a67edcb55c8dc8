"""The ``dagnas`` command: click commands that parse options and call the workflows."""

from dagnas.cli.main import main

__all__ = ["main"]

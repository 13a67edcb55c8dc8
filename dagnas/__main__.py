"""The ``dagnas`` process's entry (the script, ``python -m dagnas``): signals are
handled from its first instant.

Loading the commands imports torch, which takes seconds; a Ctrl-C or SIGTERM
then ends the process as it does later (one line, exit status 128 + the
signal) instead of with a KeyboardInterrupt traceback. Only what is light is
imported before the handlers are set (``import dagnas`` imports no torch).
"""

from __future__ import annotations

import sys

from dagnas.workflows.signals import Interrupted, abort_on_signals


def main() -> None:
    abort_on_signals()
    try:
        from dagnas.cli import main as command
    except Interrupted as e:
        print(f"dagnas: {e}; stopped (exit status {e.exit_code})", file=sys.stderr)
        sys.exit(e.exit_code)
    command()


if __name__ == "__main__":
    main()

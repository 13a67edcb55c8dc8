"""The ``dagnas`` command group: logging, DagnasErrors shown as messages, exit statuses.

Exit status: 0 done; 1 a runtime error (:class:`RunError`, :class:`DataError`...);
2 bad input (a spec error, a usage error); 128 + the signal when a signal
stopped the command (130 Ctrl-C, 143 SIGTERM), at any moment, with one line
and no traceback.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from dagnas.cli.compare import compare
from dagnas.cli.evaluate import analyze, evaluate, predict
from dagnas.cli.formats import export, query
from dagnas.cli.search import derive, run, sample, schema, spaces, validate
from dagnas.cli.train import train
from dagnas.errors import DagnasError, SpecError
from dagnas.workflows.signals import Interrupted, abort_on_signals, ignore_signals


class UserError(click.ClickException):
    """A DagnasError shown as a message; spec errors exit with status 2."""

    def __init__(self, err: DagnasError):
        super().__init__(str(err))
        self.exit_code = 2 if isinstance(err, SpecError) else 1


class Group(click.Group):
    """A command group that turns a DagnasError into a message, never a traceback,
    and a signal into one line and the exit status 128 + the signal."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().main(*args, **kwargs)
        except Interrupted as e:
            click.echo(f"dagnas: {e}; stopped (exit status {e.exit_code})", err=True)
            sys.exit(e.exit_code)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The process's entry (the ``dagnas`` script, ``python -m dagnas``): a signal
        aborts the command at any moment; after it, the process leaves with its status."""
        abort_on_signals()
        try:
            return self.main(*args, **kwargs)
        finally:
            ignore_signals()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DagnasError as e:
            raise UserError(e) from None


@click.group(cls=Group)
@click.option("-v", "--verbose", is_flag=True, help="Log every epoch.")
def main(verbose: bool) -> None:
    """Differentiable architecture search over graph search spaces."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


COMMANDS = (
    run,
    derive,
    validate,
    spaces,
    sample,
    schema,
    compare,
    train,
    evaluate,
    analyze,
    predict,
    export,
    query,
)
for command in COMMANDS:
    main.add_command(command)

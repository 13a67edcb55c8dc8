"""The ``dagnas`` command group: logging, and DagnasErrors shown as messages."""

from __future__ import annotations

import logging
from typing import Any

import click

from dagnas.cli.compare import compare
from dagnas.cli.evaluate import analyze, evaluate, predict
from dagnas.cli.formats import export, query
from dagnas.cli.search import derive, run, sample, schema, spaces, validate
from dagnas.cli.train import train
from dagnas.errors import DagnasError, SpecError


class UserError(click.ClickException):
    """A DagnasError shown as a message; spec errors exit with status 2."""

    def __init__(self, err: DagnasError):
        super().__init__(str(err))
        self.exit_code = 2 if isinstance(err, SpecError) else 1


class Group(click.Group):
    """A command group that turns a DagnasError into a message, never a traceback."""

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

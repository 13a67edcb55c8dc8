"""The ``dagnas`` command group: logging, plugins, DagnasErrors shown as messages, exit statuses.

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

from dagnas import __version__
from dagnas.cli.catalog import ops
from dagnas.cli.compare import compare
from dagnas.cli.evaluate import analyze, evaluate, predict
from dagnas.cli.formats import export, query
from dagnas.cli.options import add_verbosity, quiet_option, threads_option, verbose_option
from dagnas.cli.search import derive, run, sample, schema, spaces, validate
from dagnas.cli.train import train
from dagnas.errors import DagnasError, SpecError
from dagnas.plugins import load_plugins
from dagnas.workflows.signals import Interrupted, abort_on_signals, ignore_signals


class UserError(click.ClickException):
    """A DagnasError shown as a message; spec errors exit with status 2."""

    def __init__(self, err: DagnasError):
        super().__init__(str(err))
        self.exit_code = 2 if isinstance(err, SpecError) else 1


def os_error(e: OSError) -> str:
    """One line for an OSError no command turned into a message of its own: the
    path, what the system said, and what to check."""
    where = " -> ".join(str(f) for f in (e.filename, e.filename2) if f is not None)
    what = e.strerror or str(e)
    return f"{where}: {what}; check the path and its permissions" if where else what


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
        except OSError as e:  # the file system refused: a path or permission to fix
            raise UserError(DagnasError(os_error(e))) from None


@click.group(cls=Group, context_settings={"show_default": True})
@click.version_option(__version__, "--version", prog_name="dagnas")
@verbose_option()
@quiet_option("No progress display (any command).", expose=False)
@click.option(
    "--import",
    "imports",
    multiple=True,
    metavar="MODULE",
    help="Import MODULE first: its registered ops, relaxations, rules... (repeatable).",
)
def main(imports: tuple[str, ...]) -> None:
    """Differentiable architecture search over graph search spaces.

    Results go to stdout, progress and logs to stderr. Plugins of the
    entry-point group `dagnas.plugins` are loaded first.
    """
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(logging.getLogger().level)
    try:
        load_plugins(imports)
    except DagnasError as e:
        raise UserError(e) from None


COMMANDS = (
    run,
    derive,
    validate,
    spaces,
    ops,
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
    add_verbosity(command)
    main.add_command(command)
for command in (run, train, compare, evaluate):  # the commands that train
    threads_option()(command)

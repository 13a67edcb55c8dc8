"""Options shared by several commands, each written once.

Conventions (as pip and llm have them): ``-v``/``-q`` work before or after
the command; ``--out`` is always a folder, by default a new timestamped one
under ``runs/``; ``--json`` prints the result as JSON on stdout; every flag
has one meaning across commands (``--epochs`` search epochs, ``--train-epochs``
training epochs, ``--filter-*`` rows of an evaluations store).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import click

from dagnas.errors import SpecError
from dagnas.loggers import LOGGERS
from dagnas.spec.overrides import parse_assignment

Decorator = Callable[[Any], Any]
DATA_HELP = "digits, mnist, fashion_mnist, cifar10, mnist1d, or an .npz."
DEVICES = click.Choice(["auto", "cpu", "cuda"])
#: keys of the root context's ``meta``: set by -v/-q wherever they are given
VERBOSE, QUIET = "dagnas.verbose", "dagnas.quiet"


def stack(*options: Decorator) -> Decorator:
    """One decorator applying ``options`` in the order listed (as written above a function)."""

    def deco(f: Any) -> Any:
        for option in reversed(options):
            f = option(f)
        return f

    return deco


def set_logging(meta: dict[str, Any]) -> None:
    """INFO with -v, WARNING otherwise (-q hides progress, never warnings)."""
    level = logging.INFO if meta.get(VERBOSE) else logging.WARNING
    logging.getLogger().setLevel(level)


def _flag(key: str) -> Callable[[click.Context, click.Parameter, bool], bool]:
    """A -v/-q callback: the flag counts wherever it was given (group or command)."""

    def callback(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
        meta = ctx.find_root().meta
        meta[key] = bool(value or meta.get(key))
        set_logging(meta)
        return meta[key]

    return callback


def verbose_option(expose: bool = False) -> Decorator:
    return click.option(
        "-v",
        "--verbose",
        is_flag=True,
        expose_value=expose,
        callback=_flag(VERBOSE),
        help="Log every epoch and step of the work (INFO messages on stderr).",
    )


def quiet_option(help: str = "No progress display.", expose: bool = True) -> Decorator:
    return click.option(
        "-q", "--quiet", is_flag=True, expose_value=expose, callback=_flag(QUIET), help=help
    )


def is_quiet() -> bool:
    """Whether -q was given, before the command or after it."""
    return bool(click.get_current_context().find_root().meta.get(QUIET))


def add_verbosity(command: click.Command) -> None:
    """Give ``command`` (and a group's commands) -v and -q where it lacks them."""
    names = {n for p in command.params for n in p.opts}
    if "--verbose" not in names:
        verbose_option()(command)
    if "--quiet" not in names:
        quiet_option(expose=False)(command)
    for sub in getattr(command, "commands", {}).values():
        add_verbosity(sub)


def _set_threads(ctx: click.Context, param: click.Parameter, value: int | None) -> None:
    from dagnas.training.threads import ENV

    if value is not None:  # read by the thread policy, here and in relaunched ranks
        os.environ[ENV] = str(value)


def threads_option() -> Decorator:
    return click.option(
        "--threads",
        type=click.IntRange(min=1),
        expose_value=False,
        callback=_set_threads,
        help="Torch intra-op threads (default: 1 for small networks, more for large ones,"
        " at most the idle cores; also $DAGNAS_THREADS).",
    )


def json_option() -> Decorator:
    return click.option(
        "--json", "as_json", is_flag=True, help="Print the result as JSON on stdout."
    )


def out_option(what: str) -> Decorator:
    """--out FOLDER (default: a new timestamped folder under runs/, named in ``what``)."""
    return click.option("--out", type=click.Path(file_okay=False), help=f"Folder for {what}.")


def data_options(default: str | None = "digits", limit_help: str = "quick runs") -> Decorator:
    """--data, --data-root, --data-limit (``default`` None: the spec's)."""
    data_help = DATA_HELP if default is not None else f"{DATA_HELP} (default: the spec's)"
    return stack(
        click.option("--data", default=default, help=data_help),
        click.option(
            "--data-root", type=click.Path(file_okay=False), help="Folder holding the dataset."
        ),
        click.option(
            "--data-limit",
            type=click.IntRange(min=2),
            help=f"Use N training examples ({limit_help}).",
        ),
    )


def device_option(default: str | None = None) -> Decorator:
    return click.option(
        "--device", type=DEVICES, default=default, help="Where to compute (default: the spec's)."
    )


def seed_option(help: str | None = None) -> Decorator:
    """--seed ≥ 0, default 0."""
    return click.option("--seed", type=click.IntRange(min=0), default=0, help=help)


def train_options(epochs: int) -> Decorator:
    """--train-epochs, --batch-size, --lr of a retraining."""
    return stack(
        click.option(
            "--train-epochs",
            "epochs",
            type=click.IntRange(min=1),
            default=epochs,
            help="Training epochs.",
        ),
        click.option("--batch-size", type=click.IntRange(min=1), default=64),
        click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.025),
    )


def store_filters(f: Any) -> Any:
    """--filter-space, --filter-dataset, --filter-epochs: which rows of a store to use."""
    return stack(
        click.option("--filter-space", "space", help="Only evaluations of this space."),
        click.option("--filter-dataset", "dataset", help="Only evaluations on this dataset."),
        click.option(
            "--filter-epochs", "epochs", type=int, help="Only evaluations trained this many epochs."
        ),
    )(f)


def _assignments(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    try:
        return dict(parse_assignment(v) for v in value)
    except SpecError as e:
        raise click.BadParameter(str(e)) from None


def set_option() -> Decorator:
    """--set KEY=VALUE (repeatable): a dotted spec field, validated like the YAML."""
    return click.option(
        "--set",
        "overrides",
        multiple=True,
        callback=_assignments,
        metavar="KEY=VALUE",
        help="Set a spec field, e.g. --set search.relaxation.name=gumbel (repeatable).",
    )


def _loggers(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> Any:
    for name in value:
        if name not in LOGGERS:
            raise click.BadParameter(LOGGERS.unknown_message(name))
    return list(value)


def logger_option() -> Decorator:
    """--logger NAME (repeatable): experiment trackers; replaces the spec's search.loggers."""
    return click.option(
        "--logger",
        "loggers",
        multiple=True,
        callback=_loggers,
        metavar="NAME",
        help="Track with csv, tensorboard, mlflow or wandb, in the run folder (repeatable).",
    )

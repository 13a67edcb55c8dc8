"""Options shared by several commands, each written once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

Decorator = Callable[[Any], Any]
DATA_HELP = "digits (default), mnist, fashion_mnist, cifar10, mnist1d, or an .npz."
DEVICES = click.Choice(["auto", "cpu", "cuda"])


def stack(*options: Decorator) -> Decorator:
    """One decorator applying ``options`` in the order listed (as written above a function)."""

    def deco(f: Any) -> Any:
        for option in reversed(options):
            f = option(f)
        return f

    return deco


def data_options(default: str | None = "digits", limit_help: str = "quick runs") -> Decorator:
    """--data, --data-root, --data-limit (``default`` None: the spec's)."""
    return stack(
        click.option("--data", default=default, show_default=default is not None, help=DATA_HELP),
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
    return click.option("--device", type=DEVICES, default=default)


def out_option(help: str, file: bool = False) -> Decorator:
    """--out: a folder (or a file, ``file``)."""
    kind = click.Path(dir_okay=False) if file else click.Path(file_okay=False)
    return click.option("--out", type=kind, help=help)


def quiet_option(help: str = "No progress bar.") -> Decorator:
    return click.option("-q", "--quiet", is_flag=True, help=help)


def seed_option(help: str | None = None) -> Decorator:
    """--seed ≥ 0, default 0."""
    return click.option(
        "--seed", type=click.IntRange(min=0), default=0, show_default=True, help=help
    )


def train_options(epochs: int) -> Decorator:
    """--epochs, --batch-size, --lr of a retraining."""
    return stack(
        click.option("--epochs", type=click.IntRange(min=1), default=epochs, show_default=True),
        click.option("--batch-size", type=click.IntRange(min=1), default=64),
        click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.025),
    )


def store_filters(f: Any) -> Any:
    """--space, --dataset, --epochs: which rows of an evaluations store to use."""
    return stack(
        click.option("--space", help="Only evaluations of this space."),
        click.option("--dataset", help="Only evaluations on this dataset."),
        click.option("--epochs", type=int, help="Only evaluations trained this many epochs."),
    )(f)

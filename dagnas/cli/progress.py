"""The one progress bar and summary table of the CLI (rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dagnas.engine.callbacks import StepHook

console = Console(stderr=True)


@contextmanager
def step_bar(label: str, enabled: bool = True) -> Iterator[StepHook | None]:
    """A hook for the search loop that drives a progress bar (None if disabled)."""
    if not enabled:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("epoch {task.fields[epoch]} loss {task.fields[loss]:.3f}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(label, total=None, epoch=0, loss=float("nan"))

        def hook(info: dict[str, Any]) -> None:
            bar.update(
                task,
                completed=info["step"],
                total=info["total"],
                epoch=info["epoch"] + 1,
                loss=info["loss"],
            )

        yield hook


def summary_table(title: str, rows: dict[str, Any]) -> Table:
    table = Table(title=title, show_header=False)
    for key, value in rows.items():
        text = f"{value:.4g}" if isinstance(value, float) else str(value)
        table.add_row(key, text)
    return table


class TaskBar:
    """A bar over tasks whose number is known once they are planned."""

    def __init__(self, progress: Progress | None, label: str):
        self.progress = progress
        self.task = progress.add_task(label, total=None, note="") if progress else None

    def start(self, total: int) -> None:
        """Set the number of tasks."""
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=total)

    def advance(self, note: str = "") -> None:
        """One task finished, with a short note."""
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, note=note)


@contextmanager
def task_bar(label: str, enabled: bool = True) -> Iterator[TaskBar]:
    """A :class:`TaskBar` drawn while the block runs (inert if not ``enabled``)."""
    if not enabled:
        yield TaskBar(None, label)
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[note]}"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        yield TaskBar(progress, label)


def rows_table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    """A table with a header row."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table

"""The CLI's progress (stderr) and results (stdout).

Progress is a rich bar on a terminal and plain lines elsewhere (a log file,
SLURM, a pipe: one line per epoch or task, never a bar's frames). Results —
tables, or JSON with ``--json`` — go to stdout.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from dagnas.engine.callbacks import StepHook
from dagnas.io import strict_json

console = Console(stderr=True)
results = Console()


def plain(value: Any) -> Any:
    """``value`` as JSON data (paths as strings)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value) if isinstance(value, Path) else value


def echo_json(value: Any) -> None:
    """``value`` on stdout as one strict JSON document (NaN and ±inf become null)."""
    click.echo(strict_json(plain(value)))


def show_result(title: str, rows: dict[str, Any], as_json: bool = False) -> None:
    """A command's result on stdout: a two-column table, or ``rows`` as JSON."""
    if as_json:
        echo_json(rows)
    else:
        results.print(summary_table(title, rows))


def show_rows(title: str, columns: list[str], rows: list[list[str]], as_json: bool) -> None:
    """A command's result rows on stdout: a table, or a JSON list of one object per row."""
    if as_json:
        echo_json([dict(zip(columns, row, strict=True)) for row in rows])
    else:
        Console(width=160).print(rows_table(title, columns, rows))


def _epoch_lines(label: str) -> StepHook:
    """A step hook printing one plain line per finished epoch on stderr."""
    start, seen = time.perf_counter(), {"epoch": None, "loss": float("nan"), "step": 0}

    def line(epoch: int) -> None:
        click.echo(
            f"{label}: epoch {epoch + 1} done, step {seen['step']}/{seen['total']},"
            f" loss {seen['loss']:.4f}, {time.perf_counter() - start:.0f}s",
            err=True,
        )

    def hook(info: dict[str, Any]) -> None:
        if seen["epoch"] is not None and info["epoch"] != seen["epoch"]:
            line(seen["epoch"])
        seen.update(info)
        if info["step"] >= info["total"]:
            line(info["epoch"])
            seen["epoch"] = None
        else:
            seen["epoch"] = info["epoch"]

    return hook


@contextmanager
def step_bar(label: str, enabled: bool = True) -> Iterator[StepHook | None]:
    """A hook for the search loop that drives a progress bar, or prints plain
    per-epoch lines when stderr is not a terminal (None if disabled)."""
    if not enabled:
        yield None
        return
    if not console.is_terminal:
        yield _epoch_lines(label)
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

    def __init__(self, progress: Progress | None, label: str, lines: bool = False):
        self.progress = progress
        self.task = progress.add_task(label, total=None, note="") if progress else None
        self.label, self.lines, self.total, self.done = label, lines, None, 0

    def start(self, total: int) -> None:
        """Set the number of tasks."""
        self.total = total
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, total=total)

    def advance(self, note: str = "") -> None:
        """One task finished, with a short note."""
        self.done += 1
        if self.progress is not None and self.task is not None:
            self.progress.update(self.task, advance=1, note=note)
        elif self.lines:
            click.echo(f"{self.label}: {self.done}/{self.total} {note}".rstrip(), err=True)


@contextmanager
def task_bar(label: str, enabled: bool = True) -> Iterator[TaskBar]:
    """A :class:`TaskBar` drawn while the block runs (plain lines when stderr is not a
    terminal; inert if not ``enabled``)."""
    if not enabled or not console.is_terminal:
        yield TaskBar(None, label, lines=enabled)
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

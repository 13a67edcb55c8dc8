"""Experiment trackers: what a search or a training reports each epoch to.

A tracker is told, once per epoch, the same record ``metrics.jsonl`` gets
and (for a search) the mixing weights ``alpha.jsonl`` gets, and writes them
where its tool reads them, inside the run folder: nothing needs a network.
Trackers are registered in :data:`LOGGERS` by the names a spec's
``search.loggers`` and the ``--logger`` option use; a tracker's options are a
pydantic ``Options`` model, checked like every component's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagnas.registry import Component, NoOptions, Registry, Strict

#: ``{choice key: {op: weight}}``, as a line of ``alpha.jsonl`` holds it
AlphaTable = Mapping[str, Mapping[str, float]]


class Tracker:
    """One experiment tracker writing under ``folder`` (a run folder).

    ``name`` names the run, ``config`` is the resolved spec (or training
    settings) as plain data. Subclasses override :meth:`log` and :meth:`close`.
    """

    Options: type[Strict] = NoOptions

    def __init__(self, folder: Path, name: str, config: Mapping[str, Any], **options: Any):
        self.folder = Path(folder)
        self.name = name
        self.config = dict(config)
        self.options: Any = self.Options(**options)
        self.folder.mkdir(parents=True, exist_ok=True)

    def log(self, record: Mapping[str, Any], alpha: AlphaTable | None = None) -> None:
        """One epoch: its ``record`` (``epoch`` is the step) and the mixing weights."""

    def close(self) -> None:
        """Flush and release the tracker's files."""


LOGGERS: Registry[type[Tracker]] = Registry("logger")


def scalars(record: Mapping[str, Any], alpha: AlphaTable | None = None) -> dict[str, float]:
    """The finite numbers of ``record`` (but ``epoch``, the step) and the mixing
    weights as ``alpha/<key>/<op>``: what every tracker plots."""
    out = {
        k: float(v)
        for k, v in record.items()
        if k != "epoch" and isinstance(v, int | float) and not isinstance(v, bool)
    }
    for key, row in (alpha or {}).items():
        out |= {f"alpha/{key}/{op}": float(w) for op, w in row.items()}
    return {k: v for k, v in out.items() if math.isfinite(v)}


def flat_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"search.arch.lr": "0.0003", ...}``: nested settings as dotted string params."""
    out: dict[str, str] = {}
    for k, v in config.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out |= flat_config(v, f"{key}.")
        else:
            out[key] = str(v)
    return out


def open_trackers(
    loggers: Sequence[Component], folder: Path, name: str, config: Mapping[str, Any]
) -> list[Tracker]:
    """One tracker per component of ``loggers`` (``search.loggers``), writing in ``folder``."""
    return [LOGGERS.get(c.name)(folder, name, config, **c.options) for c in loggers]


def close_all(trackers: Sequence[Tracker]) -> None:
    for tracker in trackers:
        tracker.close()


@contextmanager
def epoch_trackers(
    names: Sequence[str], folder: Path, name: str, config: Mapping[str, Any]
) -> Iterator[Callable[[Mapping[str, Any]], None] | None]:
    """For the block, a function that logs an epoch's record to the trackers
    ``names`` (None without any), closed after the block: a training's trackers."""
    trackers = open_trackers([Component(name=n) for n in names], folder, name, config)
    try:
        yield (lambda record: [t.log(record) for t in trackers]) if trackers else None
    finally:
        close_all(trackers)

"""What watches a search from its run folder: the trackers, and the pictures
``alpha.png`` and ``curves.png`` redrawn after every epoch."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagnas.compile.body import History
from dagnas.engine.callbacks import Callback, RunRecorder, mixing_table
from dagnas.errors import DagnasError
from dagnas.export.plots import plot_alpha, plot_curves
from dagnas.loggers.base import Tracker, close_all, open_trackers
from dagnas.registry import Component
from dagnas.relax import Mixing

if TYPE_CHECKING:
    from dagnas.engine.loop import Searcher, SearchResult

log = logging.getLogger(__name__)
ALPHA_PNG, CURVES_PNG = "alpha.png", "curves.png"


class TrackerCallback(Callback):
    """Feeds the ``loggers`` (``search.loggers`` components) each epoch's record and
    mixing weights, on rank 0; the trackers open when the search starts."""

    def __init__(self, loggers: Sequence[Component], folder: Path, name: str, config: Any):
        self.loggers, self.folder, self.name, self.config = loggers, folder, name, config
        self.trackers: list[Tracker] = []

    def on_search_start(self, searcher: Searcher) -> None:
        if searcher.dist.is_main:
            self.trackers = open_trackers(self.loggers, self.folder, self.name, self.config)

    def on_epoch_end(
        self, searcher: Searcher, record: dict[str, Any], mixing: Mixing, history: History
    ) -> None:
        alpha = mixing_table(searcher.model, mixing) if self.trackers else None
        for tracker in self.trackers:
            tracker.log(record, alpha)

    def on_search_end(self, searcher: Searcher, result: SearchResult) -> None:
        close_all(self.trackers)
        self.trackers = []


class RunPlots(Callback):
    """Redraw ``alpha.png`` and ``curves.png`` of ``run_dir`` from its histories after
    every epoch (after :class:`RunRecorder` appended them), on rank 0. A picture
    that fails is a warning: it never stops the search."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)

    def on_epoch_end(
        self, searcher: Searcher, record: dict[str, Any], mixing: Mixing, history: History
    ) -> None:
        if searcher.dist.is_main:
            draw_run_plots(self.run_dir)


def draw_run_plots(run_dir: Path) -> None:
    """``alpha.png`` and ``curves.png`` of a run folder (a warning if one cannot be drawn)."""
    for plot, name in ((plot_alpha, ALPHA_PNG), (plot_curves, CURVES_PNG)):
        try:
            plot(run_dir, run_dir / name)
        except (DagnasError, OSError, ValueError) as e:
            log.warning("could not draw %s: %s", run_dir / name, e)


def run_watchers(spec: Any, run_dir: Path) -> list[Callback]:
    """The callbacks of a search in ``run_dir``: its histories, its pictures, its trackers."""
    config = spec.model_dump(mode="json", by_alias=True)
    trackers = TrackerCallback(spec.search.loggers, run_dir, run_dir.name, config)
    return [RunRecorder(run_dir), RunPlots(run_dir), trackers]

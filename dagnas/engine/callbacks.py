"""What a search reports to: callbacks, as minGPT's ``Trainer`` has them.

The search loop (:class:`dagnas.engine.loop.Searcher`) writes no file but its
checkpoint; whatever watches a search (the run folder's histories, a progress
display, an experiment tracker) is a :class:`Callback` passed to it. Every
rank calls its callbacks; a callback that writes checks ``searcher.dist.is_main``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from dagnas.bench import Source, arch_string
from dagnas.compile import Supernet
from dagnas.compile.body import History
from dagnas.engine.components import DERIVE_RULES
from dagnas.engine.derive import derive
from dagnas.engine.stopping import derived_ops
from dagnas.errors import DagnasError
from dagnas.io import append_jsonl
from dagnas.relax import Mixing

if TYPE_CHECKING:
    from dagnas.engine.loop import Searcher, SearchResult

log = logging.getLogger(__name__)

#: A function of one step's ``{"step", "total", "epoch", "loss"}``.
StepHook = Callable[[dict[str, Any]], None]


class Callback:
    """Hooks of a search, each a no-op here; override the ones you need."""

    def on_search_start(self, searcher: Searcher) -> None:
        """Before the first step (of this process: a resumed run starts mid-way)."""

    def on_step_end(self, searcher: Searcher, info: dict[str, Any]) -> None:
        """After each step that did not roll back, before its checkpoint.
        ``info``: ``step`` (done so far), ``total``, ``epoch`` (0-based), ``loss``."""

    def on_epoch_end(
        self, searcher: Searcher, record: dict[str, Any], mixing: Mixing, history: History
    ) -> None:
        """After each epoch, before its checkpoint: the epoch's metrics ``record``,
        the final mixing weights, and the body's ``{history name: record}``."""

    def on_search_end(self, searcher: Searcher, result: SearchResult) -> None:
        """After the last step, or the one a stop request ended the search at."""


class OnStep(Callback):
    """Calls ``hook(info)`` after each step (a progress bar, a test's probe)."""

    def __init__(self, hook: StepHook):
        self.hook = hook

    def on_step_end(self, searcher: Searcher, info: dict[str, Any]) -> None:
        self.hook(info)


def mixing_table(model: Supernet, mixing: Mixing) -> dict[str, dict[str, float]]:
    """``{choice key: {op: weight}}`` as plain floats."""
    choices = model.relaxation.choices
    return {k: dict(zip(choices[k], w.tolist(), strict=True)) for k, w in mixing.items()}


class RunRecorder(Callback):
    """The run folder's per-epoch histories, appended on rank 0: ``metrics.jsonl``
    (the epoch's record), ``alpha.jsonl`` (``{"epoch", "weights": {key: {op: w}}}``)
    and one ``<name>.jsonl`` per body history (dense blocks: ``blocks.jsonl``)."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)

    def on_epoch_end(
        self, searcher: Searcher, record: dict[str, Any], mixing: Mixing, history: History
    ) -> None:
        if not searcher.dist.is_main:
            return
        append_jsonl(self.run_dir / "metrics.jsonl", record)
        alpha = {"epoch": record["epoch"], "weights": mixing_table(searcher.model, mixing)}
        append_jsonl(self.run_dir / "alpha.jsonl", alpha)
        for name, line in history.items():
            append_jsonl(self.run_dir / f"{name}.jsonl", line)


def epoch_graph(model: Supernet, history: History) -> nx.DiGraph:
    """The SearchGraph an epoch's mixing weights derive from: the supernet's
    current graph, with the dense blocks the body recorded before it resampled
    (``history["blocks"]``), and ``argmax`` in place of a rule that needs the
    trained supernet and is too costly to apply every epoch (as ``dagnas query
    --epochs`` reads a run)."""
    g = model.current_graph()
    recorded = history.get("blocks")
    if recorded:
        g.graph["blocks"] = {
            name: [b["edges"] for b in entry["blocks"]]
            for name, entry in recorded["stages"].items()
        }
    rule = DERIVE_RULES.get(g.graph["derive"]["name"])
    if getattr(rule, "needs_model", False) and not getattr(rule, "every_epoch", False):
        g.graph["derive"] = {"name": "argmax"}
    return g


class BenchScore(Callback):
    """After each epoch, the benchmark score of the architecture derived now.

    The epoch's record (so ``metrics.jsonl`` and the run's metrics) gets
    ``bench_arch`` (the string looked up) and ``bench_<metric>`` for each of
    the source's metrics; an architecture the source lacks gets its string
    alone, with a warning. A space whose architectures the source cannot name
    (e.g. a genotype table for an NB201 space) is refused before the first
    step. List it before :class:`RunRecorder`, which writes the record.
    """

    def __init__(self, source: Source):
        self.source = source

    def derived(self, searcher: Searcher, mixing: Mixing, history: History) -> nx.DiGraph:
        weights = {k: w.detach().cpu() for k, w in mixing.items()}
        g = epoch_graph(searcher.model, history)
        if getattr(DERIVE_RULES.get(g.graph["derive"]["name"]), "needs_model", False):
            return derive(g, weights, model=searcher.model, val=searcher.val_all)
        return derive(g, weights)

    def on_search_start(self, searcher: Searcher) -> None:
        arch_string(self.derived(searcher, searcher.model.relaxation.final(), {}), self.source.kind)

    def on_epoch_end(
        self, searcher: Searcher, record: dict[str, Any], mixing: Mixing, history: History
    ) -> None:
        record.update(bench_record(self.source, self.derived(searcher, mixing, history)))


def bench_record(source: Source, arch: nx.DiGraph) -> dict[str, Any]:
    """``{"bench_arch": string, "bench_<metric>": value, ...}`` of ``arch`` in ``source``
    (the string alone, with a warning, when the source does not hold it)."""
    text = arch_string(arch, source.kind)
    try:
        metrics = source.lookup(text)
    except DagnasError as e:
        log.warning("benchmark look-up: %s", e)
        return {"bench_arch": text}
    return {"bench_arch": text, **{f"bench_{k}": v for k, v in metrics.items()}}


class DerivedDigest(Callback):
    """Adds ``derived`` to each epoch's record: a digest of what the epoch's mixing
    weights derive (per choice the option the space's rule keeps, as DARTS+'s
    criterion 2 compares them; ``argmax`` for rules that need the supernet).
    Equal digests, equal architectures: a run's summary counts from them how
    many final epochs its architecture held (``held_epochs``). List it before
    :class:`RunRecorder`, which writes the record."""

    def on_epoch_end(
        self, searcher: Searcher, record: dict[str, Any], mixing: Mixing, history: History
    ) -> None:
        g = epoch_graph(searcher.model, history)
        kept = derived_ops(g, searcher.model.relaxation.choices, mixing)
        text = json.dumps(kept, sort_keys=True)
        record["derived"] = hashlib.sha256(text.encode()).hexdigest()[:16]


def held_epochs(metrics: list[dict[str, Any]]) -> int:
    """How many of the final epoch records share the last one's ``derived``
    digest (0 when the last has none): the epochs the final architecture held."""
    if not metrics or "derived" not in metrics[-1]:
        return 0
    last = metrics[-1]["derived"]
    held = 0
    for record in reversed(metrics):
        if record.get("derived") != last:
            break
        held += 1
    return held

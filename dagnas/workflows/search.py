"""One search from spec to architecture, in a run folder or in memory.

:func:`search` is the front door's verb; :func:`run_search` runs a search
of a spec as it stands, writing the run folder (:mod:`dagnas.workflows.rundir`)
when it is given one.

Under ``torchrun`` every process runs :func:`run_search` on its share of
the data (:mod:`dagnas.engine.distributed`); only rank 0 writes.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch

from dagnas.bench import open_source
from dagnas.compile import Supernet, compile_supernet
from dagnas.engine.callbacks import (
    BenchScore,
    Callback,
    OnStep,
    RunRecorder,
    StepHook,
    bench_record,
)
from dagnas.engine.derive import derive
from dagnas.engine.distributed import current
from dagnas.engine.loop import Searcher, SearchResult
from dagnas.errors import RunError
from dagnas.export import write_architecture
from dagnas.graph import canonical_hash
from dagnas.io import atomic_write_json
from dagnas.spaces import load_space
from dagnas.spec.lower import lower
from dagnas.spec.overrides import apply_overrides
from dagnas.workflows.rundir import SUMMARY, load_search_data, new_run_dir, write_config

log = logging.getLogger(__name__)


def with_search(spec: Any, **fields: Any) -> Any:
    """``spec`` with the given ``search:`` fields; a field left at None keeps the spec's."""
    given = {f"search.{k}": v for k, v in fields.items() if v is not None}
    return apply_overrides(spec, given)


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise RunError("--device cuda was asked for, but torch sees no CUDA device; use cpu")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def seed_all(seed: int) -> None:
    """Seed torch's, NumPy's and Python's global RNGs (a checkpoint saves all three)."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


@dataclass
class RunOutcome:
    """What a search gives: the architecture, its summary, the spec as searched,
    the trained supernet, the per-epoch metrics, and the run folder (None for a
    search in memory)."""

    run_dir: Path | None
    architecture: nx.DiGraph
    summary: dict[str, Any]
    spec: Any
    supernet: Supernet
    metrics: list[dict[str, Any]]


class StopRequest:
    """Set by a signal while :func:`stop_on_signal` is active; a search polls it."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.at = 0.0

    def __call__(self) -> bool:
        return self.signum is not None


#: Seconds after a stop request during which more signals repeat it (torchrun
#: forwards the Ctrl-C its workers already got); a signal later aborts at once.
REPEAT_WINDOW = 1.0


@contextmanager
def stop_on_signal() -> Iterator[StopRequest]:
    """For the block: the first SIGINT (Ctrl-C) or SIGTERM asks the search to stop
    after its current step; another one, a second or more later, interrupts at
    once (KeyboardInterrupt). Outside the main thread signals cannot be caught,
    and the request never comes."""
    stop = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return

    def handler(signum: int, frame: Any) -> None:
        now = time.monotonic()
        if stop.signum is None:
            stop.signum, stop.at = signum, now
            log.warning("stopping after this step (a checkpoint follows); again to abort at once")
        elif now - stop.at > REPEAT_WINDOW:
            raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def build_supernet(spec: Any, input_shape: tuple[int, ...], num_classes: int) -> Supernet:
    """The supernet of ``spec`` for inputs of ``input_shape`` and ``num_classes``
    classes, with the spec's relaxation: :func:`lower`, then compile."""
    relax = spec.search.relaxation
    graph = lower(spec, input_shape, num_classes)
    return compile_supernet(graph, relax.name, **relax.options)


def search(
    spec: Any,
    run_dir: str | Path | None = None,
    *,
    on_step: StepHook | None = None,
    stop: Callable[[], bool] | None = None,
    **overrides: Any,
) -> RunOutcome:
    """Search ``spec`` (a spec, a YAML path or a built-in space name) on the data
    its ``search:`` section names, and derive the architecture.

    ``overrides`` replace ``search:`` fields (``epochs=2``, ``max_steps=3``,
    ``relaxation="gumbel"``, ``arch={"lr": 1e-3}``). With ``run_dir`` the run
    folder is written there (it must not hold a run yet); without, nothing is
    written and the search keeps no checkpoint.
    """
    if isinstance(spec, str | Path):
        spec = load_space(spec)
    spec = with_search(spec, **overrides)
    folder = None if run_dir is None else new_run_dir(spec, run_dir)
    return run_search(spec, folder, on_step=on_step, stop=stop)


def _summary(
    spec: Any,
    result: SearchResult,
    model: Supernet,
    arch: nx.DiGraph,
    where: dict[str, Any],
    wall_time: float,
) -> dict[str, Any]:
    """``summary.json`` of a search; ``where``: its device and process count."""
    last = result.metrics[-1] if result.metrics else {}
    return {
        "space": spec.name,
        "kind": spec.kind,
        "data": spec.search.data,
        "device": where["device"],
        "supernet_params": sum(p.numel() for p in model.weights()),
        "epochs": len(result.metrics),
        "steps": result.steps,
        "partial": result.interrupted,
        "rollbacks": result.rollbacks,
        "processes": where["processes"],
        "val_acc": last.get("val_acc"),
        "val_loss": last.get("val_loss"),
        "zero_fraction": last.get("zero_fraction"),
        "arch_step_ratio": last.get("arch_step_ratio"),
        "wall_time": wall_time,
        "architecture_hash": canonical_hash(arch),
        "nb201": arch.graph.get("nb201"),
    }


def run_search(
    spec: Any,
    run_dir: Path | None,
    resume: bool = False,
    on_step: StepHook | None = None,
    stop: Callable[[], bool] | None = None,
) -> RunOutcome:
    """Search ``spec`` in ``run_dir`` (continuing its checkpoint if ``resume``).

    ``stop`` is polled after each step: when it answers True the search
    checkpoints and ends early, and the architecture derived so far is
    exported with ``"partial": true`` in the summary.
    """
    cfg = spec.search
    here = current()
    device = pick_device(cfg.device)
    started = time.perf_counter()
    data = load_search_data(cfg)
    seed_all(cfg.seed)
    model = build_supernet(spec, data.input_shape, data.num_classes).to(device)
    if run_dir is not None and not resume and here.is_main:
        write_config(run_dir, spec, data)
    train = tuple(t.to(device) for t in data.train.tensors)
    val = tuple(t.to(device) for t in data.val.tensors)
    bench = open_source(cfg.bench) if cfg.bench else None
    callbacks: list[Callback] = [BenchScore(bench)] if bench else []
    callbacks += [RunRecorder(run_dir)] if run_dir is not None else []
    callbacks += [OnStep(on_step)] if on_step else []
    searcher = Searcher(model, train, val, cfg, run_dir, callbacks, should_stop=stop)
    if resume and not searcher.resume():
        log.info("no checkpoint in %s yet: starting from the beginning", run_dir)
    result = searcher.run()
    mixing = {k: v.cpu() for k, v in result.mixing.items()}
    name = spec.name if run_dir is None else run_dir.name
    arch = derive(model.current_graph(), mixing, run=name, model=model, val=val)
    where = {"device": str(device), "processes": here.world}
    summary = _summary(spec, result, model, arch, where, time.perf_counter() - started)
    summary.update(bench_record(bench, arch) if bench else {})
    if run_dir is not None and here.is_main:
        write_architecture(arch, run_dir)
        atomic_write_json(run_dir / SUMMARY, summary)
    if result.interrupted:
        log.info(
            "stopped at step %d; the checkpoint and the architecture so far are in %s",
            result.steps,
            run_dir,
        )
    return RunOutcome(run_dir, arch, summary, spec, model, result.metrics)

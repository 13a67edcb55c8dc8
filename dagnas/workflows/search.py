"""One search from spec to architecture, in a run folder or in memory.

:func:`search` is the front door's verb; :func:`run_search` runs a search
of a spec as it stands, writing the run folder (:mod:`dagnas.workflows.rundir`)
when it is given one.

Under ``torchrun`` every process runs :func:`run_search` on its share of
the data (:mod:`dagnas.engine.distributed`); only rank 0 writes.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch

from dagnas.accel import check_supported, device_for
from dagnas.bench import open_source
from dagnas.compile import Supernet, compile_supernet
from dagnas.engine.callbacks import (
    BenchScore,
    Callback,
    DerivedDigest,
    OnStep,
    StepHook,
    bench_record,
    held_epochs,
    mixing_table,
)
from dagnas.engine.derive import derive
from dagnas.engine.distributed import current
from dagnas.engine.loop import Searcher, SearchResult
from dagnas.errors import RunError
from dagnas.export import write_architecture
from dagnas.export.margins import derivation_margins, near_uniform
from dagnas.graph import canonical_hash, dead_outputs
from dagnas.io import atomic_write_json
from dagnas.loggers.callbacks import run_watchers
from dagnas.spaces import load_space
from dagnas.spec.lower import lower
from dagnas.spec.overrides import apply_overrides
from dagnas.training.threads import step_macs, use_threads
from dagnas.versions import HASH_SCHEME
from dagnas.workflows.rundir import (
    SUMMARY,
    load_search_data,
    run_folder,
    run_identity,
    with_shapes,
    write_config,
)

log = logging.getLogger(__name__)


def with_search(spec: Any, origin: str = "override", **fields: Any) -> Any:
    """``spec`` with the given ``search:`` fields; a field left at None keeps the spec's.
    ``origin`` names where they came from in errors (the CLI: its options)."""
    given = {f"search.{k}": v for k, v in fields.items() if v is not None}
    return apply_overrides(spec, given, origin=origin)


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise RunError("--device cuda was asked for, but torch sees no CUDA device; use cpu")
    return device_for(name)


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
    if run_dir is None:
        return run_search(spec, None, on_step=on_step, stop=stop)
    with run_folder(spec, run_dir) as folder:
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
    summary = {
        "space": spec.name,
        "kind": spec.kind,
        "data": spec.search.data,
        "device": where["device"],
        "supernet_params": sum(p.numel() for p in model.weights()),
        "epochs": len(result.metrics),
        "steps": result.steps,
        "partial": result.interrupted,
        "early_stop": result.early_stop,
        "rollbacks": result.rollbacks,
        "processes": where["processes"],
        "val_acc": last.get("val_acc"),
        "val_loss": last.get("val_loss"),
        "zero_fraction": last.get("zero_fraction"),
        "arch_step_ratio": last.get("arch_step_ratio"),
        "wall_time": wall_time,
        "threads": sorted({m["threads"] for m in result.metrics if "threads" in m}),
        "architecture_hash": canonical_hash(arch),
        "hash_scheme": HASH_SCHEME,
        "nb201": arch.graph.get("nb201"),
        **_decidedness(arch, result.metrics),
    }
    # strict JSON writes a non-finite number as null: say which were
    summary["non_finite"] = sorted(
        k for k, v in summary.items() if isinstance(v, float) and not math.isfinite(v)
    )
    return summary


#: A validation loss above this many times log(classes) (a uniform guess's loss,
#: where a search starts) is reported as a warning: the search has blown up.
HUGE_LOSS = 1e3


def loss_warnings(metrics: list[dict[str, Any]], num_classes: int) -> list[str]:
    """Warnings about the last epoch's validation loss: huge though finite."""
    if not metrics:
        return []
    loss, limit = metrics[-1]["val_loss"], HUGE_LOSS * math.log(max(num_classes, 2))
    if loss is None or loss <= limit:
        return []
    return [
        f"the validation loss ended at {loss:.3g}, more than {HUGE_LOSS:g} × log({num_classes})"
        f" = {limit:.3g}: the search diverged though it stayed finite; lower search.weights.lr"
        " or search.arch.lr"
    ]


def cut_off(arch: nx.DiGraph) -> list[str]:
    """A warning when only zero ops lead to an output of the derived architecture:
    that part of its network computes nothing (a short search's argmax can keep
    `none`/`zero` where the mixing weights barely moved)."""
    dead = ", ".join(repr(n) for n in dead_outputs(arch))
    if not dead:
        return []
    return [
        f"only zero ops lead to the derived architecture's output {dead}: that part of"
        " its network computes nothing; search longer or derive with a rule that skips"
        " zero ops (dagnas derive RUN --rule topk)"
    ]


#: A derived architecture that held this many final epochs is a decision even
#: when the mixing weights end near uniform (β-DARTS keeps α small by design).
HELD_EPOCHS = 5


def _decidedness(arch: nx.DiGraph, metrics: list[dict[str, Any]]) -> dict[str, Any]:
    """Per searched edge the chosen op's lead over the runner-up, whether most
    leads are tiny, and how many final epochs derived the final architecture.
    Tiny leads on an architecture that changed within the last ``HELD_EPOCHS``
    epochs are a warning: the derived architecture is close to arbitrary."""
    margins = derivation_margins(arch)
    flat = near_uniform(margins)
    held = held_epochs(metrics)
    median = sorted(margins.values())[len(margins) // 2] if margins else 0.0
    if flat and held < HELD_EPOCHS:
        log.warning(
            "the mixing weights end near uniform (median lead of the chosen op %.3f) and"
            " the derived architecture held for %d final epoch(s): it is close to"
            " arbitrary; search longer or with another relaxation",
            median,
            held,
        )
    elif flat:
        log.info(
            "the mixing weights end near uniform (median lead of the chosen op %.3f), but"
            " the derived architecture held for the last %d epochs",
            median,
            held,
        )
    return {"choice_margins": margins, "near_uniform": flat, "held_epochs": held}


class ThreadPolicy(Callback):
    """After every epoch, the thread policy again for steps of ``macs``: other
    processes that started or ended meanwhile change the idle cores."""

    def __init__(self, macs: int):
        self.macs = macs

    def on_epoch_end(self, searcher: Any, record: Any, mixing: Any, history: Any) -> None:
        use_threads(None, self.macs)


def _check_epochs(epochs: int, done: int, run_dir: Path | None) -> None:
    """RunError when a resumed run is given fewer epochs than its checkpoint has done
    (its config.yaml would say fewer epochs than its summary)."""
    if epochs < done:
        raise RunError(
            f"--epochs {epochs} is fewer than the {done} epochs {run_dir} has done;"
            f" give at least {done} (more extends the run)"
        )


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
    check_supported(cfg.accel.precision, device)  # before the data is read
    started = time.perf_counter()
    data = load_search_data(cfg)
    seed_all(cfg.seed)
    model = build_supernet(spec, data.input_shape, data.num_classes).to(device)
    macs = step_macs(model, data.input_shape, cfg.batch_size)
    use_threads(None, macs)
    spec = with_shapes(spec, data)
    train = tuple(t.to(device) for t in data.train.tensors)
    val = tuple(t.to(device) for t in data.val.tensors)
    bench = open_source(cfg.bench) if cfg.bench else None
    callbacks: list[Callback] = [DerivedDigest()]
    callbacks += [BenchScore(bench)] if bench else []
    callbacks += run_watchers(spec, run_dir) if run_dir is not None else []
    callbacks.append(ThreadPolicy(macs))
    callbacks += [OnStep(on_step)] if on_step else []
    config = run_identity(spec)
    searcher = Searcher(model, train, val, cfg, run_dir, callbacks, should_stop=stop, config=config)
    if resume and not searcher.resume():
        log.warning("%s holds no checkpoint yet: the run starts from the beginning", run_dir)
    _check_epochs(cfg.epochs, searcher.epoch, run_dir)
    if run_dir is not None and here.is_main:  # a resumed run records its new epochs etc.
        write_config(run_dir, spec)
    result = searcher.run()
    mixing = {k: v.cpu() for k, v in result.mixing.items()}
    name = spec.name if run_dir is None else run_dir.name
    arch = derive(model.current_graph(), mixing, run=name, model=model, val=val)
    where = {"device": str(device), "processes": here.world}
    summary = _summary(spec, result, model, arch, where, time.perf_counter() - started)
    summary["warnings"] = loss_warnings(result.metrics, data.num_classes) + cut_off(arch)
    for warning in summary["warnings"]:
        log.warning("%s", warning)
    summary.update(bench_record(bench, arch) if bench else {})
    if run_dir is not None and here.is_main:
        write_architecture(arch, run_dir, mixing=mixing_table(model, mixing))
        atomic_write_json(run_dir / SUMMARY, summary)
    if result.interrupted:
        log.info(
            "stopped at step %d; the checkpoint and the architecture so far are in %s",
            result.steps,
            run_dir,
        )
    return RunOutcome(run_dir, arch, summary, spec, model, result.metrics)

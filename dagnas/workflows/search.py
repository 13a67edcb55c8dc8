"""One search from spec to exported architecture, in a run folder.

The folder holds ``config.yaml`` (the spec as validated, every default
filled in), ``metrics.jsonl``, ``alpha.jsonl``, ``checkpoint.pt`` (dense
blocks add ``blocks.jsonl``: the blocks of each epoch with their weights, and
the ones resampling replaced) and the result: ``architecture.json`` /
``.graphml`` / ``.png`` and ``summary.json``.

Under ``torchrun`` every process runs :func:`run_search` on its share of
the data (:mod:`dagnas.search.distributed`); only rank 0 writes.
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
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import torch
import yaml

from dagnas.compile import compile_supernet
from dagnas.data import load_dataset
from dagnas.errors import RunError
from dagnas.export import write_architecture
from dagnas.graph import canonical_hash
from dagnas.io import atomic_write_json, atomic_write_text
from dagnas.search.callbacks import Callback, OnStep, RunRecorder, StepHook
from dagnas.search.checkpoint import CHECKPOINT
from dagnas.search.derive import derive
from dagnas.search.distributed import current
from dagnas.search.loop import Searcher
from dagnas.spec import SearchConfig, load_space
from dagnas.spec.lower import lower

log = logging.getLogger(__name__)
DEFAULT_SPACE = "darts_digits"
CONFIG = "config.yaml"


def builtin_spaces() -> dict[str, Path]:
    """Name → path of the YAML spaces shipped with dagnas (package data)."""
    root = Path(str(resources.files("dagnas.spaces")))
    return {p.stem: p for p in sorted(root.glob("*.yaml"))}


def resolve_space(arg: str | None) -> Path:
    """A path, a built-in space name, or None for the default space."""
    if arg is None:
        return builtin_spaces()[DEFAULT_SPACE]
    path = Path(arg)
    if not path.exists() and arg in builtin_spaces():
        return builtin_spaces()[arg]
    return path


def with_overrides(spec: Any, **overrides: Any) -> Any:
    """The spec with ``search:`` options replaced by the non-None overrides."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if not given:
        return spec
    search = SearchConfig.model_validate({**spec.search.model_dump(), **given})
    new = spec.model_copy(update={"search": search})
    new._source = spec._source
    return new


def pick_device(name: str) -> torch.device:
    if name == "cuda" and not torch.cuda.is_available():
        raise RunError("--device cuda was asked for, but torch sees no CUDA device; use cpu")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def dump_spec(spec: Any) -> str:
    return yaml.safe_dump(spec.model_dump(mode="json", by_alias=True), sort_keys=False)


def new_run_dir(spec: Any, out: str | Path | None) -> Path:
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{spec.name}-{stamp}"
    out = Path(out)
    if (out / CHECKPOINT).exists() or (out / CONFIG).exists():
        raise RunError(
            f"{out} already holds a run; continue it with `dagnas run --resume {out}`"
            " or choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def load_run_spec(run_dir: Path) -> Any:
    if not (run_dir / CONFIG).exists():
        raise RunError(f"{run_dir} is not a run folder: {CONFIG} is missing")
    return load_space(run_dir / CONFIG)


def seed_all(seed: int) -> None:
    """Seed torch's, NumPy's and Python's global RNGs (a checkpoint saves all three)."""
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


@dataclass
class RunOutcome:
    run_dir: Path
    architecture: nx.DiGraph
    summary: dict[str, Any]


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


def run_search(
    spec: Any,
    run_dir: Path,
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
    data = load_dataset(
        cfg.data, cfg.data_root, seed=cfg.seed, val_fraction=cfg.val_fraction, limit=cfg.data_limit
    )
    graph = lower(spec, data.input_shape, data.num_classes)
    seed_all(cfg.seed)
    model = compile_supernet(graph, cfg.relaxation.name, **cfg.relaxation.options).to(device)
    if (
        not resume and here.is_main
    ):  # with the data's shape, so the run's graph can be rebuilt from it
        shapes = {"input_shape": list(data.input_shape), "num_classes": data.num_classes}
        atomic_write_text(run_dir / CONFIG, dump_spec(spec.model_copy(update=shapes)))
    train = tuple(t.to(device) for t in data.train.tensors)
    val = tuple(t.to(device) for t in data.val.tensors)
    callbacks: list[Callback] = [RunRecorder(run_dir)] + ([OnStep(on_step)] if on_step else [])
    searcher = Searcher(model, train, val, cfg, run_dir, callbacks, should_stop=stop)
    if resume and not searcher.resume():
        log.info("no checkpoint in %s yet: starting from the beginning", run_dir)
    result = searcher.run()
    mixing = {k: v.cpu() for k, v in result.mixing.items()}
    arch = derive(model.current_graph(), mixing, run=run_dir.name, model=model, val=val)
    last = result.metrics[-1] if result.metrics else {}
    summary = {
        "space": spec.name,
        "kind": spec.kind,
        "data": cfg.data,
        "device": str(device),
        "supernet_params": sum(p.numel() for p in model.weights()),
        "epochs": len(result.metrics),
        "steps": result.steps,
        "partial": result.interrupted,
        "rollbacks": result.rollbacks,
        "processes": here.world,
        "val_acc": last.get("val_acc"),
        "val_loss": last.get("val_loss"),
        "zero_fraction": last.get("zero_fraction"),
        "arch_step_ratio": last.get("arch_step_ratio"),
        "wall_time": time.perf_counter() - started,
        "architecture_hash": canonical_hash(arch),
        "nb201": arch.graph.get("nb201"),
    }
    if here.is_main:
        write_architecture(arch, run_dir)
        atomic_write_json(run_dir / "summary.json", summary)
    if result.interrupted:
        log.info(
            "stopped at step %d; the checkpoint and the architecture so far are in %s",
            result.steps,
            run_dir,
        )
    return RunOutcome(run_dir, arch, summary)

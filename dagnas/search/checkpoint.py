"""Atomic checkpoints of a search, loadable with ``torch.load(weights_only=True)``."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from dagnas.errors import RunError
from dagnas.io import atomic_write

if TYPE_CHECKING:
    from dagnas.search.loop import Searcher

CHECKPOINT = "checkpoint.pt"


def save_checkpoint(s: Searcher, run_dir: Path) -> Path:
    """Everything a resumed run needs to continue bit for bit."""
    state = {
        "model": s.model.state_dict(),
        "w_opt": s.w_opt.state_dict(),
        "a_opt": s.a_opt.state_dict(),
        "schedule": json.dumps(s.schedule.state_dict()),
        "regularizers": [r.state_dict() for r in s.objective.regularizers],
        "train": s.train.state_dict(),
        "val": s.val.state_dict(),
        "epoch": s.epoch,
        "step": s.step,
        "acc": dict(s.acc),
        "metrics": json.dumps(s.metrics),
        "rng_torch": torch.get_rng_state(),
        "rng_python": json.dumps(random.getstate()),
    }
    return atomic_write(run_dir / CHECKPOINT, lambda f: torch.save(state, f))


def load_checkpoint(s: Searcher, run_dir: Path) -> bool:
    """Restore ``s`` from ``run_dir``; False if there is no checkpoint yet."""
    path = run_dir / CHECKPOINT
    if not path.exists():
        return False
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        s.model.load_state_dict(state["model"])
        s.w_opt.load_state_dict(state["w_opt"])
        s.a_opt.load_state_dict(state["a_opt"])
    except Exception as e:  # a corrupt or foreign file: say which and why
        raise RunError(f"{path}: cannot load the checkpoint ({e}); start a new run") from None
    s.schedule.load_state_dict(json.loads(state["schedule"]))
    for reg, st in zip(s.objective.regularizers, state["regularizers"], strict=True):
        reg.load_state_dict(st)
    s.train.load_state_dict(state["train"])
    s.val.load_state_dict(state["val"])
    s.epoch, s.step, s.acc = state["epoch"], state["step"], dict(state["acc"])
    s.metrics = json.loads(state["metrics"])
    torch.set_rng_state(state["rng_torch"])
    py = json.loads(state["rng_python"])
    random.setstate((py[0], tuple(py[1]), py[2]))
    return True

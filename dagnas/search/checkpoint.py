"""Atomic checkpoints of a search, loadable with ``torch.load(weights_only=True)``.

A checkpoint holds everything a resumed run needs to continue bit for bit:
the supernet (weights, α and every relaxation buffer), both optimizers,
each stateful component (schedule, regularizers, and whatever else is in
``Searcher.components``, e.g. a sampler), the batch streams' positions,
the progress counters and partial-epoch sums, the metrics so far, the
divergence guard's learning-rate scale, and the Python, NumPy and torch RNG
states (and CUDA's, on a GPU). Non-tensor state is stored as plain containers or JSON strings.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
from collections import Counter
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

import numpy as np
import torch

from dagnas.errors import RunError
from dagnas.io import atomic_write, atomic_write_text

if TYPE_CHECKING:
    from dagnas.search.loop import Searcher

CHECKPOINT = "checkpoint.pt"
#: The per-epoch histories a resumed run cuts back to its checkpoint's epoch.
HISTORIES = ("metrics.jsonl", "alpha.jsonl", "blocks.jsonl")
#: Test hook: with this set to N, the N-th checkpoint write of the process kills
#: it (SIGKILL) after the temp file is written and synced, before the rename.
KILL_ENV = "DAGNAS_TEST_KILL_IN_CHECKPOINT"
_WRITES: Counter[int] = Counter()  # per process id: a forked child counts from 0


class Stateful(Protocol):
    """A search component with state to checkpoint: tensors and plain containers."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def numpy_rng_state() -> str:
    """NumPy's global RNG state as a JSON string."""
    state = np.random.get_state(legacy=False)
    state["state"]["key"] = state["state"]["key"].tolist()
    return json.dumps(state)


def set_numpy_rng_state(text: str) -> None:
    state = json.loads(text)
    state["state"]["key"] = np.asarray(state["state"]["key"], dtype=np.uint32)
    np.random.set_state(state)


def searcher_state(s: Searcher) -> dict[str, Any]:
    """The checkpoint of ``s`` as a dict of tensors and plain values."""
    return {
        "model": s.model.state_dict(),
        "w_opt": s.w_opt.state_dict(),
        "a_opt": s.a_opt.state_dict(),
        "components": {name: c.state_dict() for name, c in s.components.items()},
        "train": s.train.state_dict(),
        "val": s.val.state_dict(),
        "epoch": s.epoch,
        "step": s.step,
        "acc": dict(s.acc),
        "metrics": json.dumps(s.metrics),
        "lr_scale": s.lr_scale,
        "rollbacks": s.rollbacks,
        "rng_torch": torch.get_rng_state(),
        "rng_python": json.dumps(random.getstate()),
        "rng_numpy": numpy_rng_state(),
        "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_state(s: Searcher, state: dict[str, Any]) -> None:
    """Put ``s`` back where :func:`searcher_state` found it."""
    s.model.load_state_dict(state["model"])
    s.w_opt.load_state_dict(state["w_opt"])
    s.a_opt.load_state_dict(state["a_opt"])
    saved = state["components"]
    if sorted(saved) != sorted(s.components):
        raise ValueError(f"it holds components {sorted(saved)}, this run {sorted(s.components)}")
    for name, component in s.components.items():
        component.load_state_dict(saved[name])
    s.train.load_state_dict(state["train"])
    s.val.load_state_dict(state["val"])
    s.epoch, s.step, s.acc = state["epoch"], state["step"], dict(state["acc"])
    s.metrics = json.loads(state["metrics"])
    s.lr_scale, s.rollbacks = state["lr_scale"], state["rollbacks"]
    torch.set_rng_state(state["rng_torch"])
    py = json.loads(state["rng_python"])
    random.setstate((py[0], tuple(py[1]), py[2]))
    set_numpy_rng_state(state["rng_numpy"])
    if state["rng_cuda"] and len(state["rng_cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["rng_cuda"])


def save_checkpoint(s: Searcher, run_dir: Path) -> Path:
    """Write ``run_dir/checkpoint.pt`` atomically (temp file, fsync, rename)."""
    state = searcher_state(s)

    def write(f: IO[bytes]) -> None:
        torch.save(state, f)
        _test_kill_hook(f)

    return atomic_write(run_dir / CHECKPOINT, write)


def _test_kill_hook(f: IO[bytes]) -> None:
    """SIGKILL this process in its N-th checkpoint write when ``KILL_ENV`` is N."""
    _WRITES[os.getpid()] += 1
    if os.environ.get(KILL_ENV) == str(_WRITES[os.getpid()]):
        f.flush()
        os.fsync(f.fileno())
        os.kill(os.getpid(), signal.SIGKILL)


def load_checkpoint(s: Searcher, run_dir: Path) -> bool:
    """Restore ``s`` from ``run_dir``; False if there is no checkpoint yet."""
    path = run_dir / CHECKPOINT
    if not path.exists():
        return False
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        restore_state(s, state)
    except Exception as e:  # a corrupt or foreign file: say which and why
        raise RunError(f"{path}: cannot load the checkpoint ({e}); start a new run") from None
    return True


def snapshot(s: Searcher) -> bytes:
    """The checkpoint of ``s`` in memory (the rollback point of a run without a folder)."""
    buf = io.BytesIO()
    torch.save(searcher_state(s), buf)
    return buf.getvalue()


def restore_snapshot(s: Searcher, data: bytes) -> None:
    restore_state(s, torch.load(io.BytesIO(data), map_location="cpu", weights_only=True))


def tidy_run_dir(run_dir: Path, epochs_done: int) -> None:
    """Make a run folder agree with its checkpoint after a kill.

    Removes temp files of an interrupted checkpoint write, and cuts each
    per-epoch history back to the epochs the checkpoint has finished (lines
    appended after it, and a torn last line, are dropped).
    """
    for tmp in run_dir.glob(f".{CHECKPOINT}.*.tmp"):
        tmp.unlink(missing_ok=True)
    for name in HISTORIES:
        path = run_dir / name
        if not path.exists():
            continue
        kept = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if record.get("epoch", 0) <= epochs_done:
                kept.append(line + "\n")
        atomic_write_text(path, "".join(kept))

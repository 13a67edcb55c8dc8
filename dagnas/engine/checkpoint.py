"""Atomic checkpoints of a search, loadable with ``torch.load(weights_only=True)``.

A checkpoint is a state dict as :meth:`dagnas.engine.loop.Searcher.state_dict`
gives it (tensors, plain containers and JSON strings); this module only
writes it atomically, reads it back with one clear error, keeps it in memory
for a run without a folder, refuses one saved with another config (naming
the fields that differ), and makes a run folder's per-epoch histories
agree with it after a kill.
"""

from __future__ import annotations

import io
import json
import os
import pickle
import signal
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol

import torch

from dagnas.errors import RunError
from dagnas.io import atomic_write, atomic_write_text, read_jsonl, strict_json

CHECKPOINT = "checkpoint.pt"
#: The per-epoch histories a resumed run cuts back to its checkpoint's epoch.
HISTORIES = ("metrics.jsonl", "alpha.jsonl", "blocks.jsonl")
#: Test hook: with this set to N, the N-th checkpoint write of the process kills
#: it (SIGKILL) after the temp file is written and synced, before the rename.
KILL_ENV = "DAGNAS_TEST_KILL_IN_CHECKPOINT"
_WRITES: Counter[int] = Counter()  # per process id: a forked child counts from 0
State = dict[str, Any]


class Stateful(Protocol):
    """A search component with state to checkpoint: tensors and plain containers."""

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


def save_checkpoint(state: State, run_dir: Path) -> Path:
    """Write ``state`` to ``run_dir/checkpoint.pt`` atomically (temp file, fsync, rename)."""

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


def load_checkpoint(run_dir: Path, restore: Callable[[State], None]) -> bool:
    """Read ``run_dir/checkpoint.pt`` and hand it to ``restore``; False if there is
    none yet. A corrupt file, or one ``restore`` refuses, is a RunError naming it."""
    path = run_dir / CHECKPOINT
    if not path.exists():
        return False
    state = _read_checkpoint(path)
    try:
        restore(state)
    except RunError as e:
        raise RunError(f"{path}: {e}") from None
    except Exception as e:  # a checkpoint of other components: say which and why
        raise RunError(
            f"{path}: cannot load the checkpoint ({_first_line(e)}); start a new run"
        ) from None
    return True


def _read_checkpoint(path: Path) -> State:
    """The state saved in ``path``; a RunError if it is not a file dagnas wrote, which
    never repeats torch's advice to load it with ``weights_only=False`` (that runs
    whatever code a foreign pickle holds)."""
    if not zipfile.is_zipfile(path):  # what torch.save writes
        why = "not a torch.save archive"
    else:
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError:
            why = "it holds objects besides tensors and plain containers"
        except Exception as e:
            why = _first_line(e)
    raise RunError(
        f"{path} is damaged or not a dagnas checkpoint ({why}); restore it from a copy,"
        " or start a new run"
    )


def _first_line(e: Exception) -> str:
    """An exception in one line, for a message."""
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__


def differences(old: Any, new: Any, where: str = "") -> list[str]:
    """``field: old → new`` for each leaf where two JSON values differ
    (``nodes[1].width``-style paths). A key that only ``new`` has is a field
    added since ``old`` was saved: it holds its default there (a resumed run
    takes its spec from the run folder, which gives new fields their defaults),
    so it is no difference."""
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            line
            for key in sorted(old, key=str)
            for line in differences(old[key], new.get(key), f"{where}.{key}" if where else key)
        ]
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        pairs = enumerate(zip(old, new, strict=True))
        return [line for i, (a, b) in pairs for line in differences(a, b, f"{where}[{i}]")]
    return [] if old == new else [f"{where or 'config'}: {old!r} → {new!r}"]


def check_state_config(state: State, config: dict[str, Any]) -> None:
    """:func:`check_config` against the config a checkpoint's ``state`` records
    (checkpoints older than that record none: nothing to compare)."""
    if "config" in state:
        check_config(json.loads(state["config"]), config)


def check_config(saved: dict[str, Any], config: dict[str, Any]) -> None:
    """RunError naming the fields that differ when a checkpoint's config is not this run's."""
    found = differences(saved, config)
    if found:
        shown = "; ".join(found[:8]) + (f"; and {len(found) - 8} more" if len(found) > 8 else "")
        raise RunError(
            f"the config differs from the one the checkpoint was saved with ({shown});"
            " undo the change, or start a new run with it"
        )


def to_bytes(state: State) -> bytes:
    """``state`` serialised in memory (the rollback point of a run without a folder)."""
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


def from_bytes(data: bytes) -> State:
    return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)


def tidy_run_dir(run_dir: Path, epochs_done: int) -> None:
    """Make a run folder agree with its checkpoint after a kill.

    Removes temp files of an interrupted checkpoint write, and cuts each
    per-epoch history back to the epochs the checkpoint has finished (lines
    appended after it, and a torn last line, are dropped). A damaged line (not
    a record, an epoch that is not a whole number) is a RunError naming it.
    """
    for tmp in run_dir.glob(f".{CHECKPOINT}.*.tmp"):
        tmp.unlink(missing_ok=True)
    for name in HISTORIES:
        path = run_dir / name
        if path.exists():
            records = read_jsonl(path, ints=("epoch",))
            kept = [r for r in records if r.get("epoch", 0) <= epochs_done]
            atomic_write_text(path, "".join(strict_json(r) + "\n" for r in kept))

"""The run folder of a search: its layout, creating and loading one, its data.

A run folder holds ``config.yaml`` (the spec as validated, every default
filled in, with the data's input shape and class count), the loop's
``metrics.jsonl``, ``alpha.jsonl`` and ``checkpoint.pt`` (dense blocks add
``blocks.jsonl``), and the result: ``architecture.json`` / ``.graphml`` /
``.png`` and ``summary.json``. Every file reads without dagnas.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from dagnas.data import DataSplits, load_dataset, materialise
from dagnas.engine.checkpoint import CHECKPOINT
from dagnas.errors import RunError
from dagnas.export import read_json
from dagnas.io import atomic_write_text, new_folder, read_jsonl
from dagnas.spec import SearchConfig, parse_spec
from dagnas.spec import load_space as load_space_file

CONFIG = "config.yaml"
SUMMARY = "summary.json"
ARCHITECTURE = "architecture.json"
METRICS = "metrics.jsonl"
#: The lock file a running process holds (with its pid) in its folder.
LOCK = ".dagnas.lock"


def load_search_data(cfg: SearchConfig) -> DataSplits:
    """The dataset of a search config, split as its search splits it: the one way
    a search's data is loaded, so a re-derivation or a retraining sees the same.
    Held in memory (an image folder's files are read once), as the search's
    batches are drawn from tensors."""
    data = load_dataset(
        cfg.data, cfg.data_root, seed=cfg.seed, val_fraction=cfg.val_fraction, limit=cfg.data_limit
    )
    return materialise(data)


def dump_spec(spec: Any) -> str:
    """The spec as YAML, every default written out."""
    return yaml.safe_dump(spec.model_dump(mode="json", by_alias=True), sort_keys=False)


def default_out(spec: Any) -> Path:
    """``runs/NAME-TIME``: where a run goes without ``--out``."""
    return new_folder(spec.name)


@contextmanager
def claim(folder: Path) -> Iterator[Path]:
    """Hold ``folder`` for this process for the block, or RunError naming its holder.

    An exclusive ``flock`` on ``folder/.dagnas.lock``, which holds the
    holder's pid: the kernel releases it when the process ends however it
    ends, so a killed run never blocks ``--resume``. The file is removed on
    release (a claim checks that the file it locked is still the one there).
    """
    path = folder / LOCK
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise RunError(
                f"{folder} is in use by another dagnas process (pid {holder}); wait for it"
                " to end or stop it, or choose another folder"
            ) from None
        if path.exists() and os.stat(path).st_ino == os.fstat(fd).st_ino:
            break
        os.close(fd)  # the holder removed the file after we opened it: lock the new one
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    try:
        yield folder
    finally:
        path.unlink(missing_ok=True)
        os.close(fd)


def _holder(fd: int, tries: int = 50) -> str:
    """The pid in a lock file held by another process (it may not have written it yet)."""
    for _ in range(tries):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text:
            return text
        time.sleep(0.01)
    return "unknown"


#: OS errors that mean the folder cannot be written (not a bug, nor a missing input).
UNWRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class Unwritable(RunError):
    """A folder cannot be written: no permission, read-only, full disk, file size limit."""


@contextmanager
def writing(folder: Path) -> Iterator[None]:
    """For the block, an OS error writing (no permission, read-only, full disk,
    file size limit) is an :class:`Unwritable` naming the path and the OS's reason,
    also when a library wrapped it (torch.save raises a RuntimeError from it)."""
    try:
        yield
    except Exception as e:
        cause = _os_cause(e)
        if cause is None:
            raise
        where = cause.filename or f"into {folder}"
        raise Unwritable(f"cannot write {where}: {cause.strerror or cause}") from None


def _os_cause(e: BaseException | None) -> OSError | None:
    """The OS error of the :data:`UNWRITABLE` kind that ``e`` is, or arose from."""
    while e is not None:
        if isinstance(e, OSError) and e.errno in UNWRITABLE:
            return e
        e = e.__cause__ or e.__context__
    return None


@contextmanager
def held(folder: Path) -> Iterator[Path]:
    """``folder``, created if need be and claimed (:func:`claim`) for the block, with
    OS write errors as :class:`Unwritable`: any command's output folder."""
    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
        with claim(folder):
            yield folder


@contextmanager
def run_folder(spec: Any, out: str | Path | None, *, resume: bool = False) -> Iterator[Path]:
    """The run folder ``out`` (default ``runs/NAME-TIME``), claimed for the block.

    A new run needs a folder that holds no run; ``resume`` needs one that
    does. When a new run cannot write its folder (:class:`Unwritable`), what
    it created there is removed, unless it finished an epoch (then its
    checkpoint is kept for ``--resume``); files that were there before are
    never touched. A run that fails on anything else before writing into a
    folder it created (bad data, a bad option) removes that empty folder.
    """
    folder = Path(out) if out is not None else default_out(spec)
    with writing(folder):
        existed = folder.exists()
        before = set(folder.iterdir()) if existed else set()
        folder.mkdir(parents=True, exist_ok=True)
    try:
        with writing(folder), claim(folder):
            check_run_dir(folder, resume)
            yield folder
    except Unwritable:
        if not resume and not _resumable(folder):
            _discard(folder, existed, before)
        raise
    except BaseException:
        if not existed:
            with contextlib.suppress(OSError):
                folder.rmdir()  # refused unless empty: what the run wrote stays
        raise


def check_run_dir(folder: Path, resume: bool) -> None:
    """RunError unless ``folder`` fits: a new run's holds no run, a resumed one's does
    (its histories are checked where the resume cuts them back: ``tidy_run_dir``)."""
    if resume and not (folder / CONFIG).exists():
        raise RunError(f"{folder} is not a run folder: {CONFIG} is missing")
    if not resume and has_run(folder):
        raise RunError(
            f"{folder} already holds a run; continue it with `dagnas run --resume {folder}`"
            " or choose another --out"
        )


def _resumable(folder: Path) -> bool:
    """Whether a run folder has a checkpoint that finished an epoch (worth keeping)."""
    return can_resume(folder) and bool(read_jsonl(folder / METRICS))


def _discard(folder: Path, existed: bool, before: set[Path]) -> None:
    """Remove what a failed new run created in ``folder`` (the folder too if it made it)."""
    if not folder.exists():
        return
    for entry in set(folder.iterdir()) - before:
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    if not existed:
        with contextlib.suppress(OSError):
            folder.rmdir()


def has_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run that was started (a config or a checkpoint)."""
    return (run_dir / CHECKPOINT).exists() or (run_dir / CONFIG).exists()


def can_resume(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run with a checkpoint to continue from."""
    return (run_dir / CHECKPOINT).exists() and (run_dir / CONFIG).exists()


#: ``search:`` fields a resumed run may change (recorded in its config.yaml):
#: more epochs extend a run, the rest say where it runs, not what it searches.
RESUMABLE = ("epochs", "max_steps", "device", "data_root")


def with_shapes(spec: Any, data: DataSplits) -> Any:
    """``spec`` with the data's input shape and class count, as ``config.yaml`` holds it."""
    return spec.model_copy(
        update={"input_shape": list(data.input_shape), "num_classes": data.num_classes}
    )


def write_config(run_dir: Path, spec: Any) -> None:
    """Write ``config.yaml``: ``spec`` (with its data's shape, :func:`with_shapes`),
    so the run's graph can be rebuilt from the folder alone."""
    atomic_write_text(run_dir / CONFIG, dump_spec(spec))


def run_identity(spec: Any) -> dict[str, Any]:
    """What a checkpoint of ``spec`` must be resumed with: the spec less :data:`RESUMABLE`,
    as ``config.yaml`` gives it back (a spec's defaults fill in when it is read)."""
    found = parse_spec(dump_spec(spec)).model_dump(mode="json", by_alias=True)
    for name in RESUMABLE:
        found["search"].pop(name, None)
    return found


def load_run_spec(run_dir: Path) -> Any:
    """The spec a run folder was searched with."""
    if not (run_dir / CONFIG).exists():
        raise RunError(f"{run_dir} is not a run folder: {CONFIG} is missing")
    return load_space_file(run_dir / CONFIG)


def data_shape(spec: Any) -> tuple[tuple[int, ...], int]:
    """A run's input shape and class count: from its config, else from its data."""
    if spec.input_shape is None or spec.num_classes is None:  # a hand-made config
        data = load_search_data(spec.search)
        return tuple(data.input_shape), data.num_classes
    return tuple(spec.input_shape), spec.num_classes


def is_finished(run_dir: Path) -> bool:
    """Whether the search in ``run_dir`` wrote its result."""
    return (run_dir / SUMMARY).exists() and (run_dir / ARCHITECTURE).exists()


def read_result(run_dir: Path) -> tuple[dict[str, Any], nx.DiGraph]:
    """A finished run's summary and architecture."""
    return json.loads((run_dir / SUMMARY).read_text()), read_json(run_dir / ARCHITECTURE)

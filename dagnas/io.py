"""Atomic file writes: a reader sees the old file or the new one, never half.

Files are created with the mode an ordinary ``open`` would give them (0666
less the process's umask), so a colleague can read a run's results where
the umask allows it. JSON is strict: a non-finite number is written as
``null`` (strict parsers reject the ``NaN`` tokens Python's json emits).
JSON lines are appended one record at a time and read back after a kill.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from dagnas.errors import RunError

log = logging.getLogger(__name__)


def current_umask() -> int:
    """The process's umask, read without changing it where Linux allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore at once
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(f)`` on a temp file beside ``path``, fsync it, rename it over."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:  # name the file the caller writes, not the temp file beside it
        raise type(e)(e.errno, e.strerror, str(path)) from None
    try:
        os.fchmod(fd, 0o666 & ~current_umask())  # mkstemp's 0600 would hide results
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable where the OS allows syncing a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def finite_or_null(obj: Any) -> Any:
    """``obj`` with every non-finite float (NaN, ±inf), however deep, replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_null(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_or_null(v) for v in obj]
    return obj


def strict_json(obj: Any, **kwargs: Any) -> str:
    """Strict JSON text of ``obj``: non-finite numbers become ``null``."""
    return json.dumps(finite_or_null(obj), allow_nan=False, sort_keys=True, **kwargs)


def atomic_write_json(path: str | Path, obj: Any) -> Path:
    return atomic_write_text(path, strict_json(obj, indent=2) + "\n")


def append_jsonl(path: str | Path, record: dict[str, Any]) -> None:
    """Append one strict JSON line and flush it to disk."""
    with open(path, "a", encoding="utf-8") as f:
        f.write(strict_json(record) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_jsonl(path: str | Path, ints: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """The records (JSON objects) of a JSON-lines file (none if it is missing);
    the fields in ``ints``, where a record has them, must hold whole numbers.

    A torn last line (the process was killed while appending) is dropped with
    a warning; any other bad line is a :class:`RunError` naming it. Lines are
    written as ASCII (:func:`strict_json`), so one that is not UTF-8 is damage,
    never a torn write.
    """
    path = Path(path)
    if not path.exists():
        return []
    lines = _read_bytes(path).splitlines()
    records = []
    for i, line in enumerate(lines):
        try:
            record = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            raise RunError(f"{path}:{i + 1}: not UTF-8 text; fix or delete it") from None
        except json.JSONDecodeError:
            if i != len(lines) - 1:
                raise RunError(f"{path}:{i + 1}: not a JSON line; fix or delete it") from None
            log.warning("%s: dropping a torn last line", path)
            continue
        records.append(_check_record(record, ints, f"{path}:{i + 1}"))
    return records


def _read_bytes(path: Path) -> bytes:
    """The bytes of ``path``; RunError saying why when it cannot be read."""
    try:
        return path.read_bytes()
    except IsADirectoryError:
        raise RunError(
            f"{path} is a directory, not a JSON-lines file; move it away (and put the file"
            " back if you have it)"
        ) from None
    except OSError as e:
        raise RunError(f"cannot read {path}: {e.strerror or e}") from None


#: JSON's name for each type json.loads gives.
_JSON_TYPES = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}


def _check_record(record: Any, ints: tuple[str, ...], where: str) -> dict[str, Any]:
    """``record`` when it is a JSON object whose ``ints`` fields hold whole numbers."""
    if not isinstance(record, dict):
        kind = "null" if record is None else f"a JSON {_JSON_TYPES[type(record)]}"
        raise RunError(f"{where}: {kind}, not a record ({{...}}); fix or delete it")
    for name in ints:
        value = record.get(name, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise RunError(
                f"{where}: {name} is {json.dumps(value)}, not a whole number; fix or delete it"
            )
    return record


def new_folder(prefix: str, parent: str | Path = "runs") -> Path:
    """``PARENT/PREFIX-YYYYMMDD-HHMMSS`` (``-2``, ``-3``... if taken): a default
    output folder that never reuses an existing one (not created here)."""
    base = Path(parent) / f"{prefix}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder

"""The evaluations store: one SQLite file that several processes write safely.

Table ``evaluations`` holds one row per (canonical hash, space, dataset,
budget, seed) — the row key: isomorphic Architectures share a hash and so
one row, and inserting a key that exists already changes nothing
(``INSERT OR IGNORE``). Each row keeps the Architecture as node-link JSON,
the test accuracy and loss, parameters, FLOPs (MACs), wall time, and who
trained it. ``budget`` is canonical JSON of the training settings (epochs,
batch size, learning rate, data limit); ``epochs`` is also a column.

Table ``trainings`` logs every finished training, one line each, even when
its row existed already: more trainings than rows for a key means it was
trained twice.

Table ``meta`` (key, value) marks the file as a dagnas store: its
``schema_version`` (:data:`STORE_SCHEMA`), the ``hash_scheme`` of its
hashes (:data:`dagnas.versions.HASH_SCHEME`) and the ``dagnas_version`` that
created it. A store is only ever opened if it is one: a foreign SQLite file
or one of a newer schema is refused untouched, and a store whose hashes use
another scheme is read but not written (its rows would not match new ones).
Reading commands open it read-only (``EvalStore(path, readonly=True)``).

Concurrency: WAL journal (readers never block the writer), a busy timeout
(a writer waits for the lock instead of failing), and one ``BEGIN
IMMEDIATE`` transaction per insert. Nothing here imports torch.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from dagnas import __version__
from dagnas.errors import DagnasError
from dagnas.versions import HASH_SCHEME, STORE_SCHEMA

BUSY_TIMEOUT_MS = 60_000

#: the columns of an :class:`EvalKey`, in both tables
_KEY_SQL = """
    hash TEXT NOT NULL,
    space TEXT NOT NULL,
    dataset TEXT NOT NULL,
    budget TEXT NOT NULL,
    seed INTEGER NOT NULL,
"""
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS evaluations (
    id INTEGER PRIMARY KEY,
{_KEY_SQL}    epochs INTEGER NOT NULL,
    accuracy REAL NOT NULL,
    test_loss REAL NOT NULL,
    params INTEGER NOT NULL,
    flops INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    graph TEXT NOT NULL,
    worker TEXT NOT NULL,
    created REAL NOT NULL,
    UNIQUE (hash, space, dataset, budget, seed)
);
CREATE TABLE IF NOT EXISTS trainings (
    id INTEGER PRIMARY KEY,
{_KEY_SQL}    worker TEXT NOT NULL,
    finished REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
#: the tables of a store written before ``meta`` existed (hash scheme 1)
LEGACY_TABLES = {"evaluations", "trainings"}
KEY_COLUMNS = ("hash", "space", "dataset", "budget", "seed")


@dataclass(frozen=True)
class EvalKey:
    """What makes an evaluation unique."""

    hash: str
    space: str
    dataset: str
    budget: str
    seed: int


@dataclass(frozen=True)
class Evaluation:
    """One trained candidate: its key, results and graph (node-link dict)."""

    key: EvalKey
    epochs: int
    accuracy: float
    test_loss: float
    params: int
    flops: int
    wall_time: float
    graph: dict[str, Any]
    worker: str


def budget_json(settings: Mapping[str, Any]) -> str:
    """Canonical JSON of training settings: the ``budget`` part of a key."""
    return json.dumps(dict(settings), sort_keys=True, separators=(",", ":"))


def worker_id() -> str:
    """``host:pid`` of this process."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _use_wal(db: sqlite3.Connection) -> None:
    """Switch ``db`` to write-ahead logging.

    While another process is creating the same file, SQLite can answer this
    pragma "database is locked" at once, without waiting in its busy handler;
    so wait here, up to the same busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class EvalStore:
    """The evaluations in the SQLite file ``path`` (created with its tables if absent).

    ``readonly``: open an existing store for reading only; nothing in the file
    changes. A store opens one connection per process that uses it: pass the
    path, not the store, to other processes.
    """

    def __init__(self, path: str | os.PathLike[str], *, readonly: bool = False):
        self.path = Path(path)
        if self.path.is_dir():
            raise DagnasError(f"{self.path} is a folder; pass a store file, e.g. evals.sqlite")
        if readonly and not self.path.exists():
            raise DagnasError(f"{self.path}: no such store; write one with `dagnas evaluate`")
        try:
            self._db = _connect(self.path, readonly)
        except (OSError, sqlite3.OperationalError) as e:
            raise _unusable(self.path, readonly, e) from e
        try:
            with self._transaction(readonly) as db:
                self.meta = _open_store(db, self.path, readonly)
            if not readonly:
                _use_wal(self._db)
                self._db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.OperationalError as e:  # locked, unreadable or read-only
            self._db.close()
            raise _unusable(self.path, readonly, e) from e
        except sqlite3.DatabaseError as e:
            self._db.close()
            raise DagnasError(f"{self.path}: not an evaluations store ({e})") from e
        except DagnasError:
            self._db.close()
            raise

    @contextmanager
    def _transaction(self, readonly: bool = False) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` (``BEGIN`` if ``readonly``) … ``COMMIT`` (``ROLLBACK`` on error)."""
        self._db.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def add(self, ev: Evaluation) -> bool:
        """Insert ``ev`` and log its training, in one transaction; False if its key existed."""
        key = asdict(ev.key)
        row = {
            **key,
            "epochs": ev.epochs,
            "accuracy": ev.accuracy,
            "test_loss": ev.test_loss,
            "params": ev.params,
            "flops": ev.flops,
            "wall_time": ev.wall_time,
            "graph": json.dumps(ev.graph, sort_keys=True),
            "worker": ev.worker,
            "created": time.time(),
        }
        log = {**key, "worker": ev.worker, "finished": row["created"]}
        with self._transaction() as db:
            cur = db.execute(_insert("evaluations", row, ignore=True), row)
            db.execute(_insert("trainings", log, ignore=False), log)
        return cur.rowcount == 1

    def done(self, keys: Iterable[EvalKey]) -> set[EvalKey]:
        """The keys among ``keys`` that have a row."""
        have = {
            EvalKey(*r)
            for r in self._db.execute(f"SELECT {', '.join(KEY_COLUMNS)} FROM evaluations")
        }
        return {k for k in keys if k in have}

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        """Every evaluation as a dict (``graph`` parsed), optionally filtered by
        column equality (e.g. ``dataset="mnist"``), in insertion order."""
        bad = sorted(set(where) - {"space", "dataset", "epochs", "budget", "seed", "hash"})
        if bad:
            raise DagnasError(f"cannot filter evaluations by {bad}")
        sql = "SELECT * FROM evaluations"
        if where:
            sql += " WHERE " + " AND ".join(f"{c} = :{c}" for c in where)
        cur = self._db.execute(sql + " ORDER BY id", where)
        names = [c[0] for c in cur.description]
        out = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        for r in out:
            _check_row(r, self.path)
        return out

    def count(self, table: str = "evaluations") -> int:
        """Rows in ``evaluations`` or ``trainings``."""
        if table not in ("evaluations", "trainings"):
            raise DagnasError(f"unknown table {table!r}; expected evaluations or trainings")
        return int(self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> EvalStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(path: Path, readonly: bool) -> sqlite3.Connection:
    """A connection to ``path`` (read-only: by URI, so the file is never created or changed);
    a new store file is created first with 0666 less the umask, as every file dagnas
    writes (SQLite would make it 0644 less the umask; its -wal and -shm take the store's)."""
    if readonly:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    db.isolation_level = None  # transactions are explicit
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return db


def _open_store(db: sqlite3.Connection, path: Path, readonly: bool) -> dict[str, str]:
    """The ``meta`` of the store in ``db`` (inside a transaction), creating the
    tables of a new, empty file; DagnasError for anything that is not a store
    this dagnas may open so."""
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables and not readonly:
        for statement in SCHEMA.split(";"):
            db.execute(statement)
        meta = {
            "schema_version": str(STORE_SCHEMA),
            "hash_scheme": str(HASH_SCHEME),
            "dagnas_version": __version__,
        }
        db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
        return meta
    if "meta" in tables:
        meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
    elif tables >= LEGACY_TABLES:
        meta = {"schema_version": "0", "hash_scheme": "1", "dagnas_version": "an earlier one"}
    else:
        found = ", ".join(sorted(tables)) or "no tables"
        raise DagnasError(
            f"{path} is an SQLite file but not a dagnas evaluations store (it holds {found}"
            " and no 'meta' table); pass a store written by `dagnas evaluate`, or a new file"
        )
    _check_meta(meta, path, readonly)
    if not readonly:  # a write that changes nothing: a read-only file fails here, not
        db.execute("DELETE FROM evaluations WHERE 0")  # after the first training
    return meta


def _check_meta(meta: dict[str, str], path: Path, readonly: bool) -> None:
    """DagnasError for a store of a newer schema, or written with hashes of another
    scheme (when writing)."""
    try:
        schema, scheme = int(meta["schema_version"]), int(meta["hash_scheme"])
    except (KeyError, ValueError):
        raise DagnasError(
            f"{path}: its 'meta' table lacks schema_version/hash_scheme; it is not a store"
            " this dagnas wrote"
        ) from None
    made = meta.get("dagnas_version", "?")
    if schema > STORE_SCHEMA:
        raise DagnasError(
            f"{path} has store schema {schema} (dagnas {made}); this dagnas"
            f" ({__version__}) reads up to {STORE_SCHEMA}: upgrade dagnas"
        )
    if scheme != HASH_SCHEME and not readonly:
        raise DagnasError(
            f"{path} holds architecture hashes of scheme {scheme} (dagnas {made}); this dagnas"
            f" hashes with scheme {HASH_SCHEME}, so new rows would not match its rows:"
            " write to a new --store"
        )


def _unusable(path: Path, readonly: bool, cause: Exception) -> DagnasError:
    """The error for a store that SQLite (or the OS) cannot open as asked."""
    reason = getattr(cause, "strerror", None) or cause
    if readonly:
        return DagnasError(
            f"cannot read the store {path}: {reason}; check you may read it, and copy it to a"
            " folder you can write if it lies on read-only media (SQLite writes a -shm file"
            " beside it)"
        )
    return DagnasError(
        f"cannot write the store {path}: {reason}; give a --store path you can write"
    )


#: the number columns of ``evaluations``
_NUMBER_COLUMNS = ("seed", "epochs", "accuracy", "test_loss", "params", "flops", "wall_time")


def _check_row(row: dict[str, Any], path: Path) -> None:
    """Parse ``row["graph"]`` in place; DagnasError naming the row and column when
    a value is not what dagnas wrote there (the row was edited by hand)."""

    def bad(column: str, found: str) -> DagnasError:
        return DagnasError(
            f"{path}: evaluations row {row['id']}, column {column}: {found}; delete the row"
            f" (sqlite3 {path} 'DELETE FROM evaluations WHERE id = {row['id']}') or"
            " rebuild the store with `dagnas evaluate`"
        )

    for column in _NUMBER_COLUMNS:
        value = row[column]
        if not isinstance(value, int | float):
            raise bad(column, f"expected a number, found {value!r:.40}")
    try:
        row["graph"] = json.loads(row["graph"])
    except (TypeError, ValueError) as e:
        raise bad("graph", f"not JSON ({e})") from None
    if not isinstance(row["graph"], dict):
        raise bad("graph", f"expected a node-link JSON object, found {row['graph']!r:.40}")


def _insert(table: str, row: Mapping[str, Any], ignore: bool) -> str:
    cols = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    return f"{verb} INTO {table} ({cols}) VALUES ({marks})"

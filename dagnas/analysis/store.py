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

Concurrency: WAL journal (readers never block the writer), a busy timeout
(a writer waits for the lock instead of failing), and one ``BEGIN
IMMEDIATE`` transaction per insert. Nothing here imports torch.
"""

from __future__ import annotations

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

from dagnas.errors import DagnasError

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
"""
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

    A store opens one connection per process that uses it: pass the path,
    not the store, to other processes.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        if self.path.is_dir():
            raise DagnasError(f"{self.path} is a folder; pass a store file, e.g. evals.sqlite")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
            self._db.isolation_level = None  # transactions are explicit
            self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            _use_wal(self._db)
            self._db.execute("PRAGMA synchronous = NORMAL")
            with self._transaction() as db:
                for statement in SCHEMA.split(";"):
                    db.execute(statement)
        except sqlite3.DatabaseError as e:
            raise DagnasError(f"{self.path}: not an evaluations store ({e})") from e

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT`` (``ROLLBACK`` on error)."""
        self._db.execute("BEGIN IMMEDIATE")
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
            r["graph"] = json.loads(r["graph"])
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


def _insert(table: str, row: Mapping[str, Any], ignore: bool) -> str:
    cols = ", ".join(row)
    marks = ", ".join(f":{c}" for c in row)
    verb = "INSERT OR IGNORE" if ignore else "INSERT"
    return f"{verb} INTO {table} ({cols}) VALUES ({marks})"

"""The SQLite evaluations store: one row per key, isomorphic graphs one row, safe writers."""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3

import networkx as nx
import pytest

from dagnas.analysis.store import EvalStore
from dagnas.errors import DagnasError
from dagnas.graph import canonical_hash, to_json_dict
from tests.analysis.synth import layered_archs
from tests.analysis.writers import evaluation, write_rows


def test_a_key_is_stored_once_and_every_training_is_logged(tmp_path):
    with EvalStore(tmp_path / "s.sqlite") as db:
        assert db.add(evaluation("a", acc=0.5))
        assert not db.add(evaluation("a", acc=0.9))  # same key: ignored
        assert db.add(evaluation("a", seed=1))
        assert db.add(evaluation("a", dataset="mnist"))
        assert db.count() == 3 and db.count("trainings") == 4
        assert [r["accuracy"] for r in db.rows(seed=0, dataset="digits")] == [0.5]
        assert db.rows(dataset="mnist")[0]["graph"] == {"h": "a"}
        assert db.done([evaluation("a").key, evaluation("b").key]) == {evaluation("a").key}


def relabelled(arch: nx.DiGraph) -> nx.DiGraph:
    """An isomorphic copy with other node ids, in another insertion order."""
    names = {n: f"renamed{i}" for i, n in enumerate(reversed(list(arch)))}
    g = nx.DiGraph(**arch.graph)
    g.add_nodes_from((names[n], d) for n, d in reversed(list(arch.nodes(data=True))))
    g.add_edges_from((names[u], names[v], d) for u, v, d in arch.edges(data=True))
    return g


def test_isomorphic_candidates_are_one_row(tmp_path):
    arch = layered_archs(1, seed=5)[0]
    twin = relabelled(arch)
    assert to_json_dict(twin) != to_json_dict(arch)
    with EvalStore(tmp_path / "s.sqlite") as db:
        assert db.add(evaluation(canonical_hash(arch)))
        assert not db.add(evaluation(canonical_hash(twin)))
        assert db.count() == 1


def test_two_processes_writing_at_once_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)  # both write at the same time
    # 300 rows each, rows 250..299 written by both: 550 distinct keys
    procs = [ctx.Process(target=write_rows, args=(path, s, 300, start)) for s in (0, 250)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    with EvalStore(path) as db:
        assert db.count() == 550
        assert db.count("trainings") == 600
        assert {r["hash"] for r in db.rows()} == {f"h{i}" for i in range(550)}
    log = sqlite3.connect(path).execute("SELECT worker FROM trainings ORDER BY id").fetchall()
    switches = sum(a != b for a, b in itertools.pairwise(log))
    assert switches >= 10  # the writers' transactions interleaved


def test_bad_paths_and_filters_are_clear_errors(tmp_path):
    with pytest.raises(DagnasError, match="is a folder"):
        EvalStore(tmp_path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database" * 100)
    with pytest.raises(DagnasError, match="not an evaluations store"):
        EvalStore(junk)
    with EvalStore(tmp_path / "s.sqlite") as db:
        with pytest.raises(DagnasError, match="cannot filter evaluations by"):
            db.rows(accuracy=1)
        with pytest.raises(DagnasError, match="unknown table"):
            db.count("graphs")


def test_the_store_is_plain_sqlite_in_wal_mode(tmp_path):
    with EvalStore(tmp_path / "s.sqlite") as db:
        db.add(evaluation("a"))
    con = sqlite3.connect(tmp_path / "s.sqlite")
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT hash, accuracy FROM evaluations").fetchall() == [("a", 0.5)]

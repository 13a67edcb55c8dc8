"""The SQLite evaluations store: one row per key, isomorphic graphs one row, safe writers."""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3

import networkx as nx
import pytest
from click.testing import CliRunner

import dagnas
from dagnas.analysis.store import EvalStore
from dagnas.cli import main
from dagnas.errors import DagnasError
from dagnas.graph import canonical_hash, to_json_dict
from dagnas.versions import HASH_SCHEME, STORE_SCHEMA
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


# --- what is a store: the meta table, read-only reading --------------------------------


def _foreign(path) -> bytes:
    """A foreign SQLite file (one table of someone else's) at ``path``; its bytes."""
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE people (name TEXT)")
    con.execute("INSERT INTO people VALUES ('ada')")
    con.commit()
    con.close()
    return path.read_bytes()


@pytest.mark.parametrize("readonly", [False, True])
def test_a_foreign_sqlite_file_is_refused_untouched(tmp_path, readonly):
    path = tmp_path / "theirs.sqlite"
    before = _foreign(path)
    with pytest.raises(DagnasError, match=r"not a dagnas evaluations store.*people"):
        EvalStore(path, readonly=readonly)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.sqlite"]  # no -wal/-shm
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_new_store_records_its_schema_hash_scheme_and_version(tmp_path):
    with EvalStore(tmp_path / "s.sqlite") as db:
        meta = db.meta
    assert meta == {
        "schema_version": str(STORE_SCHEMA),
        "hash_scheme": str(HASH_SCHEME),
        "dagnas_version": dagnas.__version__,
    }
    con = sqlite3.connect(tmp_path / "s.sqlite")
    assert dict(con.execute("SELECT key, value FROM meta").fetchall()) == meta


def test_reading_changes_nothing(tmp_path):
    path = tmp_path / "s.sqlite"
    with EvalStore(path) as db:
        db.add(evaluation("a"))
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode = DELETE")  # a store copied elsewhere, checkpointed
    con.close()
    before = path.read_bytes()
    with EvalStore(path, readonly=True) as db:
        assert [r["hash"] for r in db.rows()] == ["a"]
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            db.add(evaluation("b"))
    assert path.read_bytes() == before
    with pytest.raises(DagnasError, match="no such store"):
        EvalStore(tmp_path / "absent.sqlite", readonly=True)
    assert not (tmp_path / "absent.sqlite").exists()


def _set_meta(path, key: str, value: str) -> None:
    con = sqlite3.connect(path)
    con.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))
    con.commit()
    con.close()


def test_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.sqlite"
    EvalStore(path).close()
    _set_meta(path, "schema_version", str(STORE_SCHEMA + 1))
    for readonly in (False, True):
        with pytest.raises(DagnasError, match="upgrade dagnas"):
            EvalStore(path, readonly=readonly)


def test_hashes_of_another_scheme_are_read_but_not_added_to(tmp_path):
    path = tmp_path / "s.sqlite"
    with EvalStore(path) as db:
        db.add(evaluation("a"))
    _set_meta(path, "hash_scheme", str(HASH_SCHEME - 1))
    with EvalStore(path, readonly=True) as db:
        assert db.count() == 1
    with pytest.raises(DagnasError, match="new --store"):
        EvalStore(path)


def test_analyze_leaves_a_foreign_file_alone(tmp_path):
    path = tmp_path / "theirs.sqlite"
    before = _foreign(path)
    result = CliRunner().invoke(main, ["analyze", str(path)])
    assert result.exit_code != 0
    assert "not a dagnas evaluations store" in result.output
    assert "Traceback" not in result.output
    assert path.read_bytes() == before

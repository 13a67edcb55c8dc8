"""Look-ups of run folders and of every epoch of a run; the NATS-Bench adapter."""

from __future__ import annotations

import sys
import types

import pytest

from dagnas.bench import NatsBench, open_source, query_epochs, query_run
from dagnas.errors import DagnasError
from tests.bench.runs import CONV, MIXED, SKIP, write_csv, write_run


def test_run_folder_is_looked_up_by_its_architecture(tmp_path):
    table = open_source(write_csv(tmp_path / "t.csv"))
    run = write_run(tmp_path / "run", [CONV, MIXED])
    hit = query_run(table, run)
    assert (hit.arch, hit.metrics["test_acc"], hit.epoch) == (MIXED, 80.5, None)


def test_every_epoch_is_derived_and_looked_up(tmp_path):
    table = open_source(write_csv(tmp_path / "t.csv"))
    hits = query_epochs(table, write_run(tmp_path / "run", [CONV, MIXED, SKIP]))
    assert [(h.epoch, h.arch, h.metrics["test_acc"]) for h in hits] == [
        (1, CONV, 93.5),
        (2, MIXED, 80.5),
        (3, SKIP, 10.0),
    ]


def test_a_torn_last_line_is_skipped(tmp_path):
    run = write_run(tmp_path / "run", [CONV, SKIP])
    with (run / "alpha.jsonl").open("a") as f:
        f.write('{"epoch": 3, "weig')
    hits = query_epochs(open_source(write_csv(tmp_path / "t.csv")), run)
    assert [h.epoch for h in hits] == [1, 2]


def test_run_folder_errors(tmp_path):
    table = open_source(write_csv(tmp_path / "t.csv"))
    with pytest.raises(DagnasError, match=r"no architecture\.json"):
        query_run(table, tmp_path)
    with pytest.raises(DagnasError, match=r"config\.yaml is missing"):
        query_epochs(table, tmp_path)
    run = write_run(tmp_path / "run", [CONV])
    (run / "alpha.jsonl").unlink()
    with pytest.raises(DagnasError, match=r"no alpha\.jsonl"):
        query_epochs(table, run)


class FakeApi:
    """A stand-in for ``nats_bench.create(...)``: two architectures."""

    scores = {CONV: 94.1, SKIP: 10.0}

    def __init__(self, path, space, fast_mode, verbose):
        self.space, self.fast_mode = space, fast_mode

    def query_index_by_arch(self, text):
        return list(self.scores).index(text) if text in self.scores else -1

    def get_more_info(self, index, dataset, hp, is_random):
        acc = list(self.scores.values())[index]
        return {"test-accuracy": acc, "train-loss": 0.1, "comment": dataset + hp}


def test_nats_adapter_calls_the_api_as_documented(tmp_path, monkeypatch):
    """Against a stand-in of the API: the real benchmark files are not here."""
    monkeypatch.setitem(sys.modules, "nats_bench", types.SimpleNamespace(create=FakeApi))
    (tmp_path / "NATS-tss").mkdir()
    (tmp_path / "NATS-tss" / "meta.pickle.pbz2").touch()
    bench = open_source(tmp_path / "NATS-tss", dataset="cifar100", hp="12")
    assert isinstance(bench, NatsBench) and bench.api.fast_mode and bench.api.space == "tss"
    assert bench.lookup(CONV) == {"test-accuracy": 94.1, "train-loss": 0.1}
    with pytest.raises(DagnasError, match=r"architecture \|.* is not in NATS-Bench"):
        bench.lookup(MIXED)


def test_nats_errors(tmp_path, monkeypatch):
    with pytest.raises(DagnasError, match="no such NATS-Bench"):
        NatsBench(tmp_path / "nope")
    with pytest.raises(DagnasError, match="unknown NATS-Bench dataset 'cifar11'"):
        NatsBench(tmp_path, dataset="cifar11")
    monkeypatch.setitem(sys.modules, "nats_bench", None)
    with pytest.raises(DagnasError, match=r"pip install 'dagnas\[nats\]'"):
        NatsBench(tmp_path)

"""How long a search's final architecture held: each epoch's ``derived`` digest,
the summary's ``held_epochs``, and the near-uniform warning they gate."""

from __future__ import annotations

import itertools
import logging

import torch

import dagnas
from dagnas.bench import epoch_architectures
from dagnas.engine.callbacks import held_epochs
from dagnas.engine.derive import derive
from dagnas.graph import canonical_hash
from dagnas.spaces import load_space
from dagnas.workflows.search import HELD_EPOCHS, _decidedness


def test_held_epochs_counts_the_final_run_of_equal_digests() -> None:
    assert held_epochs([]) == 0
    assert held_epochs([{"derived": "a"}, {"derived": "b"}, {"derived": "b"}]) == 2
    assert held_epochs([{"derived": "b"}, {"derived": "a"}, {"derived": "b"}]) == 1
    assert held_epochs([{}, {"derived": "b"}]) == 1  # a record written before digests
    assert held_epochs([{"derived": "b"}, {}]) == 0


def test_equal_digests_are_equal_architectures(tmp_path) -> None:
    """The digests against the architectures ``dagnas query --epochs`` derives
    from ``alpha.jsonl`` (canonical hashes): the same changes, the same hold."""
    run = tmp_path / "run"
    out = dagnas.search(load_space("nb201_tiny"), run, epochs=8, seed=0, device="cpu")
    digests = [m["derived"] for m in out.metrics]
    hashes = [canonical_hash(a) for _, a in epoch_architectures(run)]
    assert len(digests) == len(hashes) == 8
    same = [a == b for a, b in itertools.pairwise(digests)]
    assert same == [a == b for a, b in itertools.pairwise(hashes)]
    assert True in same and False in same  # it changed and it held: both were compared
    held = next(i for i in range(1, 9) if hashes[-i] != hashes[-1]) - 1
    assert out.summary["held_epochs"] == held


def test_near_uniform_weights_warn_only_when_the_architecture_did_not_hold(
    tiny_dag_graph, caplog
) -> None:
    g = tiny_dag_graph
    weights = {
        d["key"]: torch.linspace(1.0, 1.04, len(d["ops"])).softmax(0)
        for _, _, d in g.edges(data=True)
        if "ops" in d
    }
    arch = derive(g, weights)
    with caplog.at_level(logging.INFO, logger="dagnas.workflows.search"):
        held = _decidedness(arch, [{"derived": "a"}] + [{"derived": "b"}] * HELD_EPOCHS)
        assert held["near_uniform"] and held["held_epochs"] == HELD_EPOCHS
        assert [r.levelname for r in caplog.records] == ["INFO"]
        assert "held for the last 5 epochs" in caplog.text
        caplog.clear()
        moved = _decidedness(arch, [{"derived": "a"}] + [{"derived": "b"}] * (HELD_EPOCHS - 1))
        assert moved["near_uniform"] and moved["held_epochs"] == HELD_EPOCHS - 1
        assert [r.levelname for r in caplog.records] == ["WARNING"]
        assert "close to arbitrary" in caplog.text

"""An architecture whose output only zero ops reach: the search says so, and a
network with nothing to train is refused with that reason, not a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

import dagnas
from dagnas.compile import ChildNet
from dagnas.data import load_dataset
from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import all_architectures
from dagnas.graph import dead_outputs
from dagnas.spaces import load_space
from dagnas.spec import parse_spec
from dagnas.workflows.search import RunOutcome

# One searched edge, zero or linear: one step leaves the two weights equal to four
# decimals, and argmax keeps `zero` (as the search's seed 0 does).
ZERO_OR_LINEAR = """
kind: dag
name: zl
nodes:
  - {name: x, role: input}
  - {name: out, role: output}
edges:
  - {from: x, to: out, ops: [zero, linear]}
search: {data: digits, data_limit: 64, seed: 0}
"""


@pytest.fixture(scope="module")
def cut_run(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    run = tmp_path_factory.mktemp("cut") / "run"
    return dagnas.search(parse_spec(ZERO_OR_LINEAR), run, max_steps=1, epochs=1, device="cpu")


def test_the_search_warns_when_only_zero_ops_reach_the_output(cut_run: RunOutcome) -> None:
    assert [d["op"] for *_, d in cut_run.architecture.edges(data=True)] == ["zero"]
    assert dead_outputs(cut_run.architecture) == ["dag:out"]
    warning = [w for w in cut_run.summary["warnings"] if "only zero ops" in w]
    assert warning and "'dag:out'" in warning[0] and "--rule topk" in warning[0]


def test_a_network_with_nothing_to_train_is_refused_with_the_reason(cut_run: RunOutcome) -> None:
    with pytest.raises(DagnasError, match="nothing to train: only zero ops lead to its output"):
        ChildNet(cut_run.architecture)
    arch = Path(cut_run.run_dir) / "architecture.json"
    for cmd in (["train", str(arch), "--train-epochs", "1"], ["export", str(arch), "--to", "onnx"]):
        done = subprocess.run(
            [sys.executable, "-m", "dagnas", *cmd], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert "nothing to train: only zero ops lead to its output 'dag:out'" in done.stderr


def test_a_cell_cut_off_by_none_is_dead_but_still_trains() -> None:
    """NB201's cells whose output `none` cuts off are members of its table (they
    score 0.10): the network keeps its stem and classifier, so it trains."""
    data = load_dataset("digits")
    graph = dagnas.lower(load_space("nb201_tiny"), data.input_shape, data.num_classes)
    archs = list(all_architectures(graph))

    def ops(a: nx.DiGraph) -> set[str]:
        return {d["op"] for *_, d in a.edges(data=True) if d.get("searched")}

    cut = next(a for a in archs if ops(a) == {"none"})
    convs = next(a for a in archs if ops(a) == {"nor_conv_3x3"})
    assert dead_outputs(cut) and not dead_outputs(convs)
    assert sum(p.numel() for p in ChildNet(cut).parameters()) > 0

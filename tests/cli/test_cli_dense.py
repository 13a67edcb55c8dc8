"""`dagnas run` and `dagnas sample` on dense-block spaces, end to end."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.compile import ChildNet
from dagnas.export import read_json
from dagnas.samplers import DagConstraints, from_networkx, space_size


@pytest.mark.slow
def test_run_dense_digits_writes_architecture_and_block_history(tmp_path):
    out = tmp_path / "run"
    # digits at batch 256: 2 steps per epoch; resample after epoch 2, then a partial third
    args = ["run", "spaces/dense_digits.yaml", "--max-steps", "5", "--batch-size", "256"]
    args += ["--out", str(out), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(s) for s in (out / "blocks.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in lines] == [1, 2, 3]
    assert [r["resampled"] for r in lines] == [False, True, False]
    before, after = lines[1]["stages"]["s0"], lines[2]["stages"]["s0"]
    for new in before["replaced"]:
        assert after["blocks"][new["slot"]]["edges"] == new["edges"]
    assert len(before["replaced"]) <= 6 - 3  # the density sampler keeps k // 2
    arch = read_json(out / "architecture.json")
    chosen = arch.graph["chosen"]["s0"]
    assert chosen["edges"] == after["blocks"][chosen["slot"]]["edges"]
    assert chosen["alpha"] == max(chosen["weights"])
    n_params = sum(p.numel() for p in ChildNet(arch).parameters())
    assert n_params == len(chosen["edges"]) * (64 * 64 + 64) + 64 * 10 + 10


def test_sample_reports_the_space_size_and_writes_node_link_dags(tmp_path):
    out = tmp_path / "dags"
    args = ["sample", "spaces/dense_mnist.yaml", "-n", "6", "--seed", "4", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    size = space_size(DagConstraints(5))
    assert f"stage s0: {size} distinct DAGs on 5 vertices" in result.output
    data = json.loads((out / "samples.json").read_text())
    (stage,) = data["stages"]
    assert stage["size"] == size and len(stage["dags"]) == 6
    blocks = [from_networkx(nx.node_link_graph(d, edges="edges")) for d in stage["dags"]]
    assert all(DagConstraints(5).admits(b) for b in blocks)
    assert len(set(blocks)) == 6
    for b, line in zip(blocks, result.output.splitlines()[1:7], strict=True):
        assert line.split(": ", 1)[1] == " ".join(f"{i}->{j}" for i, j in b)


def test_sample_shows_the_whole_space_when_asked_for_more(tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("kind: dense_blocks\nstages: [{blocks: 2, vertices: 3, width: 4}]\n")
    result = CliRunner().invoke(main, ["sample", str(spec), "-n", "20"])
    assert result.exit_code == 0, result.output
    assert "2 distinct DAGs on 3 vertices" in result.output
    assert sorted(result.output.splitlines()[1:]) == ["    0: 0->1 0->2 1->2", "    1: 0->1 1->2"]


def test_sample_refuses_other_kinds_and_bad_specs(tmp_path):
    result = CliRunner().invoke(main, ["sample", "mlp_dag"])
    assert result.exit_code == 1
    assert "only dense_blocks spaces hold sampled DAGs; this space is 'dag'" in result.output
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: dense_blocks\nstages:\n  - {blocks: 3, vertices: 3, width: 4}\n")
    result = CliRunner().invoke(main, ["sample", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml:3: stages[0].blocks: blocks=3 but the constrained space" in result.output

"""The `dagnas` command end to end on real data."""

from __future__ import annotations

import json

import networkx as nx
import pytest
from click.testing import CliRunner

from dagnas.cli import main

TINY = """\
kind: darts_cell
name: tiny
channels: 4
layers: 2
reductions: [1]
stem_multiplier: 1
nodes: 2
ops: [none, skip_connect, max_pool_3x3, sep_conv_3x3]
search: {epochs: 2, batch_size: 32, data_limit: 200}
"""


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def tiny_yaml(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_run_writes_the_run_folder(tiny_yaml, tmp_path):
    out = tmp_path / "run"
    result = invoke("run", str(tiny_yaml), "--out", str(out), "-q", "--seed", "3")
    assert result.exit_code == 0, result.output
    for name in (
        "config.yaml",
        "metrics.jsonl",
        "alpha.jsonl",
        "checkpoint.pt",
        "summary.json",
        "architecture.json",
        "architecture.graphml",
        "architecture.png",
    ):
        assert (out / name).exists(), name
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [m["epoch"] for m in lines] == [1, 2]
    assert {"train_loss", "val_acc", "step_time", "arch_steps"} <= set(lines[0])
    arch = nx.node_link_graph(json.loads((out / "architecture.json").read_text()), edges="edges")
    searched = [d for _, _, d in arch.edges(data=True) if d.get("searched")]
    assert len(searched) == 2 * 2 * 2  # 2 cells × 2 nodes × top-2 edges
    assert all(d["op"] != "none" for d in searched)
    assert {d["role"] for _, d in arch.nodes(data=True)} == {"input", "hidden", "output"}
    config = (out / "config.yaml").read_text()
    assert "seed: 3" in config and "momentum: 0.9" in config  # resolved: defaults filled in


def test_command_line_overrides_yaml(tiny_yaml, tmp_path):
    out = tmp_path / "run"
    assert invoke("run", str(tiny_yaml), "--out", str(out), "-q", "--max-steps", "3").exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 3


def test_existing_run_folder_is_not_overwritten(tiny_yaml, tmp_path):
    out = tmp_path / "run"
    invoke("run", str(tiny_yaml), "--out", str(out), "-q", "--max-steps", "1")
    result = CliRunner().invoke(main, ["run", str(tiny_yaml), "--out", str(out), "-q"])
    assert result.exit_code == 1
    assert "already holds a run" in result.output and "--resume" in result.output


def test_mnist_run_from_torchvision_layout(shared_data, tmp_path):
    out = tmp_path / "mnist"
    result = invoke(
        "run",
        "darts_digits",
        "--data",
        "mnist",
        "--data-root",
        str(shared_data),
        "--data-limit",
        "256",
        "--max-steps",
        "2",
        "--batch-size",
        "16",
        "--out",
        str(out),
        "-q",
    )
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text())["data"] == "mnist"


def test_nb201_on_cifar_subset_prints_nb201_string(shared_data, tmp_path):
    out = tmp_path / "nb201"
    result = invoke(
        "run",
        "spaces/nb201.yaml",
        "--data",
        "cifar10",
        "--data-root",
        str(shared_data),
        "--data-limit",
        "64",
        "--max-steps",
        "1",
        "--batch-size",
        "8",
        "--out",
        str(out),
        "-q",
    )
    assert result.exit_code == 0, result.output
    s = json.loads((out / "summary.json").read_text())["nb201"]
    nodes = s.split("+")
    assert [n.count("~") for n in nodes] == [1, 2, 3]
    ops = {"none", "skip_connect", "nor_conv_1x1", "nor_conv_3x3", "avg_pool_3x3"}
    for j, node in enumerate(nodes):
        parts = node.strip("|").split("|")
        assert [p.split("~")[1] for p in parts] == [str(i) for i in range(j + 1)]
        assert {p.split("~")[0] for p in parts} <= ops


def test_bad_spec_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: darts_cell\nops: [skip_connect, sep_conv3x3]\n")
    for cmd in ("run", "validate"):
        result = CliRunner().invoke(main, [cmd, str(bad)])
        assert result.exit_code == 2
        assert f"{bad}:2: ops[1]: unknown op 'sep_conv3x3'" in result.output
        assert "Traceback" not in result.output


def test_missing_data_folder_says_what_is_expected(tiny_yaml, tmp_path):
    result = CliRunner().invoke(
        main,
        [
            "run",
            str(tiny_yaml),
            "--data",
            "mnist",
            "--data-root",
            str(tmp_path / "nowhere"),
            "--out",
            str(tmp_path / "r"),
        ],
    )
    assert result.exit_code == 1
    assert "train-images-idx3-ubyte" in result.output and "Traceback" not in result.output


def test_validate_spaces_schema():
    result = invoke("validate", "spaces/darts_cifar10.yaml", "nb201", "mlp_dag")
    assert result.exit_code == 0 and result.output.count(": ok") == 3
    listed = invoke("spaces").output
    for name in ("darts_digits", "darts_cifar10", "nb201", "mlp_dag"):
        assert name in listed
    [default] = [line for line in listed.splitlines() if line.endswith("(default)")]
    assert default.startswith("nb201_tiny ")
    rows = json.loads(invoke("spaces", "--json").output)
    assert [r["space"] for r in rows if r["default"]] == ["nb201_tiny"]
    schema = json.loads(invoke("schema").output)
    kinds = json.dumps(schema)
    assert "darts_cell" in kinds and '"dag"' in kinds


def test_dag_space_runs_on_digits(tmp_path):
    out = tmp_path / "dag"
    assert invoke("run", "mlp_dag", "--max-steps", "5", "--out", str(out), "-q").exit_code == 0
    arch = json.loads((out / "architecture.json").read_text())
    assert arch["graph"]["kind"] == "dag"

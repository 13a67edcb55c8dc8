"""`dagnas derive`: per-λ architectures of a hypernet run, other rules, errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.compile import ChildNet
from dagnas.export import read_json
from tests.conftest import TINY_CELL, TINY_DAG, TINY_DENSE

LAMS = ["1e-04", "1e-03", "1e-02", "1e-01"]


def short_run(tmp_path, relaxation: str) -> str:
    space = tmp_path / "space.yaml"
    space.write_text(
        TINY_CELL + f"search: {{epochs: 1, batch_size: 64, relaxation: {relaxation}}}\n"
    )
    out = str(tmp_path / "run")
    result = CliRunner().invoke(main, ["run", str(space), "--max-steps", "2", "--out", out, "-q"])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.slow
def test_per_lambda_derivation_of_a_hypernet_run(tmp_path):
    run = short_run(tmp_path, "{name: hypernet, hidden: [3]}")
    config = (tmp_path / "run" / "config.yaml").read_text()
    assert "num_classes: 10" in config and "input_shape:" in config
    result = CliRunner().invoke(main, ["derive", run, "--lambda", ",".join(LAMS)])
    assert result.exit_code == 0, result.output
    for lam in LAMS:
        stem = tmp_path / "run" / f"architecture_lam{lam}"
        for ext in ("json", "graphml", "png"):
            assert stem.with_suffix(f".{ext}").exists()
        arch = read_json(stem.with_suffix(".json"))
        params = sum(p.numel() for p in ChildNet(arch).parameters())
        assert f"architecture_lam{lam}" in result.output and str(params) in result.output
    assert "topk" in result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["kind"] == "darts_cell"


@pytest.mark.slow
def test_rederive_with_another_rule_and_errors(tmp_path):
    run = short_run(tmp_path, "sparse_simplex")
    result = CliRunner().invoke(main, ["derive", run, "--rule", "support"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "architecture_support.json").exists()
    result = CliRunner().invoke(main, ["derive", run, "--rule", "perturbation"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "run" / "architecture_perturbation.json").exists()
    result = CliRunner().invoke(main, ["derive", run, "--lambda", "1e-3"])
    assert result.exit_code == 1
    assert "--lambda needs a hypernet run" in result.output and "'sparse_simplex'" in result.output
    result = CliRunner().invoke(main, ["derive", run, "--rule", "suport"])
    assert result.exit_code == 1 and "did you mean 'support'?" in result.output
    result = CliRunner().invoke(main, ["derive", run, "--lambda", "1e-3,x"])
    assert result.exit_code == 2 and "not a comma-separated list of numbers" in result.output
    result = CliRunner().invoke(main, ["derive", str(tmp_path)])
    assert result.exit_code == 1 and "config.yaml is missing" in result.output


@pytest.mark.parametrize(
    ("space", "rule", "kind"),
    [(TINY_DAG, "best_block", "dag"), (TINY_DENSE, "perturbation", "dense_blocks")],
)
def test_a_rule_of_another_kind_is_refused(tmp_path, space: str, rule: str, kind: str):
    (tmp_path / "space.yaml").write_text(space + "search: {epochs: 1, batch_size: 64}\n")
    out = str(tmp_path / "run")
    args = ["run", str(tmp_path / "space.yaml"), "--max-steps", "1", "--out", out, "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    result = CliRunner().invoke(main, ["derive", out, "--rule", rule])
    assert result.exit_code == 1, result.output
    assert f"--rule {rule} does not apply" in result.output and f"a {kind} space" in result.output
    assert "Traceback" not in result.output


def test_a_dense_run_is_rederived_by_its_block_rules(tmp_path):
    (tmp_path / "space.yaml").write_text(TINY_DENSE + "search: {epochs: 1, batch_size: 64}\n")
    run = str(tmp_path / "run")
    args = ["run", str(tmp_path / "space.yaml"), "--max-steps", "2", "--out", run, "-q"]
    assert CliRunner().invoke(main, args).exit_code == 0
    found = json.loads((tmp_path / "run" / "architecture.json").read_text())
    last = json.loads((tmp_path / "run" / "blocks.jsonl").read_text().splitlines()[-1])
    held = [b["edges"] for b in last["stages"]["s0"]["blocks"]]
    for rule in ("best_block", "one_shot"):
        result = CliRunner().invoke(main, ["derive", run, "--rule", rule])
        assert result.exit_code == 0, result.output
        arch = read_json(tmp_path / "run" / f"architecture_{rule}.json")
        chosen = arch.graph["chosen"]["s0"]
        assert chosen["edges"] == held[chosen["slot"]]
        if rule == "best_block":  # the rule the run ended with: the same block
            assert chosen["edges"] == found["graph"]["chosen"]["s0"]["edges"]
        else:
            assert 0 <= chosen["val_acc"] <= 1 and len(chosen["scores"]) == len(chosen["weights"])

"""A search with DARTS+ early stopping, end to end: it stops, summary.json says
when and why, the architecture is the stopping epoch's, and a resume stays stopped."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dagnas.cli import main

SPACE = """\
kind: dag
name: tiny_stop
nodes:
  - {name: x, role: input}
  - {name: a, width: 8}
  - {name: out, role: output}
edges:
  - {from: x, to: a, ops: [linear_relu, linear]}
  - {from: a, to: out, ops: [linear, zero]}
search:
  data: digits
  data_limit: 200
  epochs: 8
  batch_size: 50
  arch: {lr: 0.1}
  early_stop: {name: darts_plus, patience: 2}
"""


def run(*args: str) -> None:
    result = CliRunner().invoke(main, ["run", *args, "-q"], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_search_stops_early_records_why_and_stays_stopped(tmp_path):
    space, out = tmp_path / "space.yaml", tmp_path / "run"
    space.write_text(SPACE)
    run(str(space), "--out", str(out))
    summary = json.loads((out / "summary.json").read_text())
    stop = summary["early_stop"]
    assert stop["reason"].endswith("(DARTS+ criterion 2)")
    assert 3 <= stop["epoch"] == summary["epochs"] < 8
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == stop["epoch"]
    last_alpha = json.loads((out / "alpha.jsonl").read_text().splitlines()[-1])
    arch = json.loads((out / "architecture.json").read_text())
    kept = {e["key"]: e["weights"] for e in arch["edges"] if e.get("searched")}
    assert kept == {k: last_alpha["weights"][k] for k in kept}  # derived at the stop
    run("--resume", str(out), "--epochs", "12")  # the criterion was met: it stays stopped
    assert (out / "metrics.jsonl").read_text().splitlines() == lines
    assert json.loads((out / "summary.json").read_text())["early_stop"] == stop
    assert json.loads((out / "architecture.json").read_text()) == arch

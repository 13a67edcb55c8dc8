"""Divergence that looks like success: a non-finite validation loss (BatchNorm
statistics blown up while each step's loss stays finite) rolls back, then stops;
a huge but finite loss is a warning in the summary."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner

import dagnas
import dagnas.workflows.search
from dagnas.cli import main
from dagnas.workflows.search import HUGE_LOSS, loss_warnings

#: A BatchNorm cell searched with a weights learning rate of 1e6: the training
#: loss stays finite, the running statistics (and so the validation loss) do not.
BLOWN = """\
kind: darts_cell
name: blown
channels: 4
layers: 2
reductions: [1]
stem_multiplier: 1
nodes: 2
ops: [none, skip_connect, sep_conv_3x3]
search: {epochs: 2, batch_size: 32, data_limit: 96, weights: {lr: 1.0e+6}}
"""


@pytest.mark.slow
def test_a_non_finite_validation_loss_rolls_back_then_stops(tmp_path):
    space = tmp_path / "blown.yaml"
    space.write_text(BLOWN)
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(space), "--out", str(out), "-q"])
    assert result.exit_code == 1, result.output
    assert "the search diverged: the validation loss became non-finite" in result.output
    assert "after 2 rollback(s)" in result.output  # search.on_divergence.retries
    assert not (out / "summary.json").exists()
    metrics = out / "metrics.jsonl"  # any epoch recorded is a finite one
    for line in metrics.read_text().splitlines() if metrics.exists() else []:
        assert math.isfinite(json.loads(line)["val_loss"])


def test_a_huge_finite_loss_is_a_warning():
    assert loss_warnings([{"val_loss": 1.6e26}], 10)[0].startswith(
        "the validation loss ended at 1.6e+26, more than 1000 × log(10) = 2.3e+03"
    )
    assert loss_warnings([{"val_loss": HUGE_LOSS * math.log(10) * 0.99}], 10) == []
    assert loss_warnings([], 10) == []


def test_the_summary_holds_warnings_and_non_finite_fields(tmp_path, monkeypatch):
    monkeypatch.setattr(dagnas.workflows.search, "HUGE_LOSS", 0.0)  # any loss is huge
    out = dagnas.search("mlp_dag", tmp_path / "run", max_steps=2, epochs=1, data_limit=64)
    summary = json.loads((out.run_dir / "summary.json").read_text())
    assert summary["non_finite"] == [] and len(summary["warnings"]) == 1
    assert summary["warnings"] == out.summary["warnings"]

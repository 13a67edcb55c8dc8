"""`dagnas compare` end to end on digits: tables, plot, resumption, bad names."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dagnas.cli import main

SPACE = """\
kind: darts_cell
name: tiny_compare
channels: 4
layers: 2
reductions: [1]
nodes: 2
stem_multiplier: 1
ops: [none, skip_connect, max_pool_3x3, sep_conv_3x3]
search:
  data: digits
  data_limit: 300
  epochs: 2
  batch_size: 64
"""


@pytest.mark.slow
def test_compare_writes_rows_table_plot_and_skips_finished_rows(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    out = tmp_path / "cmp"
    args = ["compare", str(space), "--methods", "darts,crb", "--seeds", "1", "--max-steps", "4"]
    args += ["--train-epochs", "1", "--out", str(out), "-q"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    rows = [json.loads(line) for line in (out / "compare.jsonl").read_text().splitlines()]
    assert [(r["method"], r["seed"]) for r in rows] == [("darts", 0), ("crb", 0)]
    for r in rows:
        assert 0 <= r["test_acc"] <= 1 and r["params"] > 0 and r["steps"] == 4
        assert (out / r["run"] / "architecture.json").exists()
    crb = rows[1]
    assert crb["zero_fraction"] >= 0.25  # clipped drops `none`: 1 op in 4 weighs 0
    table = (out / "compare.md").read_text()
    assert "| darts | 0 |" in table and "| crb | 1 |" in table  # a run row, a mean row
    assert (out / "compare.png").read_bytes()[:4] == b"\x89PNG"

    metrics = out / "darts" / "seed0" / "metrics.jsonl"
    stamp = metrics.stat().st_mtime_ns
    again = CliRunner().invoke(main, [*args[:3], "darts,crb_admm", *args[4:]])
    assert again.exit_code == 0, again.output
    rows = [json.loads(line) for line in (out / "compare.jsonl").read_text().splitlines()]
    assert [r["method"] for r in rows] == ["darts", "crb", "crb_admm"]
    assert metrics.stat().st_mtime_ns == stamp  # darts seed 0 was not searched again
    assert "| crb_admm | 0 |" in (out / "compare.md").read_text()


def test_unknown_method_is_a_clear_error_without_traceback(tmp_path):
    result = CliRunner().invoke(
        main, ["compare", "darts_digits", "--methods", "darts,crbb", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "unknown method 'crbb'; did you mean 'crb'?" in result.output
    assert "Traceback" not in result.output and result.exception.__class__ is SystemExit
    assert not (tmp_path / "compare.jsonl").exists()

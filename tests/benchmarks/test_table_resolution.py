"""The selector ceiling of benchmarks/table_resolution.py against its two closed forms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.table_resolution import main, selector_ceiling

MEANS = [0.1 * i for i in range(1, 11)]  # ten architectures, top % 100, 90, ..., 10


def test_without_noise_the_selector_picks_the_best() -> None:
    c = selector_ceiling(MEANS, [0.0] * 10, retrains=1, draws=50)
    assert c == {"top_pct": 10.0, "p_top10": 1.0}


def test_with_overwhelming_noise_the_pick_is_uniform() -> None:
    # top % of a uniform pick: the mean of 10, 20, ..., 100 = 55; P(top 10 %) = 1/10
    c = selector_ceiling(MEANS, [1e6] * 10, retrains=1, draws=20000)
    assert c["top_pct"] == pytest.approx(55, abs=1.5)
    assert c["p_top10"] == pytest.approx(0.1, abs=0.015)


def test_more_retrains_sharpen_the_selector() -> None:
    sds = [0.08] * 10
    one, ten = (selector_ceiling(MEANS, sds, n, draws=4000)["top_pct"] for n in (1, 10))
    assert ten < one


def test_the_committed_tables_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.json"
    argv = ["--tables", "dense5_digits", "--retrains", "1", "--draws", "200", "--out", str(out)]
    assert main(argv) == 0
    (row,) = json.loads(out.read_text())["rows"]
    assert row["architectures"] == 98 and row["best"] == pytest.approx(0.95915)
    assert 10 < row["top % (n=1)"] < 60
    assert "dense5_digits" in capsys.readouterr().out

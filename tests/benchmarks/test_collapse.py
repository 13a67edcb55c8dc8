"""benchmarks/collapse.py: an NB201 cell's and a DARTS normal cell's make-up, and
proxy searches of both spaces end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.collapse import counts, darts_counts, main, normal_cell, summarise
from dagnas.export.fixed import from_genotype
from dagnas.export.genotype import PRESETS
from dagnas.spaces import load_space

BEST = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|"
    "+|skip_connect~0|nor_conv_3x3~1|nor_conv_3x3~2|"
)
SKIPS = "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|none~1|avg_pool_3x3~2|"


def test_a_cell_is_counted_by_its_ops() -> None:
    assert counts(BEST) == {"conv": 5, "conv3": 5, "skip": 1, "pool": 0, "none": 0}
    assert counts(SKIPS) == {"conv": 0, "conv3": 0, "skip": 4, "pool": 1, "none": 1}


def test_one_proxy_search_gives_its_cells(
    tmp_path: Path, shared_data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.jsonl"
    argv = ["--methods", "darts", "--seeds", "1", "--epochs", "2", "--data-limit", "128"]
    assert main([*argv, "--data-root", str(shared_data), "--out", str(out)]) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(row["cells"]) == 2 and row["cells"][-1] == row["cell"]
    made = counts(row["cell"])
    assert made["conv"] + made["skip"] + made["pool"] + made["none"] == 6
    assert row["collapsed"] == (row["conv"] <= 2)
    (line,) = json.loads(out.with_suffix(".json").read_text())["summary"]
    assert line["method"] == "darts" and line["collapsed"] in ("0/1", "1/1")
    assert "darts seed 0" in capsys.readouterr().out


def test_a_failed_run_is_counted_apart() -> None:
    ok = {"method": "m", "collapsed": True, **counts(SKIPS), "changes": 1}
    (line,) = summarise([ok, {"method": "m", "error": "no NB201 string"}])
    assert (line["seeds"], line["collapsed"], line["skip"]) == ("1/2", "1/1", 4)


@pytest.mark.parametrize(
    "preset, cell, made",
    [  # DARTS's own cells (Liu et al. 2019): 5 and 6 convolutions of 8, not collapsed
        (
            "DARTS_V1",
            "s3~0 s3~1 | S~0 s3~1 | S~0 s3~1 | S~2 s3~0",
            {"conv": 5, "skip": 3, "pool": 0, "none": 0},
        ),
        (
            "DARTS_V2",
            "s3~0 s3~1 | s3~0 s3~1 | S~0 s3~1 | S~0 d3~2",
            {"conv": 6, "skip": 2, "pool": 0, "none": 0},
        ),
    ],
)
def test_a_darts_normal_cell_is_counted_by_its_ops(preset: str, cell: str, made: dict) -> None:
    arch = from_genotype(PRESETS[preset], load_space("darts_cifar10"), (3, 32, 32), 10)
    assert normal_cell(arch) == cell
    assert darts_counts(cell) == made


def test_one_darts_space_proxy_search_gives_its_normal_cells(
    tmp_path: Path, shared_data: Path
) -> None:
    out = tmp_path / "d.jsonl"
    argv = ["--space", "darts_cifar10", "--methods", "darts", "--seeds", "1", "--epochs", "1"]
    argv += ["--data-limit", "128", "--data-root", str(shared_data), "--out", str(out)]
    assert main(argv) == 0
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert row["cells"] == [row["cell"]] and row["cell"].count("|") == 3
    assert sum(darts_counts(row["cell"]).values()) == 8
    assert row["collapsed"] == (row["conv"] <= 4) and "conv3" not in row

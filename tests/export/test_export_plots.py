"""Tests for dagnas.export.plots: run-folder pictures, their data read back from the figure."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.errors import DagnasError
from dagnas.export.plots import alpha_figure, curves_figure, plot_alpha, plot_curves, read_records
from dagnas.spaces import builtin_spaces

pytest.importorskip("matplotlib.backends.backend_agg")  # optional dependency

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

ALPHA = [
    {"epoch": 1, "weights": {"a:0->1": {"x": 0.5, "y": 0.5}, "a:0->2": {"x": 0.2, "z": 0.8}}},
    {"epoch": 2, "weights": {"a:0->1": {"x": 0.7, "y": 0.3}, "a:0->2": {"x": 0.1, "z": 0.9}}},
    {"epoch": 3, "weights": {"a:0->1": {"x": 0.9, "y": 0.1}}},
]
METRICS = [
    {"epoch": 1, "train_loss": 2.0, "val_loss": 2.5, "train_acc": 0.3, "val_acc": 0.2, "lr": 0.1},
    {"epoch": 2, "train_loss": 1.0, "val_loss": 1.5, "train_acc": 0.6, "val_acc": 0.5},
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real run folder from a tiny search of a shipped space (2 epochs, 4 steps)."""
    out = tmp_path_factory.mktemp("run") / "out"
    space = str(builtin_spaces()["dense_digits"])
    args = ["run", space, "--out", str(out), "--epochs", "2", "--max-steps", "4", "-q"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def _png(path: Path) -> None:
    from matplotlib.image import imread

    assert path.read_bytes().startswith(PNG_MAGIC)
    h, w = imread(path).shape[:2]
    assert h > 100 and w > 100


@pytest.mark.slow
def test_pictures_of_a_real_run_folder(run_dir: Path) -> None:
    _png(plot_alpha(run_dir, run_dir / "alpha.png"))
    _png(plot_curves(run_dir, run_dir / "curves.png"))
    records = read_records(run_dir, "alpha.jsonl")
    lines = {ln.get_gid(): ln for ax in alpha_figure(records).axes for ln in ax.lines}
    last = records[-1]["weights"]
    key = next(iter(last))
    for op, w in last[key].items():
        assert lines[f"{key}|{op}"].get_ydata()[-1] == pytest.approx(w)
    assert not list(run_dir.glob(".*.tmp"))


def test_alpha_lines_are_the_records() -> None:
    fig = alpha_figure(ALPHA)
    lines = {ln.get_gid(): ln for ax in fig.axes for ln in ax.lines if ln.get_gid()}
    assert set(lines) == {"a:0->1|x", "a:0->1|y", "a:0->2|x", "a:0->2|z"}
    assert list(lines["a:0->1|x"].get_xdata()) == [1, 2, 3]
    assert list(lines["a:0->1|y"].get_ydata()) == [0.5, 0.3, 0.1]
    z = list(lines["a:0->2|z"].get_ydata())
    assert z[:2] == [0.8, 0.9] and math.isnan(z[2])  # the edge is missing at epoch 3
    assert lines["a:0->2|x"].get_color() == lines["a:0->1|x"].get_color()  # one colour per op
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["a:0->1", "a:0->2"]
    assert fig.axes[0].get_ylim()[0] == 0  # shared axis from 0: near uniform looks flat


def test_curves_are_the_records() -> None:
    fig = curves_figure(METRICS)
    lines = {ln.get_gid(): ln for ax in fig.axes for ln in ax.lines}
    assert set(lines) == {"train_loss", "val_loss", "train_acc", "val_acc"}
    for name, line in lines.items():
        assert list(line.get_xdata()) == [1, 2]
        assert list(line.get_ydata()) == [r[name] for r in METRICS]
    loss, acc = fig.axes
    assert {ln.get_gid() for ln in loss.lines} == {"train_loss", "val_loss"}
    assert {ln.get_gid() for ln in acc.lines} == {"train_acc", "val_acc"}


def test_plots_write_atomically_from_records(tmp_path: Path) -> None:
    _png(plot_alpha(ALPHA, tmp_path / "alpha.png"))
    _png(plot_curves(METRICS, tmp_path / "curves.png"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alpha.png", "curves.png"]


def test_torn_last_line_is_left_out_and_a_bad_line_named(tmp_path: Path) -> None:
    lines = [json.dumps(r) for r in METRICS]
    (tmp_path / "metrics.jsonl").write_text("\n".join(lines) + '\n{"epoch": 3, "tr')
    assert read_records(tmp_path, "metrics.jsonl") == METRICS
    (tmp_path / "metrics.jsonl").write_text("oops\n" + "\n".join(lines))
    with pytest.raises(DagnasError, match=r"metrics\.jsonl:1: not a JSON line"):
        read_records(tmp_path, "metrics.jsonl")


def test_missing_or_empty_records_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(DagnasError, match=r"alpha\.jsonl: not found"):
        plot_alpha(tmp_path, tmp_path / "a.png")
    with pytest.raises(DagnasError, match="no mixing weights"):
        plot_alpha([], tmp_path / "a.png")
    with pytest.raises(DagnasError, match="no epoch"):
        plot_curves([{"lr": 0.1}], tmp_path / "c.png")

"""compare's report: the dataset is named, one seed's spread is n/a, no point hides."""

from __future__ import annotations

import io

from matplotlib.image import imread

from dagnas.spec import parse_spec
from dagnas.workflows.compare import jittered, markdown, plot, report_title

ROW = {
    "test_acc": 0.5,
    "zero_fraction": 0.0,
    "params": 1000,
    "search_time": 1.0,
    "val_acc": 0.4,
    "arch_step_ratio": 1.0,
}


def rows() -> list[dict]:
    return [
        {**ROW, "method": "darts", "seed": 0},
        {**ROW, "method": "darts", "seed": 1, "test_acc": 0.7},
        {**ROW, "method": "crb", "seed": 0},
    ]


def test_title_names_space_and_dataset() -> None:
    spec = parse_spec("kind: darts_cell\nname: s\nops: [skip_connect]\nsearch: {data: mnist}\n")
    assert report_title(spec) == "s on mnist"


def test_single_seed_spread_is_na() -> None:
    text = markdown(rows(), "s on digits")
    assert text.startswith("# dagnas compare: s on digits")
    crb = next(line for line in text.splitlines() if line.startswith("| crb | 1 |"))
    assert "0.5000 ± n/a" in crb and "0.0000" not in crb.split("|")[3]
    darts = next(line for line in text.splitlines() if line.startswith("| darts | 2 |"))
    assert "0.6000 ± 0.1414" in darts


def test_coinciding_points_are_moved_apart() -> None:
    points = [(10.0, 0.5)] * 3 + [(20.0, 0.5)]
    moved = jittered(points, span=100.0)
    assert len(set(moved)) == 4 and moved[0] == (10.0, 0.5) and moved[3] == (20.0, 0.5)
    assert all(y == 0.5 for _, y in moved)


def test_plot_draws_every_run() -> None:
    buf = io.BytesIO()
    plot(rows(), "s on digits", buf)
    buf.seek(0)
    assert imread(buf, format="png").shape[2] in (3, 4)

"""dagnas analyze on synthetic stores where the relation of depth to accuracy is known."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from click.testing import CliRunner
from scipy import stats as sps

from dagnas.analysis.metrics import architecture_table
from dagnas.analysis.report import (
    MIN_CI_N,
    Analysis,
    _group_section,
    analyze,
    correlations_of,
    equivalent_metrics,
)
from dagnas.analysis.store import EvalStore
from dagnas.cli import main
from dagnas.errors import DagnasError
from dagnas.graph import dag_metrics, to_json_dict
from tests.analysis.synth import depth_accuracy, fill_store, layered_archs
from tests.analysis.writers import evaluation


@pytest.fixture(scope="module")
def two_datasets(tmp_path_factory):
    """40 architectures: accuracy rises with depth on "up", falls on "down" (with noise)."""
    path = tmp_path_factory.mktemp("store") / "evals.sqlite"
    archs = layered_archs(40, seed=0)
    with EvalStore(path) as db:
        fill_store(db, archs, depth_accuracy, dataset="up", noise=0.02, seed=1)
        fill_store(db, archs, lambda a: 1 - depth_accuracy(a), dataset="down", noise=0.02)
    return path, archs


@pytest.mark.slow
def test_report_tables_plots_and_numbers_match_scipy(two_datasets, tmp_path):
    path, archs = two_datasets
    rows = EvalStore(path).rows()
    result = analyze(rows, tmp_path / "rep", n_boot=200, source="evals.sqlite")

    assert result.groups == {"down": 40, "up": 40}
    assert result.strongest("up")[0].metric == "depth"
    assert result.strongest("down")[0].metric == "depth"
    up = {c.metric: c for c in result.correlations["up"]}
    depth = [dag_metrics(a)["depth"] for a in archs]
    acc = [r["accuracy"] for r in rows if r["dataset"] == "up"]
    assert up["depth"].spearman == pytest.approx(sps.spearmanr(depth, acc).statistic)
    assert up["depth"].kendall == pytest.approx(sps.kendalltau(depth, acc).statistic)
    assert up["depth"].spearman > 0.9 and up["depth"].spearman_ci[0] > 0.8
    diff = next(d for d in result.differences if d.metric == "depth")
    assert (diff.a, diff.b) == ("down", "up") and diff.diff < -1.5 and diff.p < 1e-6

    files = {p.name for p in result.files}
    assert {"report.md", "stats.json", "architectures.csv", "heatmap_up.png"} <= files
    assert {"scatter_depth.png", "scatter_params.png", "scatter_flops.png"} <= files
    for name in ("heatmap_down.png", "scatter_paths.png"):
        assert (tmp_path / "rep" / name).read_bytes()[:4] == b"\x89PNG"
    report = (tmp_path / "rep" / "report.md").read_text()
    assert "## up (40 architectures)" in report and "**depth** ρ = +0.9" in report
    assert "| depth | down | up |" in report and "![depth](scatter_depth.png)" in report
    stats = json.loads((tmp_path / "rep" / "stats.json").read_text())
    saved = next(c for c in stats["correlations"]["up"] if c["metric"] == "depth")
    assert saved["spearman"] == pytest.approx(up["depth"].spearman)


def test_seeds_of_one_architecture_are_averaged_into_one_point(tmp_path):
    arch = layered_archs(1)[0]
    with EvalStore(tmp_path / "s.sqlite") as db:
        for seed, acc in enumerate([0.2, 0.4, 0.9]):
            db.add(replace(evaluation("h", seed=seed, acc=acc), graph=to_json_dict(arch)))
        rows = db.rows()
    (record,) = architecture_table(rows)
    assert record["seeds"] == 3 and record["accuracy"] == pytest.approx(0.5)
    assert record["depth"] == dag_metrics(arch)["depth"] and record["flops"] == 20


def test_mixed_spaces_in_a_group_and_bad_columns_are_clear_errors(two_datasets):
    rows = EvalStore(two_datasets[0]).rows(dataset="up")
    rows[0] = {**rows[0], "space": "other"}
    with pytest.raises(DagnasError, match=r"group 'up' mixes 2 spaces.*--by dataset,space"):
        architecture_table(rows)
    assert len(architecture_table(rows, by=("dataset", "space"))) == 40
    with pytest.raises(DagnasError, match=r"cannot group by \['colour'\]"):
        architecture_table(rows, by=("colour",))


@pytest.mark.slow
def test_cli_analyze_prints_the_strongest_correlations_and_writes_the_report(
    two_datasets, tmp_path
):
    path, _ = two_datasets
    out = tmp_path / "report"
    res = CliRunner().invoke(
        main, ["analyze", str(path), "--filter-dataset", "up", "--out", str(out), "--boot", "100"]
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith("up (40 architectures): depth ρ=+0.9")
    assert (out / "report.md").exists() and not (out / "heatmap_down.png").exists()
    empty = CliRunner().invoke(main, ["analyze", str(path), "--filter-dataset", "cifar10"])
    assert empty.exit_code == 1 and "no evaluations to analyse" in empty.output


def test_metrics_ranking_the_architectures_identically_are_reported_together():
    records = [
        {"group": "g", "hash": str(i), "edges": e, "density": e / 10, "depth": d, "accuracy": a}
        for i, (e, d, a) in enumerate([(3, 2, 0.1), (5, 1, 0.3), (4, 3, 0.2), (6, 2, 0.4)])
    ]
    assert equivalent_metrics(records, "g") == {"edges": ["density"], "depth": []}
    _, corr, _ = correlations_of(records, n_boot=10)
    result = Analysis({"g": 4}, corr, [], records)
    assert [c.metric for c in result.strongest("g", k=3)] == ["edges", "depth"]
    assert result.label("g", "edges") == "edges (≡ density)"


def test_small_groups_get_no_bootstrap_interval():
    """At n = 4 a bootstrap gave ρ = −0.78 with "CI [−1.00, −0.77]" beside p = 0.23."""
    records = [
        {"group": "g", "hash": str(i), "depth": d, "accuracy": a}
        for i, (d, a) in enumerate([(1, 0.4), (2, 0.3), (3, 0.35), (4, 0.1)])
    ]
    sizes, corr, _ = correlations_of(records, n_boot=200)
    (c,) = corr["g"]
    assert sizes["g"] < MIN_CI_N
    assert c.spearman == pytest.approx(-0.8) and math.isnan(c.spearman_ci[0])
    text = "\n".join(_group_section(Analysis(sizes, corr, [], records), "g"))
    assert "no bootstrap intervals" in text and "| depth | 4 | -0.800 | – |" in text
    big = [
        {**r, "hash": f"{r['hash']}{k}", "depth": r["depth"] + 4 * k}
        for k in range(3)
        for r in records
    ]
    (c,) = correlations_of(big, n_boot=200)[1]["g"]
    assert math.isfinite(c.spearman_ci[0])

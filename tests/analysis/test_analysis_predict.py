"""The GIN accuracy predictor: learns a known function of depth, round-trips, ranks candidates."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from dagnas.analysis.predict import PredictorConfig, fit_predictor, graph_data, load_predictor
from dagnas.analysis.store import EvalStore
from dagnas.cli import main
from dagnas.data import load_dataset
from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import sample_architectures
from dagnas.evaluate.jobs import DataRef, EvalPlan, evaluate_space
from dagnas.graph import canonical_hash
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower
from dagnas.training.retrain import TrainConfig
from tests.analysis.synth import depth_accuracy, fill_store, layered_archs, layered_space

FAST = PredictorConfig(hidden=32, layers=3, epochs=100)


@pytest.fixture(scope="module")
def depth_store(tmp_path_factory):
    """64 architectures whose accuracy is 0.1·depth plus noise."""
    path = tmp_path_factory.mktemp("pred") / "evals.sqlite"
    with EvalStore(path) as db:
        fill_store(db, layered_archs(64, seed=0), depth_accuracy, noise=0.02)
    return path


def test_graph_data_keeps_active_edges_both_ways_with_a_direction_flag():
    arch = layered_archs(1, seed=3)[0]
    live = [(u, v) for u, v, op in arch.edges(data="op") if op != "zero"]
    d = graph_data(arch, ["linear", "zero"])
    e = d.edge_index.shape[1] // 2
    assert e <= len(live) and d.edge_attr.shape == (2 * e, 3)
    assert d.edge_attr[:e, 2].eq(0).all() and d.edge_attr[e:, 2].eq(1).all()
    assert (d.edge_index[:, e:] == d.edge_index[:, :e].flip(0)).all()
    assert d.edge_attr[:, 1].eq(0).all()  # no zero-op edge is left


@pytest.mark.slow
def test_predictor_learns_depth_beats_random_and_round_trips(depth_store, tmp_path):
    predictor, fit = fit_predictor(EvalStore(depth_store).rows(), FAST, splits=2)
    assert fit.architectures == 64 and [s.seed for s in fit.splits] == [0, 1]
    for split in fit.splits:
        assert (split.n_train, split.n_test) == (48, 16)
        assert split.tau_test > 0.5  # a random ranking has τ ≈ 0 (sd ≈ 0.18 on 16 points)
        assert split.best_metric == "depth" and split.best_metric_tau_test > 0.7
    mean, sd = fit.mean_sd("tau_test")
    assert mean == pytest.approx(np.mean([s.tau_test for s in fit.splits])) and sd >= 0
    archs = layered_archs(10, seed=9)
    path = predictor.save(tmp_path / "m.pt")
    again = load_predictor(path)
    assert np.allclose(again.predict(archs), predictor.predict(archs))
    assert again.meta["fit"]["splits"][1]["tau_test"] == fit.splits[1].tau_test
    deep = max(archs, key=depth_accuracy)
    shallow = min(archs, key=depth_accuracy)
    assert predictor.predict([deep])[0] > predictor.predict([shallow])[0]


@pytest.mark.slow
def test_rank_with_trains_the_predicted_best_of_the_pool(depth_store, tmp_path):
    folder = tmp_path / "predictor"
    res = CliRunner().invoke(
        main,
        [
            "predict",
            "fit",
            str(depth_store),
            "--fit-epochs",
            "60",
            "--splits",
            "1",
            "--out",
            str(folder),
        ],
    )
    assert res.exit_code == 0, res.output
    assert "predictor τ, held out" in res.output and "best metric on train (depth)" in res.output
    assert "48 / 16, 1 splits" in res.output
    spec, store = parse_spec(layered_space()), tmp_path / "e.sqlite"
    plan = EvalPlan(
        sample=3,
        data=DataRef("digits", limit=100),
        train=TrainConfig(epochs=1),
        rank_with=str(folder / "predictor.pt"),
        pool=4,
    )
    evaluate_space(spec, store, plan)
    data = load_dataset("digits", limit=100)
    pool = sample_architectures(lower(spec, data.input_shape, data.num_classes), 12, 0)
    scores = load_predictor(folder / "predictor.pt").predict(pool)
    best = {canonical_hash(pool[i]) for i in np.argsort(-scores)[:3]}
    assert {r["hash"] for r in EvalStore(store).rows()} == best


def test_fit_needs_one_dataset_and_enough_architectures(tmp_path, depth_store):
    rows = EvalStore(depth_store).rows()
    with pytest.raises(DagnasError, match="choose one with --filter-dataset"):
        fit_predictor([*rows, {**rows[0], "dataset": "mnist"}], FAST)
    with pytest.raises(DagnasError, match="3 architectures are too few"):
        fit_predictor(rows[:3], FAST)
    with pytest.raises(DagnasError, match="splits must be an integer >= 1"):
        fit_predictor(rows, FAST, splits=0)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"nope")
    with pytest.raises(DagnasError, match="not a predictor written by `dagnas predict fit`"):
        load_predictor(junk)
    with pytest.raises(DagnasError, match="no such predictor file"):
        load_predictor(tmp_path / "missing.pt")

"""evaluate_space: trains candidates, stores each with its measurements, skips what is stored."""

from __future__ import annotations

import json

import pytest

from dagnas.analysis.store import EvalStore
from dagnas.compile import ChildNet
from dagnas.errors import DagnasError
from dagnas.evaluate.jobs import DataRef, EvalPlan, evaluate_space
from dagnas.graph import canonical_hash, from_json_dict
from dagnas.measure.flops import count_macs
from dagnas.measure.params import graph_params
from dagnas.spec import parse_spec
from dagnas.training.retrain import TrainConfig
from tests.analysis.synth import layered_space

DIGITS = DataRef("digits", limit=200)
QUICK = TrainConfig(epochs=1, batch_size=64)


def plan(**kw) -> EvalPlan:
    return EvalPlan(**{"sample": 4, "data": DIGITS, "train": QUICK, **kw})


def test_rows_hold_measurements_and_a_rerun_trains_only_what_is_missing(tmp_path):
    spec, store = parse_spec(layered_space(3)), tmp_path / "e.sqlite"
    first = evaluate_space(spec, store, plan(seeds=2))
    assert (first.candidates, first.skipped, first.trained) == (4, 0, 8)
    rows = EvalStore(store).rows()
    assert len(rows) == 8 and {r["seed"] for r in rows} == {0, 1}
    for r in rows:
        arch = from_json_dict(r["graph"])
        assert r["hash"] == canonical_hash(arch)
        assert (
            r["params"] == graph_params(arch) == sum(p.numel() for p in ChildNet(arch).parameters())
        )
        assert r["flops"] == count_macs(ChildNet(arch), (1, 8, 8)) > 0
        assert 0 <= r["accuracy"] <= 1 and r["wall_time"] > 0
        assert (r["space"], r["dataset"], r["epochs"]) == ("layered", "digits", 1)
        assert json.loads(r["budget"])["data_limit"] == 200

    again = evaluate_space(spec, store, plan(seeds=2))
    assert (again.skipped, again.trained) == (8, 0)
    more = evaluate_space(spec, store, plan(sample=5, seeds=2))
    assert (more.candidates, more.skipped, more.trained) == (5, 8, 2)
    other_budget = evaluate_space(spec, store, plan(sample=1, train=TrainConfig(epochs=2)))
    assert other_budget.trained == 1
    assert EvalStore(store).count() == EvalStore(store).count("trainings") == 11


@pytest.mark.slow
def test_two_local_worker_processes_give_the_in_process_results(tmp_path):
    spec = parse_spec(layered_space(3))
    here = evaluate_space(spec, tmp_path / "a.sqlite", plan(sample=2))
    pool = evaluate_space(spec, tmp_path / "b.sqlite", plan(sample=2, workers=2))
    assert pool.trained == here.trained == 2
    a, b = (
        sorted(EvalStore(tmp_path / f"{f}.sqlite").rows(), key=lambda r: r["hash"]) for f in "ab"
    )
    assert len(a) == len(b) == 2
    assert [(r["hash"], r["params"], r["flops"]) for r in a] == [
        (r["hash"], r["params"], r["flops"]) for r in b
    ]
    assert [r["accuracy"] for r in a] == pytest.approx([r["accuracy"] for r in b], abs=0.02)
    assert len({r["worker"] for r in b}) == 2  # both workers trained


@pytest.mark.slow
def test_ray_backend_on_a_local_ray_instance(tmp_path):
    ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'dagnas[ray]')")
    spec, store = parse_spec(layered_space(3)), tmp_path / "e.sqlite"
    evaluate_space(spec, store, plan(sample=2))  # one part trained locally
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        out = evaluate_space(spec, store, plan(sample=5, backend="ray", workers=2))
    finally:
        ray.shutdown()
    assert (out.skipped, out.trained) == (2, 3)
    rows = EvalStore(store).rows()
    assert len(rows) == 5 and EvalStore(store).count("trainings") == 5
    assert len({r["worker"] for r in rows[2:]} - {rows[0]["worker"]}) >= 1  # Ray's processes


def test_bad_plans_are_clear_errors(tmp_path):
    spec = parse_spec(layered_space(2))
    with pytest.raises(DagnasError, match="unknown backend 'dask'"):
        evaluate_space(spec, tmp_path / "e.sqlite", plan(backend="dask"))
    with pytest.raises(DagnasError, match="seeds must be an integer >= 1"):
        evaluate_space(spec, tmp_path / "e.sqlite", plan(seeds=0))
    with pytest.raises(DagnasError, match="--address is for the ray backend"):
        evaluate_space(spec, tmp_path / "e.sqlite", plan(sample=1, address="10.0.0.1:6379"))

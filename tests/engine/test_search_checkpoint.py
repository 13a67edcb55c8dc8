"""Checkpoints: a search stopped and resumed in a new Searcher ends bitwise where
the uninterrupted one does, for every kind of state (relaxation buffers,
schedules, regularizers, samplers, the three RNGs); files agree with the checkpoint."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.engine.callbacks import OnStep
from dagnas.engine.checkpoint import (
    CHECKPOINT,
    check_config,
    load_checkpoint,
    save_checkpoint,
    tidy_run_dir,
)
from dagnas.engine.loop import Searcher
from dagnas.errors import RunError
from dagnas.samplers import DagConstraints, make_sampler
from dagnas.spec import SearchConfig
from dagnas.workflows.search import seed_all

METHODS = {
    "darts": {"relaxation": "softmax"},
    "darts_bf16": {"relaxation": "softmax", "accel": {"precision": "bf16"}},
    "prime_admm": {
        "relaxation": "clipped",
        "schedule": "dynamic",
        "regularizers": [{"name": "admm", "every": 2}],
    },
    "gumbel": {"relaxation": "gumbel"},
    "hypernet": {"relaxation": "hypernet"},
    "sparse_second_order": {"relaxation": "sparse_simplex", "hypergradient": "second"},
}


def data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(40, 5, generator=g), torch.randint(0, 3, (40,), generator=g)


def searcher(graph, method: str, run_dir=None, stop=None) -> Searcher:
    seed_all(0)
    cfg = SearchConfig.model_validate(
        {"epochs": 3, "batch_size": 8, "arch": {"lr": 0.05}, **METHODS[method]}
    )
    model = compile_supernet(graph, cfg.relaxation.name, **cfg.relaxation.options)
    sampler = make_sampler("uniform", DagConstraints(vertices=4), seed=3)
    probe = OnStep(lambda info: sampler.sample(1))  # a component whose state moves each step
    s = Searcher(model, data(0), data(1), cfg, run_dir, [probe], should_stop=stop)
    s.components["sampler"] = sampler
    return s


@pytest.mark.parametrize("method", sorted(METHODS))
def test_stop_and_resume_is_bitwise_the_uninterrupted_search(tiny_dag_graph, tmp_path, method):
    whole = searcher(tiny_dag_graph, method)
    whole.run()
    after = {"np": np.random.random(), "py": random.random(), "torch": torch.rand(1)}
    calls = iter(range(100))
    first = searcher(tiny_dag_graph, method, tmp_path, stop=lambda: next(calls) == 6)
    assert first.run().interrupted and first.step == 7  # mid-epoch 2 (5 steps an epoch)
    second = searcher(tiny_dag_graph, method, tmp_path)
    assert second.resume() and second.step == 7
    second.run()
    assert second.metrics[-1]["epoch"] == 3
    ends = whole.model.state_dict(), second.model.state_dict()
    for name, tensor in ends[0].items():
        assert torch.equal(tensor, ends[1][name]), name
    assert json.dumps(whole.components["sampler"].state_dict()) == json.dumps(
        second.components["sampler"].state_dict()
    )
    assert np.random.random() == after["np"] and random.random() == after["py"]
    assert torch.equal(torch.rand(1), after["torch"])
    strip = [{k: v for k, v in m.items() if "time" not in k} for m in whole.metrics]
    assert strip == [{k: v for k, v in m.items() if "time" not in k} for m in second.metrics]


def test_checkpoint_loads_weights_only_and_refuses_other_components(tiny_dag_graph, tmp_path):
    s = searcher(tiny_dag_graph, "prime_admm", tmp_path)
    s.run()
    state = torch.load(tmp_path / CHECKPOINT, weights_only=True)
    assert set(state["components"]) == {"schedule", "regularizer0", "sampler"}
    other = searcher(tiny_dag_graph, "prime_admm")
    del other.components["sampler"]
    with pytest.raises(RunError, match=r"cannot load the checkpoint.*components"):
        load_checkpoint(tmp_path, other.load_state_dict)


def test_resume_cuts_the_histories_back_to_the_checkpoint(tmp_path):
    (tmp_path / f".{CHECKPOINT}.x1.tmp").write_bytes(b"half a checkpoint")
    rows = [json.dumps({"epoch": e, "v": e}) for e in (1, 2, 3)]
    (tmp_path / "metrics.jsonl").write_text("\n".join(rows) + '\n{"epoch": 4, "v"')
    (tmp_path / "alpha.jsonl").write_text("\n".join(rows) + "\n")
    tidy_run_dir(tmp_path, 2)
    assert (tmp_path / "metrics.jsonl").read_text() == "\n".join(rows[:2]) + "\n"
    assert (tmp_path / "alpha.jsonl").read_text() == "\n".join(rows[:2]) + "\n"
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_corrupt_checkpoint_is_a_run_error(tiny_dag_graph, tmp_path):
    s = searcher(tiny_dag_graph, "darts", tmp_path)
    save_checkpoint(s.state_dict(), tmp_path)
    data = (tmp_path / CHECKPOINT).read_bytes()
    (tmp_path / CHECKPOINT).write_bytes(data[: len(data) // 2])
    with pytest.raises(RunError, match="is damaged or not a dagnas checkpoint"):
        load_checkpoint(tmp_path, s.load_state_dict)


def test_a_checkpoint_from_before_a_new_field_resumes_but_a_change_is_named() -> None:
    """A config saved before ``search.accel`` existed is this run's config (the field
    holds its default); a changed or a removed field is still refused by name."""
    now = {"search": {"epochs": 3, "accel": {"precision": "fp32"}}, "name": "x"}
    check_config({"search": {"epochs": 3}, "name": "x"}, now)
    with pytest.raises(RunError, match=r"search\.epochs: 2 → 3"):
        check_config({"search": {"epochs": 2}, "name": "x"}, now)
    with pytest.raises(RunError, match=r"search\.gone: 1 → None"):
        check_config({"search": {"epochs": 3, "gone": 1}, "name": "x"}, now)

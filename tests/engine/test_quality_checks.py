"""Checks that fail when a search is broken but still runs: inputs paired with the
wrong labels, a sampler ignoring what it learnt, a per-λ derivation ignoring λ."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import torch
from scipy.stats import chisquare

import dagnas
from dagnas.data import load_dataset
from dagnas.engine.batches import Batches
from dagnas.engine.checkpoint import load_checkpoint, save_checkpoint
from dagnas.engine.derive import derive
from dagnas.samplers import DagConstraints, DensitySampler, enumerate_dags
from dagnas.spec import parse_spec
from dagnas.training.retrain import TrainConfig, train_architecture
from dagnas.workflows.rederive import load_supernet, rederive

VECTOR_DAG = """\
kind: dag
name: vector_dag
nodes:
  - {name: x, role: input}
  - {name: h, width: 32}
  - {name: out, role: output}
edges:
  - {from: x, to: h, ops: [linear_relu, linear]}
  - {from: h, to: out, ops: [linear, zero]}
  - {from: x, to: out, ops: [zero, linear]}
search: {data: digits, epochs: 3, batch_size: 32, device: cpu, weights: {lr: 0.05}}
"""


def test_a_digits_search_and_its_retraining_beat_chance_by_far():
    out = dagnas.search(parse_spec(VECTOR_DAG))
    assert out.metrics[-1]["val_acc"] > 0.7  # chance: 0.1
    result = train_architecture(out.architecture, load_dataset("digits"), TrainConfig(epochs=3))
    assert result.test_acc > 0.8


def paired_npz(path, n: int = 300, classes: int = 5):
    """Vectors whose first feature is the label (others noise): label = f(input)."""
    rng = np.random.default_rng(0)
    arrays = {}
    for part, size in (("train", n), ("test", n // 3)):
        y = rng.integers(0, classes, size)
        x = rng.normal(size=(size, 6)).astype(np.float32)
        x[:, 0] = y
        arrays[f"x_{part}"], arrays[f"y_{part}"] = x, y
    np.savez(path, **arrays)
    return path


def test_inputs_stay_paired_with_their_labels_through_splits_and_batches(tmp_path):
    data = load_dataset(str(paired_npz(tmp_path / "paired.npz")), limit=240)
    label_of: dict[float, int] = {}  # the (normalised) first feature → its label

    def check(x: torch.Tensor, y: torch.Tensor) -> None:
        for key, label in zip(x[:, 0].round(decimals=4).tolist(), y.tolist(), strict=True):
            assert label_of.setdefault(key, label) == label

    for split in (data.train, data.val, data.test):
        check(*split.tensors)
    assert len(label_of) == 5
    x = torch.cat([data.train.tensors[0], data.val.tensors[0]])
    y = torch.cat([data.train.tensors[1], data.val.tensors[1]])
    batches = Batches(x, y, 32, seed=3)
    for _ in range(3 * len(batches)):  # three passes, each reshuffled
        check(*batches.next())


def expected_density(c: DagConstraints, fed: list[tuple], pi: list[float], beta: float):
    """p(G) after one update of a fresh density sampler (τ = 1, edge weight 1),
    computed from the rule in its module docstring."""
    edges = c.allowed_edges()
    freq = np.array([sum(p for b, p in zip(fed, pi, strict=True) if e in b) for e in edges])
    rho = np.clip((1 - beta) * 0.5 + beta * freq, 0.01, 0.99)
    scores = []
    for block in enumerate_dags(c):
        if block in fed:
            scores.append(beta * math.log(len(fed) * pi[fed.index(block)]))
        else:
            q = [rho[a] if e in block else 1 - rho[a] for a, e in enumerate(edges)]
            scores.append(float(np.mean(np.log(2 * np.array(q)))))
    p = np.exp(np.array(scores) - max(scores))
    return p / p.sum()


def test_density_draws_follow_what_the_sampler_learnt():
    c = DagConstraints(4, connected=True)
    space = enumerate_dags(c)
    fed, pi = [space[0], space[5], space[9]], [0.9, 0.08, 0.02]
    sampler = DensitySampler(c, seed=1, beta=0.9)
    sampler.update(fed, pi)
    p = expected_density(c, fed, pi, 0.9)
    assert p.max() / p.min() > 3  # feedback moved the law well away from uniform
    draws = Counter(sampler.sample(4000, replace=True))
    counts = [draws.get(b, 0) for b in space]
    assert chisquare(counts, 4000 * p).pvalue > 1e-3
    assert chisquare(counts).pvalue < 1e-6  # and not uniform
    firsts = Counter(sampler.sample(1)[0] for _ in range(2000))  # the law without replacement
    assert chisquare([firsts.get(b, 0) for b in space], 2000 * p).pvalue > 1e-3


HYPERNET_DAG = VECTOR_DAG.replace(
    "search: {", "search: {relaxation: {name: hypernet}, data_limit: 100, "
).replace("epochs: 3", "epochs: 1")


def steer_by_lambda(state: dict) -> None:
    """Make λ decide: α = t·b1 + b2 (t: log10 λ centred on the sampled range,
    10^[-4, -1]) with b2 favouring each edge's first op and b1 (slope 100) its
    second, so λ = 1e-4 (t = -1) and λ = 1e-1 (t = 1) give other architectures."""
    for name, value in state["model"].items():
        if name.startswith("relaxation.nets.") and name.endswith((".weight", ".bias")):
            value.zero_()
            first = name.endswith(".bias")
            value.view(-1, 2)[:, 0 if first else 1] = 1.0 if first else 100.0


def test_each_lambda_derives_the_architecture_of_final_at_that_lambda(tmp_path):
    run = tmp_path / "run"
    dagnas.search(parse_spec(HYPERNET_DAG), run)
    state: dict = {}
    load_checkpoint(run, state.update)
    steer_by_lambda(state)
    save_checkpoint(state, run)
    lams = [1e-4, 1e-1]
    found = rederive(run, lams)
    _, model = load_supernet(run)
    for lam, d in zip(lams, found, strict=True):
        expected = derive(model.graph, model.relaxation.final(lam))
        ops = {k: e["op"] for k, e in ((e[2]["key"], e[2]) for e in expected.edges(data=True))}
        got = {e["key"]: e["op"] for _, _, e in d.architecture.edges(data=True) if "key" in e}
        assert got == ops
    assert found[0].hash != found[1].hash


@pytest.mark.parametrize("lam", [1e-4, 1e-1])
def test_steered_maps_give_the_intended_ops(lam):
    spec = parse_spec(HYPERNET_DAG)
    model = dagnas.build_supernet(spec, (64,), 10)
    state = {"model": model.state_dict()}
    steer_by_lambda(state)
    model.load_state_dict(state["model"])
    picked = {k: int(w.argmax()) for k, w in model.relaxation.final(lam).items()}
    assert set(picked.values()) == {0 if lam < 1e-2 else 1}

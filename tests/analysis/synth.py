"""Synthetic spaces and stores for the analysis tests: accuracy a known function of the DAG."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx
import numpy as np

from dagnas.analysis.store import EvalKey, EvalStore, Evaluation, budget_json
from dagnas.evaluate.candidates import sample_architectures
from dagnas.graph import canonical_hash, dag_metrics, to_json_dict
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower


def layered_space(hidden: int = 5, width: int = 4, name: str = "layered") -> str:
    """A `dag` space: input, ``hidden`` nodes, output; every forward pair an edge
    with ops [linear, zero] (input→output always linear), so depth varies from 1 to hidden+1."""
    nodes = ["x", *[f"h{i}" for i in range(hidden)], "out"]
    lines = [f"kind: dag\nname: {name}\nnodes:", "  - {name: x, role: input}"]
    lines += [f"  - {{name: h{i}, width: {width}}}" for i in range(hidden)]
    lines += ["  - {name: out, role: output}", "edges:"]
    for i, u in enumerate(nodes):
        for v in nodes[i + 1 :]:
            ops = "[linear]" if (u, v) == ("x", "out") else "[linear, zero]"
            lines.append(f"  - {{from: {u}, to: {v}, ops: {ops}}}")
    return "\n".join([*lines, "derive: {name: argmax}"]) + "\n"


def layered_archs(n: int, seed: int = 0, hidden: int = 5) -> list[nx.DiGraph]:
    """``n`` distinct architectures of :func:`layered_space` (3 input features, 2 classes)."""
    return sample_architectures(lower(parse_spec(layered_space(hidden)), (3,), 2), n, seed)


def depth_accuracy(arch: nx.DiGraph) -> float:
    """A known accuracy: 0.1 per unit of depth."""
    return 0.1 * dag_metrics(arch)["depth"]


def fill_store(
    store: EvalStore,
    archs: list[nx.DiGraph],
    accuracy: Callable[[nx.DiGraph], float],
    dataset: str = "synthetic",
    noise: float = 0.0,
    seed: int = 0,
) -> None:
    """One row per architecture with ``accuracy(arch)`` (+ Gaussian ``noise``)."""
    rng = np.random.default_rng(seed)
    for i, arch in enumerate(archs):
        key = EvalKey(canonical_hash(arch), "layered", dataset, budget_json({"epochs": 1}), 0)
        acc = accuracy(arch) + noise * float(rng.normal())
        ev = Evaluation(key, 1, acc, 1.0, 100 + i, 1000 + i, 0.1, to_json_dict(arch), "test")
        store.add(ev)

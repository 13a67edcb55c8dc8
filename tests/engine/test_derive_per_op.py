"""Per-op derivation rules (threshold, support) and child nets summing kept ops."""

from __future__ import annotations

import torch

from dagnas.compile import ChildNet, choices_of
from dagnas.engine.components import DERIVE_RULES


def weights_for(graph, fill):
    return {k: torch.tensor(fill(k, ops)) for k, ops in choices_of(graph).items()}


def test_support_keeps_every_nonzero_op_and_drops_dead_edges(tiny_dag_graph):
    # x->a: [linear_relu, linear, zero]; x->b: [linear, zero]; a->b: [identity, linear_relu, zero]
    table = {
        "dag:x->a": [0.2, 0.5, 0.3],
        "dag:x->b": [0.0, 0.9],
        "dag:a->b": [0.4, 0.0, 0.0],
        "dag:a->out": [0.7, 0.0],
        "dag:b->out": [0.1, 0.0],
    }
    arch = DERIVE_RULES.get("support")()(
        tiny_dag_graph, weights_for(tiny_dag_graph, lambda k, o: table[k])
    )
    edges = {(u.split(":")[1], v.split(":")[1]): d for u, v, d in arch.edges(data=True)}
    assert ("x", "b") not in edges  # only `zero` had weight
    assert edges[("x", "a")]["op"] == "linear" and edges[("x", "a")]["ops_kept"] == [
        "linear",
        "linear_relu",
    ]
    assert edges[("a", "b")]["op"] == "identity" and "ops_kept" not in edges[("a", "b")]
    assert {e for e in edges} == {("x", "a"), ("a", "b"), ("a", "out"), ("b", "out")}


def test_threshold_keeps_ops_above_it(tiny_cell_graph):
    def fill(key, ops):
        return [
            0.95 if op in ("sep_conv_3x3", "none") else 0.9 if op == "skip_connect" else 0.5
            for op in ops
        ]

    w = weights_for(tiny_cell_graph, fill)
    arch = DERIVE_RULES.get("threshold")(threshold=0.85)(tiny_cell_graph, w)
    searched = [d for _, _, d in arch.edges(data=True) if d.get("searched")]
    assert len(searched) == len(w)
    assert all(
        d["op"] == "sep_conv_3x3" and d["ops_kept"] == ["sep_conv_3x3", "skip_connect"]
        for d in searched
    )
    assert not any(
        d.get("searched")
        for _, _, d in DERIVE_RULES.get("threshold")(threshold=0.96)(tiny_cell_graph, w).edges(
            data=True
        )
    )


def test_child_net_sums_the_kept_ops(tiny_dag_graph):
    table = {
        "dag:x->a": [0.2, 0.5, 0.3],
        "dag:x->b": [0.6, 0.0],
        "dag:a->b": [0.4, 0.0, 0.0],
        "dag:a->out": [0.7, 0.0],
        "dag:b->out": [0.1, 0.0],
    }
    arch = DERIVE_RULES.get("support")()(
        tiny_dag_graph, weights_for(tiny_dag_graph, lambda k, o: table[k])
    )
    net = ChildNet(arch)
    edge = net.body.edges["x->a"]
    assert list(edge.ops) == ["linear", "linear_relu"]
    x = torch.randn(4, 5)
    torch.testing.assert_close(edge(x, None), edge.ops["linear"](x) + edge.ops["linear_relu"](x))
    assert net(x).shape == (4, 3)

"""Perturbation-based derivation (DARTS-PT) on a supernet built to need one op."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.engine.derive import derive
from dagnas.engine.perturb import op_drops
from dagnas.errors import RunError
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

ONE_EDGE = """\
kind: dag
nodes:
  - {name: x, role: input}
  - {name: out, role: output}
edges:
  - {from: x, to: out, ops: [linear, linear_relu, identity, zero]}
derive: {name: perturbation, samples: 300}
"""
KEY = "dag:x->out"


@pytest.fixture
def crafted():
    """y = [x0 > 0]; only `linear` (logits ±10·x0) carries the signal, though
    `linear_relu` (all zero) has the largest mixing weight and `identity` adds noise."""
    g = lower(parse_spec(ONE_EDGE), (2,), 2)
    net = compile_supernet(g)
    ops = net.body.edges["x->out"].ops
    with torch.no_grad():
        ops["linear"].weight.copy_(torch.tensor([[-10.0, 0.0], [10.0, 0.0]]))
        ops["linear"].bias.zero_()
        ops["linear_relu"][0].weight.zero_()
        ops["linear_relu"][0].bias.zero_()
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(400, 2, generator=gen)
    y = (x[:, 0] > 0).long()
    weights = {KEY: torch.tensor([0.2, 0.5, 0.3, 0.0])}
    return g, net, weights, (x, y)


def test_removing_the_necessary_op_hurts_most(crafted):
    _, net, weights, (x, y) = crafted
    drops = op_drops(net, weights, net.relaxation.choices, x, y)[KEY]
    acc = [d[0] for d in drops]
    assert acc[0] > 0.3  # without `linear`: 0.3·identity alone is near chance
    assert acc[1] == 0.0  # `linear_relu` outputs zeros: removing it changes nothing
    assert acc[2] <= 0.0  # removing the noise does not hurt
    assert drops[3] == (0.0, 0.0)  # `zero` is never computed


def test_perturbation_keeps_the_necessary_op_where_argmax_does_not(crafted):
    g, net, weights, val = crafted
    arch = derive(g, weights, run="t", model=net, val=val)
    edge = arch.edges["dag:x", "dag:out"]
    assert edge["op"] == "linear" and edge["score"] > 0.3
    g.graph["derive"] = {"name": "argmax"}
    assert derive(g, weights)["dag:x"]["dag:out"]["op"] == "linear_relu"


def test_perturbation_without_the_supernet_is_a_clear_error(crafted):
    g, _, weights, _ = crafted
    with pytest.raises(RunError, match="needs the trained supernet"):
        derive(g, weights)


@pytest.mark.slow
def test_perturbation_selects_k_edges_per_node_by_score(tiny_cell_graph):
    torch.manual_seed(0)
    net = compile_supernet(tiny_cell_graph)
    tiny_cell_graph.graph["derive"] = {"name": "perturbation", "k": 1, "samples": 32}
    x, y = torch.randn(32, 1, 8, 8), torch.randint(0, 3, (32,))
    weights = net.relaxation.final()
    arch = derive(tiny_cell_graph, weights, model=net, val=(x, y))
    drops = op_drops(net, weights, net.relaxation.choices, x, y)
    for cell in ("normal", "reduce"):
        for j in (2, 3):
            kept = [e for e in arch.in_edges(f"{cell}:{j}", data=True) if e[2].get("searched")]
            assert len(kept) == 1
            best = max(max(drops[f"{cell}:{i}->{j}"]) for i in range(j))
            assert kept[0][2]["score"] == best[0]

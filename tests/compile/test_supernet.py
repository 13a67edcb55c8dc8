"""The compiled supernet: parameters kept apart, carried by state_dict, sparse-aware."""

from __future__ import annotations

import torch

from dagnas.compile import compile_supernet
from dagnas.spec import load_space
from dagnas.spec.lower import lower


def test_weights_and_arch_parameters_are_disjoint_and_complete(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph)
    w, a = net.weights(), net.arch_parameters()
    assert {id(p) for p in w}.isdisjoint({id(p) for p in a})
    assert len(w) + len(a) == len(list(net.parameters()))
    keys = list(net.relaxation.alpha.keys())
    assert "normal:0->2" in keys and "reduce:1->3" in keys
    state = net.state_dict()
    assert "relaxation.alpha.normal:0->2" in state


def test_state_dict_round_trip_restores_alpha(tiny_cell_graph):
    a = compile_supernet(tiny_cell_graph)
    b = compile_supernet(tiny_cell_graph)
    b.load_state_dict(a.state_dict())
    for k in a.relaxation.alpha:
        assert torch.equal(a.relaxation.alpha[k], b.relaxation.alpha[k])


def test_alpha_keys_follow_edges(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph)
    edges = {d["key"] for _, _, d in tiny_cell_graph.edges(data=True) if "ops" in d}
    assert set(net.relaxation.alpha) == edges
    # 2 input nodes + 2 intermediate: node 2 has 2 in-edges, node 3 has 3, per cell
    assert len(edges) == 2 * (2 + 3)


def test_zero_weight_ops_are_not_computed(tiny_dag_net):
    calls: list[str] = []
    edge = tiny_dag_net.body.edges["x->a"]
    for name, op in edge.ops.items():
        op.register_forward_hook(lambda *_, n=name: calls.append(n))
    mixing = {k: v.detach().clone() for k, v in tiny_dag_net.relaxation().items()}
    x = torch.randn(4, 5)
    tiny_dag_net(x, mixing)
    assert sorted(calls) == ["linear", "linear_relu"]
    calls.clear()
    mixing["dag:x->a"] = torch.tensor([0.0, 1.0, 0.0])
    tiny_dag_net(x, mixing)
    assert calls == ["linear"]


def test_mixed_edge_equals_weighted_sum(tiny_dag_net):
    edge = tiny_dag_net.body.edges["x->a"]
    x = torch.randn(4, 5)
    w = torch.tensor([0.3, 0.7, 0.5])
    expected = 0.3 * edge.ops["linear_relu"](x) + 0.7 * edge.ops["linear"](x)
    torch.testing.assert_close(edge(x, w), expected)


def test_darts_cifar10_supernet_size():
    """The DARTS CIFAR-10 search network has 1,930,618 weights (Liu et al. 2019 code)."""
    spec = load_space("spaces/darts_cifar10.yaml")
    net = compile_supernet(lower(spec, (3, 32, 32), 10))
    assert sum(p.numel() for p in net.weights()) == 1_930_618
    assert len(net.arch_parameters()) == 28

"""Proximity and ADMM regularizers against hand-computed values."""

from __future__ import annotations

import math

import torch

from dagnas.compile import compile_supernet
from dagnas.engine.derive import discretize
from dagnas.engine.regularizers import ADMM, Proximity
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

TWO_EDGES = """\
kind: dag
nodes:
  - {name: x, role: input}
  - {name: h, width: 4}
  - {name: out, role: output}
edges:
  - {from: x, to: h, ops: [linear, linear_relu, zero]}
  - {from: h, to: out, ops: [linear, linear_relu]}
derive: {name: argmax}
"""
E1, E2 = "dag:x->h", "dag:h->out"


def two_edge_net(relaxation: str = "softmax"):
    torch.manual_seed(0)
    return compile_supernet(lower(parse_spec(TWO_EDGES), (3,), 2), relaxation)


def test_proximity_matches_closed_form_and_its_gradient():
    net = two_edge_net()
    a1 = torch.tensor([0.5, 0.3, 0.2], requires_grad=True)
    a2 = torch.tensor([0.4, 0.6], requires_grad=True)
    # D: argmax per edge → [1, 0, 0] and [0, 1]; ‖A − D‖² = .25+.09+.04 + .16+.16 = .70
    value = Proximity(rho=0.1)(net, {E1: a1, E2: a2}, progress=0.5)
    assert math.isclose(value.item(), 0.5 * 0.05 * math.sqrt(0.70), rel_tol=1e-6)
    value.backward()  # D is detached: ∂/∂A = (t/T)(ρ/2)(A − D)/‖A − D‖
    scale = 0.5 * 0.05 / math.sqrt(0.70)
    torch.testing.assert_close(a1.grad, scale * torch.tensor([-0.5, 0.3, 0.2]))
    torch.testing.assert_close(a2.grad, scale * torch.tensor([0.4, -0.4]))
    assert Proximity()(net, {E1: a1, E2: a2}, progress=0.0).item() == 0.0


def test_discretize_follows_the_topk_rule(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph)
    ops = net.relaxation.choices["normal:0->3"]
    w = {k: torch.full((len(o),), 0.1) for k, o in net.relaxation.choices.items()}
    w["normal:0->3"][ops.index("none")] = 0.9  # `none` never wins under topk
    w["normal:0->3"][ops.index("sep_conv_3x3")] = 0.5
    w["normal:1->3"][ops.index("max_pool_3x3")] = 0.4
    w["normal:2->3"][ops.index("dil_conv_3x3")] = 0.2  # the weakest of node 3's edges
    d = discretize(tiny_cell_graph, w)
    assert d["normal:0->3"].tolist() == [float(o == "sep_conv_3x3") for o in ops]
    assert d["normal:1->3"].tolist() == [float(o == "max_pool_3x3") for o in ops]
    assert d["normal:2->3"].sum() == 0  # not among node 3's top-2 edges
    assert d["normal:0->2"].sum() == 1 and d["normal:1->2"].sum() == 1


def set_alpha(net, e1: list[float], e2: list[float]) -> None:
    with torch.no_grad():
        net.relaxation.alpha[E1].copy_(torch.tensor(e1))
        net.relaxation.alpha[E2].copy_(torch.tensor(e2))


def admm_loss(reg: ADMM, net) -> float:
    return reg(net, net.relaxation(), progress=0.3).item()


def test_admm_z_u_updates_over_two_cycles():
    net = two_edge_net("clipped")  # `zero` on edge 1 is dropped: M = [1, 1, 0]
    reg = ADMM(rho=0.1, every=2, z=0.2)
    set_alpha(net, [0.6, 0.3, 0.0], [0.2, 0.5])
    assert admm_loss(reg, net) == 0.0  # Z = A, U = 0 at the start
    reg.after_arch_step(net)  # count 1: no update
    torch.testing.assert_close(reg.U[E1], torch.zeros(3))
    reg.after_arch_step(net)  # cycle 1: Z = D(A) , U = (A − Z)⊙M
    torch.testing.assert_close(reg.Z[E1], torch.tensor([1.0, 0, 0]))
    torch.testing.assert_close(reg.Z[E2], torch.tensor([0.0, 1]))
    torch.testing.assert_close(reg.U[E1], torch.tensor([-0.4, 0.3, 0]))
    torch.testing.assert_close(reg.U[E2], torch.tensor([0.2, -0.5]))
    # (A − Z + U)⊙M = [-0.8, 0.6, 0], [0.4, -1.0] → ‖‖² = 2.16
    assert math.isclose(admm_loss(reg, net), 0.05 * math.sqrt(2.16), rel_tol=1e-6)

    set_alpha(net, [-0.1, 0.5, 0.0], [0.7, 0.1])
    net.relaxation.after_weight_step()  # prunes op 0 of edge 1: M = [0, 1, 0]
    reg.after_arch_step(net)
    reg.after_arch_step(net)  # cycle 2: A + U = [-0.4, 0.8, 0], [0.9, -0.4]
    torch.testing.assert_close(reg.Z[E1], torch.tensor([0.0, 1, 0]))
    torch.testing.assert_close(reg.Z[E2], torch.tensor([1.0, 0]))
    torch.testing.assert_close(reg.U[E1], torch.tensor([-0.08, -0.44, 0]))
    torch.testing.assert_close(reg.U[E2], torch.tensor([-0.26, 0.0]))
    # (A − Z + U)⊙M = [0, -0.94, 0], [-0.56, 0.1] → ‖‖² = 1.2072
    assert math.isclose(admm_loss(reg, net), 0.05 * math.sqrt(1.2072), rel_tol=1e-6)

    restored = ADMM(rho=0.1, every=2, z=0.2)
    restored.load_state_dict(reg.state_dict())
    assert restored.count == 4 and admm_loss(restored, net) == admm_loss(reg, net)


def test_admm_works_with_a_relaxation_that_never_prunes():
    net = two_edge_net("softmax")
    reg = ADMM(every=1)
    reg(net, net.relaxation(), 0.0)
    reg.after_arch_step(net)
    a = net.relaxation.final()
    torch.testing.assert_close(reg.U[E1], a[E1] - reg.Z[E1])
    loss = reg(net, net.relaxation(), 0.0)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in net.arch_parameters())

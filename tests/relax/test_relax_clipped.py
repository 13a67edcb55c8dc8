"""The clipped relaxation (DARTS-PRIME): clamping, dropped `none`, permanent pruning."""

from __future__ import annotations

import torch

from dagnas.compile import compile_supernet
from dagnas.relax import Clipped


def clipped(choices: dict[str, list[str]]) -> Clipped:
    return Clipped(choices, {"n": list(choices)})


def test_weights_are_alpha_clamped_to_unit_interval_without_normalisation():
    relax = clipped({"e": ["none", "skip_connect", "max_pool_3x3", "sep_conv_3x3"]})
    with torch.no_grad():
        relax.alpha["e"].copy_(torch.tensor([0.9, -0.4, 0.35, 1.7]))
    w = relax()["e"]
    # `none` is dropped (0 whatever its α), the rest clamped to [0, 1], no softmax
    torch.testing.assert_close(w, torch.tensor([0.0, 0.0, 0.35, 1.0]))


def test_init_is_one_over_kept_ops_and_none_is_not_live():
    torch.manual_seed(0)
    relax = clipped({"e": ["none", "skip_connect", "avg_pool_3x3", "sep_conv_3x3", "dil_conv_3x3"]})
    a = relax.alpha["e"].detach()
    assert a[0] == 0
    assert torch.all((a[1:] - 0.25).abs() < 1e-3) and not torch.all(a[1:] == 0.25)
    torch.testing.assert_close(relax.live()["e"], torch.tensor([0.0, 1, 1, 1, 1]))


def test_pruning_is_permanent_and_carried_by_state_dict():
    relax = clipped({"e": ["skip_connect", "max_pool_3x3", "sep_conv_3x3"]})
    with torch.no_grad():
        relax.alpha["e"].copy_(torch.tensor([0.3, -0.01, 0.0]))
    relax.after_weight_step()
    torch.testing.assert_close(relax.alpha["e"].detach(), torch.tensor([0.3, 0.0, 0.0]))
    torch.testing.assert_close(relax.live()["e"], torch.tensor([1.0, 0.0, 0.0]))
    with torch.no_grad():  # α grows again (Adam's momentum can do that): still pruned
        relax.alpha["e"].copy_(torch.tensor([0.3, 0.5, 0.6]))
    assert relax()["e"].tolist() == [0.30000001192092896, 0.0, 0.0]
    relax.after_weight_step()
    assert relax.alpha["e"].tolist()[1:] == [0.0, 0.0]
    fresh = clipped({"e": ["skip_connect", "max_pool_3x3", "sep_conv_3x3"]})
    fresh.load_state_dict(relax.state_dict())
    torch.testing.assert_close(fresh.live()["e"], torch.tensor([1.0, 0.0, 0.0]))


def test_pruned_op_gets_no_gradient():
    relax = clipped({"e": ["skip_connect", "max_pool_3x3", "sep_conv_3x3"]})
    with torch.no_grad():
        relax.alpha["e"].copy_(torch.tensor([0.2, -0.1, 0.4]))
    relax.after_weight_step()
    (relax()["e"] * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    torch.testing.assert_close(relax.alpha["e"].grad, torch.tensor([1.0, 0.0, 3.0]))


def test_pruned_ops_are_skipped_in_the_forward_pass(tiny_cell_graph):
    torch.manual_seed(0)
    net = compile_supernet(tiny_cell_graph, "clipped")
    edge = net.body.layers[0].edges["0->2"]  # layer 0 is a normal cell
    calls: dict[str, int] = {}
    for name, op in edge.ops.items():
        # parametric ops run as ReLUBranch.tail (ReLU shared per node): count their body
        target = getattr(op, "body", op)
        target.register_forward_hook(lambda *_, n=name: calls.update({n: calls.get(n, 0) + 1}))
    x = torch.randn(2, 1, 8, 8)
    net(x)
    assert set(calls) == {
        "skip_connect",
        "max_pool_3x3",
        "avg_pool_3x3",
        "sep_conv_3x3",
        "dil_conv_3x3",
    }
    ops = net.relaxation.choices["normal:0->2"]
    with torch.no_grad():
        net.relaxation.alpha["normal:0->2"][ops.index("sep_conv_3x3")] = -1.0
    net.relaxation.after_weight_step()
    calls.clear()
    net(x)
    assert "sep_conv_3x3" not in calls and calls["dil_conv_3x3"] == 1

"""The optimised DARTS supernet computes exactly what the textbook one does."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from benchmarks.reference import TextbookDarts, copy_weights, paired_parameters
from dagnas.compile import compile_supernet
from dagnas.compile.darts import DartsNetwork
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

ALL_OPS = """\
kind: darts_cell
name: tiny_all_ops
channels: 4
layers: 3
nodes: 2
stem_multiplier: 2
ops: [none, skip_connect, max_pool_3x3, avg_pool_3x3,
      sep_conv_3x3, sep_conv_5x5, dil_conv_3x3, dil_conv_5x5]
"""


def pair(seed: int = 0):
    """(dagnas supernet, textbook reference) with equal weights, float64, α ~ N(0, 1)."""
    torch.manual_seed(seed)
    net = compile_supernet(lower(parse_spec(ALL_OPS), (3, 8, 8), 5))
    with torch.no_grad():
        for a in net.arch_parameters():
            a.normal_()
    ref = TextbookDarts(net.graph)
    copy_weights(net.body, ref)
    return net.double(), ref.double()


def grads(model, net, params, x, y, mixing, create_graph=False):
    loss = nn.functional.cross_entropy(model(x, mixing), y)
    return torch.autograd.grad(loss, params + net.arch_parameters(), create_graph=create_graph)


@pytest.mark.parametrize("recompute", [True, False])
def test_outputs_and_gradients_equal_the_textbook_supernet(recompute, monkeypatch):
    monkeypatch.setattr(DartsNetwork, "recompute", recompute)
    net, ref = pair()
    x = torch.randn(6, 3, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 5, (6,))
    torch.testing.assert_close(net(x), ref(x, net.relaxation()), rtol=1e-10, atol=1e-12)
    pairs = paired_parameters(net.body, ref)
    mine = grads(net.body, net, [p for p, _ in pairs], x, y, net.relaxation())
    theirs = grads(ref, net, [q for _, q in pairs], x, y, net.relaxation())
    for a, b in zip(mine, theirs, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-12)


def test_eval_mode_uses_the_same_running_statistics():
    net, ref = pair(1)
    x = torch.randn(6, 3, 8, 8, dtype=torch.float64)
    with torch.no_grad():
        net(x), ref(x, net.relaxation())  # one training-mode pass updates the statistics
    net.eval(), ref.eval()
    with torch.no_grad():
        torch.testing.assert_close(net(x), ref(x, net.relaxation()), rtol=1e-10, atol=1e-12)


def test_second_derivatives_equal_the_textbook_supernet():
    """Hessian-vector products through the custom backward pieces are exact too."""
    net, ref = pair(2)
    x = torch.randn(4, 3, 8, 8, dtype=torch.float64)
    y = torch.randint(0, 5, (4,))
    pairs = paired_parameters(net.body, ref)
    out = []
    for model, params in ((net.body, [p for p, _ in pairs]), (ref, [q for _, q in pairs])):
        g = grads(model, net, params, x, y, net.relaxation(), create_graph=True)
        v = sum((t * t).sum() for t in g)
        out.append(torch.autograd.grad(v, net.arch_parameters()))
    for a, b in zip(*out, strict=True):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-12)

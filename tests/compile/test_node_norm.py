"""node_norm: BatchNorm(affine=False) after each intermediate node sum, supernet only."""

from __future__ import annotations

import torch
from torch import nn

from dagnas.compile import ChildNet, compile_supernet
from dagnas.engine.derive import derive
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

SPACE = """\
kind: darts_cell
channels: 4
layers: 1
reductions: []
nodes: 2
stem_multiplier: 1
node_norm: {norm}
ops: [skip_connect, sep_conv_3x3]
"""


def graph(norm: bool):
    return lower(parse_spec(SPACE.format(norm=str(norm).lower())), (1, 8, 8), 3)


def test_node_norm_normalises_every_intermediate_node():
    torch.manual_seed(0)
    net = compile_supernet(graph(True), "clipped")
    cell = net.body.layers[0]
    assert len(cell.norms) == 2
    assert all(isinstance(n, nn.BatchNorm2d) and not n.affine for n in cell.norms)
    states: list[torch.Tensor] = []
    for n in cell.norms:
        n.register_forward_hook(lambda _m, _i, out: states.append(out))
    net(torch.randn(16, 1, 8, 8) * 5 + 3)
    for s in states:  # training-mode BN: per-channel mean 0, variance 1
        torch.testing.assert_close(s.mean((0, 2, 3)), torch.zeros(4), atol=1e-5, rtol=0)
        torch.testing.assert_close(s.var((0, 2, 3), correction=0), torch.ones(4), atol=1e-3, rtol=0)


def test_node_norm_is_off_by_default_and_absent_from_child_nets():
    assert len(compile_supernet(graph(False)).body.layers[0].norms) == 0
    g = graph(True)
    net = compile_supernet(g)
    arch = derive(g, net.relaxation.final())
    assert arch.graph["macro"]["node_norm"] is True
    assert len(ChildNet(arch).body.layers[0].norms) == 0

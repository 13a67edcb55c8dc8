"""DARTS's training features of a child network: drop-path and the auxiliary head."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dagnas.compile import ChildNet
from dagnas.compile.edge import Fanout, MixedEdge, NodeSum, drop_path
from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import sample_architectures
from dagnas.export.fixed import from_genotype
from dagnas.training.scale import scale_architecture
from tests.export.spaces import space


def test_drop_path_drops_a_fraction_p_of_samples_and_rescales_the_rest():
    torch.manual_seed(0)
    x = torch.ones(20_000, 3, 2, 2)
    y = drop_path(x, 0.3)
    per_sample = y.flatten(1)
    dropped = (per_sample == 0).all(1)
    assert abs(dropped.float().mean().item() - 0.3) < 0.015
    assert torch.allclose(per_sample[~dropped], torch.full_like(per_sample[~dropped], 1 / 0.7))
    assert abs(y.mean().item() - 1.0) < 0.03 and torch.equal(x, torch.ones_like(x))


def test_an_edge_drops_its_op_outputs_but_never_an_identity():
    torch.manual_seed(0)
    x = torch.randn(512, 4, 3, 3)
    for ops, dropped in ((["skip_connect"], False), (["avg_pool_3x3"], True)):
        edge = MixedEdge(ops, 4, 4, 1, search=False)
        total = NodeSum()
        edge.accumulate(total, Fanout(x), None, drop=0.5)
        zeroed = (total.value.flatten(1) == 0).all(1).float().mean().item()
        assert (abs(zeroed - 0.5) < 0.08) if dropped else zeroed == 0
    assert isinstance(MixedEdge(["skip_connect"], 4, 4, 1, False).ops["skip_connect"], nn.Identity)


def darts_child(auxiliary: bool = False) -> ChildNet:
    arch = from_genotype("DARTS_V2", space("darts_cifar10", channels=4), (3, 32, 32), 10)
    return ChildNet(scale_architecture(arch, layers=5), auxiliary=auxiliary)


def test_drop_path_acts_in_training_only():
    torch.manual_seed(0)
    net, x = darts_child(), torch.randn(8, 3, 32, 32)
    net.train()
    plain = [net(x) for _ in range(2)]
    assert torch.equal(*plain)  # training-mode BN alone is deterministic
    net.set_drop_path(0.5)
    assert not torch.equal(net(x), net(x))
    net.eval()
    expected = net(x)
    net.set_drop_path(0.0)
    assert torch.equal(net(x), expected)


def test_the_auxiliary_head_reads_at_two_thirds_depth_in_training_only():
    torch.manual_seed(0)
    net, x = darts_child(auxiliary=True), torch.randn(4, 3, 32, 32)
    assert net.body.aux_at == 2 * 5 // 3
    logits, aux = net.train()(x, aux=True)
    assert logits.shape == aux.shape == (4, 10)
    aux.sum().backward()
    assert net.body.aux_head.classifier.weight.grad is not None
    assert net.eval()(x, aux=True)[1] is None and net(x).shape == (4, 10)
    plain = darts_child()
    head = sum(p.numel() for p in net.parameters()) - sum(p.numel() for p in plain.parameters())
    c = net.body.layers[net.body.aux_at].out_channels  # DARTS's AuxiliaryHeadCIFAR
    assert head == c * 128 + 2 * 128 + 128 * 768 * 4 + 2 * 768 + 768 * 10 + 10


def test_the_features_need_a_darts_cell_network(tiny_dag_graph):
    arch = sample_architectures(tiny_dag_graph, 1, seed=0)[0]
    with pytest.raises(DagnasError, match="auxiliary head needs a darts_cell architecture"):
        ChildNet(arch, auxiliary=True)
    ChildNet(arch).set_drop_path(0.0)  # nothing to do
    with pytest.raises(DagnasError, match="drop-path needs a darts_cell architecture"):
        ChildNet(arch).set_drop_path(0.2)

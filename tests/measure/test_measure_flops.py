"""count_flops: multiply-accumulates of convolutions and linear layers, by hooks."""

from __future__ import annotations

import torch
from torch import nn

from dagnas.compile import ChildNet
from dagnas.evaluate.candidates import sample_architectures
from dagnas.measure.flops import MAC_RULES, count_flops
from dagnas.spaces import builtin_spaces
from dagnas.spec import load_space
from dagnas.spec.lower import lower


def test_conv_depthwise_and_linear_macs_match_closed_forms():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),  # 8·8·8 outputs × 3·3·3
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8),  # 8·4·4 outputs × 1·3·3
        nn.Flatten(),
        nn.Linear(8 * 4 * 4, 10),  # 10 × 128
    )
    expected = 8 * 8 * 8 * 27 + 8 * 4 * 4 * 9 + 10 * 128
    assert count_flops(model, (3, 8, 8)) == expected


def test_counts_one_example_restores_training_mode_and_removes_hooks():
    model = nn.Sequential(nn.Linear(5, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    model.train()
    assert count_flops(model, (5,)) == 5 * 4 + 4 * 2
    assert model.training
    assert all(not m._forward_hooks for m in model.modules())


class Fused(nn.Module):
    """A module whose own rule covers the Linear inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(x)


def test_a_module_with_its_own_rule_is_not_counted_again_through_its_children():
    MAC_RULES[Fused] = lambda m, inputs, out: 7
    try:
        assert count_flops(nn.Sequential(Fused(), nn.Linear(6, 2)), (6,)) == 7 + 12
    finally:
        del MAC_RULES[Fused]


def test_dense_child_macs_are_one_linear_per_block_edge():
    spec = load_space(builtin_spaces()["dense_mnist"])  # 5 vertices of width 128
    g = lower(spec, (1, 28, 28), 10)
    for arch in sample_architectures(g, 4, seed=1):
        edges = [(arch.nodes[u]["index"], arch.nodes[v]["index"]) for u, v in arch.edges]
        per_edge = [(784 if i == 0 else 128) * 128 for i, _ in edges]
        assert count_flops(ChildNet(arch), (1, 28, 28)) == sum(per_edge) + 128 * 10

"""count_macs: multiply-accumulates of convolutions and linear maps, however issued."""

from __future__ import annotations

from collections import Counter

import torch
from torch import nn

from dagnas.compile import ChildNet
from dagnas.evaluate.candidates import sample_architectures
from dagnas.measure.flops import count_macs
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
    assert count_macs(model, (3, 8, 8)) == expected


def test_counts_one_example_and_restores_training_mode():
    model = nn.Sequential(nn.Linear(5, 4), nn.Dropout(0.5), nn.Linear(4, 2))
    model.train()
    assert count_macs(model, (5,)) == 5 * 4 + 4 * 2
    assert model.training


class Functional(nn.Module):
    """A module whose linear map is a functional call: no Linear module to hook."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3, 6))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return nn.functional.linear(x, self.weight)


def test_a_functional_linear_is_counted():
    assert count_macs(nn.Sequential(Functional(), nn.Linear(3, 2)), (6,)) == 6 * 3 + 3 * 2


def test_counts_restore_the_mode_of_a_model_in_eval():
    model = nn.Linear(4, 4).eval()
    assert count_macs(model, (4,)) == 16 and not model.training


def test_dense_child_macs_are_one_linear_per_block_edge_and_the_vertex_sums():
    """A dense stage sums a vertex's in-terms with one matmul (by a ones row):
    in-degree × width MACs, counted as every matmul is."""
    spec = load_space(builtin_spaces()["dense_mnist"])  # 5 vertices of width 128
    g = lower(spec, (1, 28, 28), 10)
    for arch in sample_architectures(g, 4, seed=1):
        edges = [(arch.nodes[u]["index"], arch.nodes[v]["index"]) for u, v in arch.edges]
        per_edge = [(784 if i == 0 else 128) * 128 for i, _ in edges]
        in_degree = Counter(j for _, j in edges)
        sums = sum(d * 128 for d in in_degree.values() if d > 1)
        assert count_macs(ChildNet(arch), (1, 28, 28)) == sum(per_edge) + sums + 128 * 10

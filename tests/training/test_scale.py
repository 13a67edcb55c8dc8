"""Scale-up of derived darts_cell architectures, and the parameter counts the
papers report at their evaluation sizes."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import ChildNet
from dagnas.errors import DagnasError
from dagnas.export.fixed import from_genotype, from_nb201
from dagnas.measure.params import graph_params
from dagnas.training.retrain import net_params
from dagnas.training.scale import scale_architecture, scaled_reductions
from tests.export.spaces import GENOTYPE_SPACES, derived, space

CIFAR10, CIFAR100 = ((3, 32, 32), 10), ((3, 32, 32), 100)


def test_reductions_split_the_depth_as_darts_places_them():
    assert scaled_reductions(8, 2) == [2, 5] and scaled_reductions(20, 2) == [6, 13]
    assert scaled_reductions(17, 2) == [5, 11]  # NAS-Bench-201: N=5 cells a stage


def test_darts_v2_at_c36_20_cells_has_the_3_3m_parameters_darts_reports():
    arch = from_genotype("DARTS_V2", space("darts_cifar10"), *CIFAR10)
    big = scale_architecture(arch, channels=36, layers=20)
    assert big.graph["macro"]["reductions"] == [6, 13]
    # DARTS (ICLR 2019) Table 1: 3.3M; the count of its NetworkCIFAR without the
    # auxiliary head, which DARTS does not count either
    assert net_params(ChildNet(big, auxiliary=True)) == graph_params(big) == 3_349_342
    assert arch.graph["macro"]["channels"] == 16  # the input is untouched


@pytest.mark.parametrize("name", GENOTYPE_SPACES)
def test_every_darts_cell_space_scales_and_runs(name):
    arch = derived(space(name), seed=0)
    big = scale_architecture(arch, channels=8, layers=11)
    net = ChildNet(big).eval()
    assert net(torch.zeros(2, 3, 8, 8)).shape == (2, 10)
    assert sum(p.numel() for p in net.parameters()) == graph_params(big)
    assert scale_architecture(big, channels=8, layers=11).graph == big.graph  # idempotent


def test_scaling_what_cannot_be_scaled_says_so(tiny_dag_graph):
    arch = from_genotype("DARTS_V2", space("darts_cifar10"), *CIFAR10)
    with pytest.raises(DagnasError, match="cannot hold the architecture's 2 reduction layers"):
        scale_architecture(arch, layers=2)
    with pytest.raises(DagnasError, match="applies to darts_cell architectures, not to 'dag'"):
        scale_architecture(tiny_dag_graph, channels=8)


# NAS-Bench-201 (NAS-Bench-201-v1_1-096897), ``params`` in MB (1e6) at C=16, N=5, as
# quoted from the benchmark's table in public code (the search index holds no
# official listing): over all 15,625 cells, cifar10-valid min 0.073306 / max 1.531546
# and cifar100 min 0.079156 / max 1.537396 (a min/max scan of the HPOBench JSON
# export); a cell without convolutions has the least (only the fixed skeleton), the
# all-nor_conv_3x3 cell the most. 0.559386 (with flops 78.56193) is a cost_info
# example in an mmrazor-style evaluator that does not name its cell: the ResNet-like
# cell below has exactly these parameters and FLOPs here, but that match is ours.
NONE = "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"
POOL = "|avg_pool_3x3~0|+|skip_connect~0|none~1|+|avg_pool_3x3~0|skip_connect~1|none~2|"
CONV3 = "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|nor_conv_3x3~0|nor_conv_3x3~1|nor_conv_3x3~2|"  # noqa: E501
RESNET = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|none~2|"


@pytest.mark.parametrize(
    ("cell", "data", "params"),
    [
        (NONE, CIFAR10, 73_306),
        (POOL, CIFAR10, 73_306),
        (CONV3, CIFAR10, 1_531_546),
        (NONE, CIFAR100, 79_156),
        (CONV3, CIFAR100, 1_537_396),
        (RESNET, CIFAR10, 559_386),
    ],
)
def test_nb201_networks_have_the_benchmarks_parameter_counts(cell, data, params):
    arch = from_nb201(cell, space("nb201"), *data)
    arch = scale_architecture(arch, channels=16, layers=17)  # the nb201 protocol's size
    assert net_params(ChildNet(arch)) == graph_params(arch) == params

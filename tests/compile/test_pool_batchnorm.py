"""pool_batchnorm: BatchNorm after a supernet's pooling ops (DARTS) or none (NAS-Bench-201)."""

from __future__ import annotations

import torch
from torch import nn

from dagnas.compile import ChildNet, compile_supernet
from dagnas.engine.derive import derive
from dagnas.graph import canonical_hash
from dagnas.ops.image import Pool
from dagnas.spaces import load_space
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

SPACE = """\
kind: darts_cell
channels: 4
layers: 1
reductions: []
nodes: 2
stem_multiplier: 1
{extra}
ops: [avg_pool_3x3, max_pool_3x3, skip_connect]
"""


def graph(extra: str = ""):
    return lower(parse_spec(SPACE.format(extra=extra)), (1, 8, 8), 3)


def pool_norms(net: nn.Module) -> list[bool]:
    return [isinstance(m.bn, nn.BatchNorm2d) for m in net.modules() if isinstance(m, Pool)]


def test_supernet_pools_end_in_batchnorm_by_default_and_not_when_off():
    on = pool_norms(compile_supernet(graph()))
    off = pool_norms(compile_supernet(graph("pool_batchnorm: false")))
    assert on and all(on)
    assert off and not any(off)


def test_pool_batchnorm_leaves_the_child_network_and_its_hash_alone():
    on, off = graph(), graph("pool_batchnorm: false")
    w = {k: torch.tensor([1.0, 0.5, 0.0]) for k in compile_supernet(on).relaxation.choices}
    arch_on, arch_off = derive(on, w), derive(off, w)
    assert canonical_hash(arch_on) == canonical_hash(arch_off)
    assert not any(pool_norms(ChildNet(arch_on))) and pool_norms(ChildNet(arch_on))
    assert str(ChildNet(arch_on)) == str(ChildNet(arch_off))


def test_nb201_spaces_have_no_batchnorm_after_pooling():
    for name in ("nb201", "nb201_tiny"):
        assert load_space(name).pool_batchnorm is False

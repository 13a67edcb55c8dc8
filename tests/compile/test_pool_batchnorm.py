"""pool_batchnorm: BatchNorm after a supernet's pooling ops (DARTS) or none (NAS-Bench-201)."""

from __future__ import annotations

import torch
from torch import nn

from dagnas.compile import ChildNet, compile_supernet
from dagnas.engine.derive import derive
from dagnas.graph import canonical_hash
from dagnas.ops.image import Pool
from dagnas.spaces import load_space
from dagnas.spec.lower import lower


def without_pool_bn(graph):
    g = graph.copy()
    g.graph["macro"] = {**g.graph["macro"], "pool_batchnorm": False}
    return g


def pool_norms(net: nn.Module) -> list[bool]:
    return [isinstance(m.bn, nn.BatchNorm2d) for m in net.modules() if isinstance(m, Pool)]


def test_supernet_pools_end_in_batchnorm_by_default_and_not_when_off(tiny_cell_graph):
    assert tiny_cell_graph.graph["macro"]["pool_batchnorm"] is True
    on = pool_norms(compile_supernet(tiny_cell_graph))
    off = pool_norms(compile_supernet(without_pool_bn(tiny_cell_graph)))
    assert on and all(on)
    assert off and not any(off)


def test_pool_batchnorm_leaves_the_child_network_and_its_hash_alone(tiny_cell_graph):
    on, off = tiny_cell_graph, without_pool_bn(tiny_cell_graph)
    ops = compile_supernet(on).relaxation.choices
    w = {
        k: torch.tensor([1.0 if op == "avg_pool_3x3" else 0.0 for op in o]) for k, o in ops.items()
    }
    arch_on, arch_off = derive(on, w), derive(off, w)
    assert canonical_hash(arch_on) == canonical_hash(arch_off)
    assert pool_norms(ChildNet(arch_on)) and not any(pool_norms(ChildNet(arch_on)))
    assert str(ChildNet(arch_on)) == str(ChildNet(arch_off))


def test_nb201_spaces_have_no_batchnorm_after_pooling():
    for name in ("nb201", "nb201_tiny"):
        spec = load_space(name)
        assert lower(spec, (3, 32, 32), 10).graph["macro"]["pool_batchnorm"] is False

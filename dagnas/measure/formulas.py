"""Parameter formulas of ops in a child network, which each kind's formula adds up.

One formula per op (the child's ops are built with ``affine=True``, so
every BatchNorm holds 2·C parameters; an edge whose derivation kept several
ops, ``ops_kept``, holds them all). An op registered by a user without a
formula here is counted by building that one op (``OPS.get(op).build``) and
counting its parameters; register a formula with ``OP_PARAMS.register(name)``
to avoid that. The macro parts around the cells (stem, preprocessing, head)
are the kind's (:meth:`dagnas.kinds.SpaceKind.params`).
"""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from dagnas.compile.edge import edge_ops
from dagnas.ops import OPS
from dagnas.registry import Registry

#: ``formula(c_in, c_out, stride) -> parameters`` of one op in a child network
ParamFormula = Callable[[int, int, int], int]
OP_PARAMS: Registry[ParamFormula] = Registry("op parameter formula")


def bn_params(c: int) -> int:
    """An affine BatchNorm over ``c`` channels: weight and bias."""
    return 2 * c


def _none(c_in: int, c_out: int, stride: int) -> int:
    return 0


def linear_params(c_in: int, c_out: int, stride: int) -> int:
    return c_in * c_out + c_out


def _skip(c_in: int, c_out: int, stride: int) -> int:
    # identity; else a 1×1 ReLUConvBN or a FactorizedReduce (two 1×1 convs to c_out/2)
    return 0 if stride == 1 and c_in == c_out else c_in * c_out + bn_params(c_out)


def _dil(k: int) -> ParamFormula:
    """ReLU → depthwise k×k → pointwise → BN."""
    return lambda c_in, c_out, stride: c_in * k * k + c_in * c_out + bn_params(c_out)


def _sep(k: int) -> ParamFormula:
    """Two stacked DilConvs: c_in → c_in, then c_in → c_out."""
    return lambda c_in, c_out, stride: _dil(k)(c_in, c_in, stride) + _dil(k)(c_in, c_out, 1)


def conv_bn_params(k: int) -> ParamFormula:
    """ReLU → k×k conv → BN."""
    return lambda c_in, c_out, stride: c_in * c_out * k * k + bn_params(c_out)


for _name in ("none", "zero", "identity", "max_pool_3x3", "avg_pool_3x3"):
    OP_PARAMS.register(_name)(_none)
for _name in ("linear", "linear_relu", "linear_gelu", "linear_tanh", "linear_sigmoid"):
    OP_PARAMS.register(_name)(linear_params)
OP_PARAMS.register("skip_connect")(_skip)
for _k in (3, 5):
    OP_PARAMS.register(f"sep_conv_{_k}x{_k}")(_sep(_k))
    OP_PARAMS.register(f"dil_conv_{_k}x{_k}")(_dil(_k))
for _k in (1, 3):
    OP_PARAMS.register(f"nor_conv_{_k}x{_k}")(conv_bn_params(_k))


def op_params(op: str, c_in: int, c_out: int, stride: int = 1) -> int:
    """Parameters of op ``op`` in a child network (its formula, else the built op)."""
    if op in OP_PARAMS:
        return OP_PARAMS.get(op)(c_in, c_out, stride)
    module = OPS.get(op).build(c_in, c_out, stride, affine=True, search_bn=False)
    return sum(p.numel() for p in module.parameters())


def edge_params(arch: nx.DiGraph) -> int:
    """Σ over edges of their ops' parameters between the end nodes' widths."""
    width = dict(arch.nodes(data="width"))
    return sum(
        op_params(op, width[u], width[v]) for u, v, d in arch.edges(data=True) for op in edge_ops(d)
    )

"""The parameter count of an Architecture's child network, from the graph alone.

``graph_params(arch)`` adds up closed-form counts: one formula per op (the
child's ops are built with ``affine=True``, so every BatchNorm holds 2·C
parameters; an edge whose derivation kept several ops, ``ops_kept``, holds
them all) plus the macro parts the space kind adds around the cells (stem,
per-cell preprocessing, NAS-Bench-201 residual blocks, head). It must
equal ``sum(p.numel() for p in ChildNet(arch).parameters())``; the tests check
that for every built-in op and space kind.

An op registered by a user without a formula here is counted by building
that one op (``OPS.get(op).build``) and counting its parameters; register a
formula with ``OP_PARAMS.register(name)`` to avoid that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import networkx as nx

from dagnas.compile.edge import edge_ops
from dagnas.errors import DagnasError
from dagnas.ops import OPS
from dagnas.registry import Registry

#: ``formula(c_in, c_out, stride) -> parameters`` of one op in a child network
ParamFormula = Callable[[int, int, int], int]
OP_PARAMS: Registry[ParamFormula] = Registry("op parameter formula")


def _bn(c: int) -> int:
    """An affine BatchNorm over ``c`` channels: weight and bias."""
    return 2 * c


def _none(c_in: int, c_out: int, stride: int) -> int:
    return 0


def _linear(c_in: int, c_out: int, stride: int) -> int:
    return c_in * c_out + c_out


def _skip(c_in: int, c_out: int, stride: int) -> int:
    # identity; else a 1×1 ReLUConvBN or a FactorizedReduce (two 1×1 convs to c_out/2)
    return 0 if stride == 1 and c_in == c_out else c_in * c_out + _bn(c_out)


def _dil(k: int) -> ParamFormula:
    """ReLU → depthwise k×k → pointwise → BN."""
    return lambda c_in, c_out, stride: c_in * k * k + c_in * c_out + _bn(c_out)


def _sep(k: int) -> ParamFormula:
    """Two stacked DilConvs: c_in → c_in, then c_in → c_out."""
    return lambda c_in, c_out, stride: _dil(k)(c_in, c_in, stride) + _dil(k)(c_in, c_out, 1)


def _nor(k: int) -> ParamFormula:
    """ReLU → k×k conv → BN."""
    return lambda c_in, c_out, stride: c_in * c_out * k * k + _bn(c_out)


for _name in ("none", "zero", "identity", "max_pool_3x3", "avg_pool_3x3"):
    OP_PARAMS.register(_name)(_none)
for _name in ("linear", "linear_relu", "linear_gelu", "linear_tanh", "linear_sigmoid"):
    OP_PARAMS.register(_name)(_linear)
OP_PARAMS.register("skip_connect")(_skip)
for _k in (3, 5):
    OP_PARAMS.register(f"sep_conv_{_k}x{_k}")(_sep(_k))
    OP_PARAMS.register(f"dil_conv_{_k}x{_k}")(_dil(_k))
for _k in (1, 3):
    OP_PARAMS.register(f"nor_conv_{_k}x{_k}")(_nor(_k))


def op_params(op: str, c_in: int, c_out: int, stride: int = 1) -> int:
    """Parameters of op ``op`` in a child network (its formula, else the built op)."""
    if op in OP_PARAMS:
        return OP_PARAMS.get(op)(c_in, c_out, stride)
    module = OPS.get(op).build(c_in, c_out, stride, affine=True, search_bn=False)
    return sum(p.numel() for p in module.parameters())


def _preprocess_params(c_in: int, c: int, reduce: bool, always: bool) -> int:
    """A cell's input preprocessing: FactorizedReduce, 1×1 ReLUConvBN or nothing."""
    return c_in * c + _bn(c) if reduce or always or c_in != c else 0


def _cell_params(
    arch: nx.DiGraph, cell: str, inputs: list[tuple[int, bool]], c: int, reduction: bool
) -> tuple[int, int]:
    """(parameters, output channels) of one DARTS cell whose inputs have
    ``(channels, needs halving)`` ``inputs`` and whose nodes have ``c`` channels."""
    m = arch.graph["macro"]
    total = sum(_preprocess_params(c_in, c, red, m["preprocess"]) for c_in, red in inputs)
    for u, _, d in arch.edges(data=True):
        if arch.nodes[u]["cell"] != cell or d.get("searched", True) is False:
            continue
        stride = 2 if reduction and arch.nodes[u]["index"] < m["input_nodes"] else 1
        total += sum(op_params(op, c, c, stride) for op in edge_ops(d))
    return total, c * len(list(arch.predecessors(f"{cell}:out")))


def _darts_params(arch: nx.DiGraph) -> int:
    """Stem, stacked cells (or NAS-Bench-201 residual blocks) and the head."""
    m = arch.graph["macro"]
    c = m["channels"]
    c_stem = c * m["stem_multiplier"]
    total = arch.graph["input_shape"][0] * c_stem * 9 + _bn(c_stem)
    c_pp, c_p, reduction_prev = c_stem, c_stem, False
    for i in range(m["layers"]):
        reduction = i in m["reductions"]
        c = 2 * c if reduction else c
        if reduction and m["reduction_type"] == "resblock":
            # 3×3 stride-2 conv, 3×3 conv, and an avg-pooled 1×1 shortcut conv
            layer, out = _nor(3)(c_p, c, 2) + _nor(3)(c, c, 1) + c_p * c, c
        else:
            cell = "reduce" if reduction else "normal"
            inputs = [(c_pp, reduction_prev), (c_p, False)][-m["input_nodes"] :]
            layer, out = _cell_params(arch, cell, inputs, c, reduction)
        total += layer
        c_pp, c_p, reduction_prev = c_p, out, reduction
    final = _bn(c_p) if m["final_activation"] else 0
    return total + final + _linear(c_p, arch.graph["num_classes"], 1)


def _edge_params(arch: nx.DiGraph) -> int:
    """Σ over edges of their ops' parameters between the end nodes' widths."""
    width = dict(arch.nodes(data="width"))
    return sum(
        op_params(op, width[u], width[v]) for u, v, d in arch.edges(data=True) for op in edge_ops(d)
    )


def _dag_params(arch: nx.DiGraph) -> int:
    """Edge ops plus a linear head when the output width is not the class count."""
    out = next(n for n, r in arch.nodes(data="role") if r == "output")
    w_out, classes = arch.nodes[out]["width"], arch.graph["num_classes"]
    return _edge_params(arch) + (_linear(w_out, classes, 1) if w_out != classes else 0)


def _dense_params(arch: nx.DiGraph) -> int:
    """One linear per block edge (in the stage's vertex widths) and the linear head."""
    width = arch.graph["macro"]["stages"][-1]["width"]
    return _edge_params(arch) + _linear(width, arch.graph["num_classes"], 1)


KIND_PARAMS: dict[str, Callable[[nx.DiGraph], int]] = {
    "darts_cell": _darts_params,
    "dag": _dag_params,
    "dense_blocks": _dense_params,
}


def graph_params(arch: nx.DiGraph) -> int:
    """The parameter count of ``ChildNet(arch)``, computed from the graph alone."""
    kind: Any = arch.graph.get("kind")
    if kind not in KIND_PARAMS:
        known = ", ".join(sorted(KIND_PARAMS))
        raise DagnasError(f"no parameter count for space kind {kind!r} (known: {known})")
    return KIND_PARAMS[kind](arch)

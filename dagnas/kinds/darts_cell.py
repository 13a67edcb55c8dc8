"""The `darts_cell` kind: DARTS cells stacked into a network (Liu et al. 2019).

Two cells are searched, ``normal`` and ``reduce`` (the latter only when
reductions are cells): nodes ``"<cell>:<i>"`` (the first ``input_nodes``
are the cell's inputs) and ``"<cell>:out"``; every edge i→j into an
intermediate node j is searched (or those ``edges`` lists). ``macro`` holds
how cells are stacked. NAS-Bench-201 is the 1-input, 3-node, ``output: last``
cell with residual-block reductions.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import networkx as nx
from pydantic import Field, NonNegativeInt, PositiveInt, field_validator, model_validator

from dagnas.compile.darts import DartsNetwork
from dagnas.compile.edge import edge_ops
from dagnas.errors import SpecError, SpecIssue
from dagnas.kinds.base import DeriveRule, Macro, register_kind
from dagnas.kinds.edges import EdgeOpKind
from dagnas.measure.formulas import bn_params, conv_bn_params, linear_params, op_params
from dagnas.ops import OPS
from dagnas.registry import Component, StrictNonNegativeInt, StrictPositiveInt
from dagnas.spec.models import OpName, SpaceBase, issue_at


class DartsCellSpec(SpaceBase):
    """DARTS cells stacked into a network (Liu et al. 2019); NAS-Bench-201 too."""

    kind: Literal["darts_cell"]
    """the space kind"""
    # upper bounds stop a typo (an extra zero) before it exhausts memory or time
    channels: StrictPositiveInt = Field(16, le=4096)
    """channels of the first cells (doubled at each reduction)"""
    layers: StrictPositiveInt = Field(8, le=256)
    """number of cells"""
    reductions: list[StrictNonNegativeInt] | None = None
    """indices of the reduction cells (null: DARTS's n//3 and 2n//3)"""
    reduction_type: Literal["cell", "resblock"] = "cell"
    """cell (a searched reduction cell) or resblock (a fixed residual block)"""
    stem_multiplier: StrictPositiveInt = Field(3, le=16)
    """the stem's channels are channels × this"""
    input_nodes: StrictPositiveInt = Field(2, le=2)
    """inputs of a cell: the previous two cells' outputs (2) or one"""
    nodes: StrictPositiveInt = Field(4, le=32)
    """intermediate nodes of a cell"""
    output: Literal["concat", "last"] = "concat"
    """a cell's output: concat of its intermediate nodes, or the last one"""
    preprocess: bool = True
    """1×1 ReLU-conv-BN on a cell's inputs even when the shapes match"""
    final_activation: bool = False
    """ReLU before the classifier's pooling"""
    node_norm: bool = False
    """BatchNorm (affine=False) after each intermediate node's sum in the supernet
    (DARTS-PRIME sets it: its clipped weights are not normalised per edge)"""
    partial_channels: StrictPositiveInt = Field(1, le=64)
    """PC-DARTS's K: in the supernet, 1/K of each edge's channels pass through its
    mixed op and the rest bypass it, then the channels are shuffled (1: all, DARTS)"""
    edge_normalisation: bool = False
    """PC-DARTS: architecture weights β over each node's incoming edges weight the
    edges' outputs (softmax(β) under softmax), and top-k ranks edges by β's weight × α's"""
    pool_batchnorm: bool = True
    """BatchNorm (affine=False) after each pooling op in the supernet, as DARTS's
    MixedOp adds; NAS-Bench-201's pooling op has none (its spaces set false).
    Child networks never have it"""
    ops: list[OpName] = Field(min_length=1)
    """candidate ops of every edge (image ops; `dagnas ops` lists them)"""
    reduction_ops: list[OpName] | None = Field(None, min_length=1)
    """candidate ops of reduction cells (null: ops)"""
    edges: list[str] | None = None
    """the cell's edges as 'i->j' (null: every earlier node to every intermediate node)"""
    derive: DeriveRule = Component(name="topk", k=2)
    """the rule that turns mixing weights into an architecture (DARTS: topk, k=2)"""

    @field_validator("edges")
    @classmethod
    def _edges_form(cls, edges: list[str] | None) -> list[str] | None:
        for e in edges or []:
            if not re.fullmatch(r"\s*\d+\s*->\s*\d+\s*", e, flags=re.ASCII):
                raise ValueError(f"edge '{e}' must look like 'i->j' with node numbers")
        return edges

    @model_validator(mode="after")
    def _consistent(self) -> DartsCellSpec:
        for field in ("ops", "reduction_ops"):
            for i, op in enumerate(getattr(self, field) or []):
                if OPS.get(op).domain == "vector":
                    raise SpecIssue(
                        (field, i), f"op '{op}' is a vector op; a darts_cell space needs image ops"
                    )
        n_in, last = self.input_nodes, self.input_nodes + self.nodes
        for k, e in enumerate(self.edges or []):
            i, j = (int(p) for p in e.split("->"))
            if not (0 <= i < j and n_in <= j < last):
                raise SpecIssue(
                    ("edges", k),
                    f"'{e}' is not a cell edge: need i < j and j an intermediate node"
                    f" ({n_in}..{last - 1})",
                )
        if self.channels % self.partial_channels:
            raise SpecIssue(
                ("partial_channels",),
                f"{self.partial_channels} does not divide channels: {self.channels}; pick a"
                " divisor, so each edge passes a whole share of the channels through its ops",
            )
        for k, r in enumerate(self.reductions or []):
            if r >= self.layers:
                raise SpecIssue(
                    ("reductions", k), f"layer {r} is out of range 0..{self.layers - 1}"
                )
        return self


#: macro settings of the supernet alone (a child network has none of them)
SUPERNET_ONLY = ("node_norm", "partial_channels", "edge_normalisation", "pool_batchnorm")


def edge_norm_choices(g: nx.DiGraph) -> dict[str, list[str]]:
    """PC-DARTS's edge normalisation: per node with two or more searched in-edges,
    a choice (keyed by the node) over their keys, in the order of their sources."""
    found = {}
    for v in g.nodes:
        ins = sorted(
            (g.nodes[u]["index"], d["key"]) for u, _, d in g.in_edges(v, data=True) if "ops" in d
        )
        if len(ins) > 1:
            found[v] = [key for _, key in ins]
    return found


def darts_reductions(spec: DartsCellSpec) -> list[int]:
    """Layers that reduce: the spec's, or DARTS's n//3 and 2n//3."""
    if spec.reductions is not None:
        return sorted(set(spec.reductions))
    n = spec.layers
    return sorted({n // 3, 2 * n // 3}) if n >= 3 else []


def _preprocess_params(c_in: int, c: int, reduce: bool, always: bool) -> int:
    """A cell's input preprocessing: FactorizedReduce, 1×1 ReLUConvBN or nothing."""
    return c_in * c + bn_params(c) if reduce or always or c_in != c else 0


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


class DartsMacro(Macro):
    """The ``macro`` of a darts_cell Architecture (what :class:`DartsCellSpec` lowers to)."""

    channels: PositiveInt
    layers: PositiveInt
    reductions: list[NonNegativeInt]
    reduction_type: Literal["cell", "resblock"]
    stem_multiplier: PositiveInt
    input_nodes: Literal[1, 2]
    nodes: PositiveInt
    output: Literal["concat", "last"]
    preprocess: bool
    final_activation: bool
    node_norm: bool = False
    partial_channels: PositiveInt = 1
    edge_normalisation: bool = False
    pool_batchnorm: bool = True


@register_kind
class DartsCell(EdgeOpKind):
    """DARTS cells: the spec, lowering, network and parameter formula; ops drawn
    and derived as on any edge-op space."""

    name = "darts_cell"
    spec = DartsCellSpec
    body = DartsNetwork
    macro = DartsMacro

    def lower(self, spec: DartsCellSpec, g: nx.DiGraph) -> None:
        """The cells (``normal``, and ``reduce`` when reductions are cells) into ``g``."""
        if len(g.graph["input_shape"]) != 3:
            raise issue_at(
                spec,
                ("kind",),
                f"a darts_cell space needs images (C, H, W); the data has shape"
                f" {g.graph['input_shape']}",
            )
        reductions = darts_reductions(spec)
        g.graph["macro"] = {
            "channels": spec.channels,
            "layers": spec.layers,
            "reductions": reductions,
            "reduction_type": spec.reduction_type,
            "stem_multiplier": spec.stem_multiplier,
            "input_nodes": spec.input_nodes,
            "nodes": spec.nodes,
            "output": spec.output,
            "preprocess": spec.preprocess,
            "final_activation": spec.final_activation,
            "node_norm": spec.node_norm,
            "partial_channels": spec.partial_channels,
            "edge_normalisation": spec.edge_normalisation,
            "pool_batchnorm": spec.pool_batchnorm,
        }
        cells = {"normal": spec.ops}
        if reductions and spec.reduction_type == "cell":
            cells["reduce"] = spec.reduction_ops or spec.ops
        allowed = {tuple(int(p) for p in e.split("->")) for e in spec.edges} if spec.edges else None
        n_in, n_all = spec.input_nodes, spec.input_nodes + spec.nodes
        for cell, ops in cells.items():
            for i in range(n_all):
                g.add_node(
                    f"{cell}:{i}", role="input" if i < n_in else "hidden", cell=cell, index=i
                )
            out = f"{cell}:out"
            g.add_node(out, role="output", cell=cell, index=n_all)
            for j in range(n_in, n_all):
                for i in range(j):
                    if allowed is None or (i, j) in allowed:
                        g.add_edge(
                            f"{cell}:{i}", f"{cell}:{j}", ops=list(ops), key=f"{cell}:{i}->{j}"
                        )
            fed = range(n_in, n_all) if spec.output == "concat" else [n_all - 1]
            for j in fed:
                g.add_edge(
                    f"{cell}:{j}",
                    out,
                    op="concat" if spec.output == "concat" else "output",
                    searched=False,
                )
        g.graph["cells"] = list(cells)
        if spec.edge_normalisation:
            g.graph["edge_norm"] = edge_norm_choices(g)

    def dead_output(self, spec: DartsCellSpec, g: nx.DiGraph, node: str) -> SpecError:
        field = "reduction_ops" if node.startswith("reduce") and spec.reduction_ops else "ops"
        return issue_at(
            spec,
            (field,) if spec.edges is None else ("edges",),
            f"only zero ops (none) lead to the output of the {node.split(':')[0]} cell: it"
            " would compute nothing; add an op that computes",
        )

    def check(self, spec: DartsCellSpec, g: nx.DiGraph) -> None:
        """Also: a residual-block reduction halves feature maps of even sizes only
        (its shortcut pools, its convolution pads)."""
        super().check(spec, g)
        size = list(g.graph["input_shape"][1:])
        for layer in g.graph["macro"]["reductions"]:
            if spec.reduction_type == "resblock" and any(n % 2 for n in size):
                raise issue_at(
                    spec,
                    ("reductions",) if spec.reductions is not None else ("reduction_type",),
                    f"the residual-block reduction at layer {layer} would halve a"
                    f" {'x'.join(map(str, size))} feature map, which a resblock cannot (odd"
                    " size); use reduction_type: cell, fewer reductions, or other data",
                )
            size = [(n + 1) // 2 for n in size]

    def network_macro(self, macro: dict[str, Any]) -> dict[str, Any]:
        """Every macro setting but those that act in the supernet only."""
        return {k: v for k, v in macro.items() if k not in SUPERNET_ONLY}

    def params(self, arch: nx.DiGraph) -> int:
        """Stem, stacked cells (or NAS-Bench-201 residual blocks) and the head."""
        m = arch.graph["macro"]
        c = m["channels"]
        c_stem = c * m["stem_multiplier"]
        total = arch.graph["input_shape"][0] * c_stem * 9 + bn_params(c_stem)
        c_pp, c_p, reduction_prev = c_stem, c_stem, False
        for i in range(m["layers"]):
            reduction = i in m["reductions"]
            c = 2 * c if reduction else c
            if reduction and m["reduction_type"] == "resblock":
                # 3×3 stride-2 conv, 3×3 conv, and an avg-pooled 1×1 shortcut conv
                layer, out = conv_bn_params(3)(c_p, c, 2) + conv_bn_params(3)(c, c, 1) + c_p * c, c
            else:
                cell = "reduce" if reduction else "normal"
                inputs = [(c_pp, reduction_prev), (c_p, False)][-m["input_nodes"] :]
                layer, out = _cell_params(arch, cell, inputs, c, reduction)
            total += layer
            c_pp, c_p, reduction_prev = c_p, out, reduction
        final = bn_params(c_p) if m["final_activation"] else 0
        return total + final + linear_params(c_p, arch.graph["num_classes"], 1)

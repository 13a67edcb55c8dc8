"""The textbook DARTS supernet, written plainly as the paper describes it.

Liu, Simonyan, Yang, "DARTS: Differentiable Architecture Search", ICLR 2019:
every edge is a mixed op, a module holding one module per candidate op,
and its output is ``Σ_o w_o·o(x)`` computed by a Python loop over the ops
(``none`` included, as zeros). Pools are followed by BatchNorm(affine=False)
and BatchNorm inside the supernet is not affine. This file imports nothing
from dagnas's compiler: it is the yardstick the benchmarks measure dagnas
against, on the same SearchGraph and the same mixing weights.
"""

from __future__ import annotations

import networkx as nx
import torch
from torch import nn


class Zero(nn.Module):
    """The ``none`` op: zeros, computed as ``x·0`` like the original code."""

    def __init__(self, stride: int):
        super().__init__()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


def relu_conv_bn(c_in: int, c_out: int, k: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.ReLU(),
        nn.Conv2d(c_in, c_out, k, stride, k // 2, bias=False),
        nn.BatchNorm2d(c_out, affine=False),
    )


def dil_conv(c_in: int, c_out: int, k: int, stride: int, dilation: int) -> nn.Sequential:
    pad = dilation * (k - 1) // 2
    return nn.Sequential(
        nn.ReLU(),
        nn.Conv2d(c_in, c_in, k, stride, pad, dilation=dilation, groups=c_in, bias=False),
        nn.Conv2d(c_in, c_out, 1, bias=False),
        nn.BatchNorm2d(c_out, affine=False),
    )


def sep_conv(c: int, k: int, stride: int) -> nn.Sequential:
    return nn.Sequential(dil_conv(c, c, k, stride, 1), dil_conv(c, c, k, 1, 1))


class FactorizedReduce(nn.Module):
    """ReLU, two stride-2 1×1 convs (the second offset by one pixel), concat, BN."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        return self.bn(torch.cat([self.conv1(x), self.conv2(x[:, :, 1:, 1:])], dim=1))


def build_op(name: str, c: int, stride: int) -> nn.Module:
    """One candidate op of the DARTS space at width ``c``."""
    if name == "none":
        return Zero(stride)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c)
    if name in ("max_pool_3x3", "avg_pool_3x3"):
        pool = (
            nn.MaxPool2d(3, stride, 1)
            if name == "max_pool_3x3"
            else nn.AvgPool2d(3, stride, 1, count_include_pad=False)
        )
        return nn.Sequential(pool, nn.BatchNorm2d(c, affine=False))
    kind, k = name[:8], int(name[-1])
    if kind == "sep_conv":
        return sep_conv(c, k, stride)
    if kind == "dil_conv":
        return dil_conv(c, c, k, stride, 2)
    raise ValueError(f"the textbook reference has no op {name!r}")


class MixedOp(nn.Module):
    """ô(x) = Σ_o w_o·o(x), one module per op, a loop over them."""

    def __init__(self, names: list[str], c: int, stride: int):
        super().__init__()
        self.ops = nn.ModuleDict({n: build_op(n, c, stride) for n in names})

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return sum(w * op(x) for w, op in zip(weights, self.ops.values(), strict=True))


class Cell(nn.Module):
    """Two preprocessed inputs, ``nodes`` intermediate nodes, concat of them all."""

    def __init__(self, cell: str, ops: list[str], nodes: int, c_pp: int, c_p: int, c: int,
                 reduction: bool, reduction_prev: bool):  # fmt: skip
        super().__init__()
        self.cell, self.nodes = cell, nodes
        self.pre0 = FactorizedReduce(c_pp, c) if reduction_prev else relu_conv_bn(c_pp, c, 1, 1)
        self.pre1 = relu_conv_bn(c_p, c, 1, 1)
        self.edges = nn.ModuleDict()
        for j in range(2, 2 + nodes):
            for i in range(j):
                self.edges[f"{i}->{j}"] = MixedOp(ops, c, 2 if reduction and i < 2 else 1)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, mixing: dict[str, torch.Tensor]):
        states = [self.pre0(s0), self.pre1(s1)]
        for j in range(2, 2 + self.nodes):
            states.append(
                sum(
                    self.edges[f"{i}->{j}"](h, mixing[f"{self.cell}:{i}->{j}"])
                    for i, h in enumerate(states)
                )
            )
        return torch.cat(states[2:], dim=1)


class TextbookDarts(nn.Module):
    """The DARTS search network of a standard ``darts_cell`` SearchGraph."""

    def __init__(self, g: nx.DiGraph):
        super().__init__()
        m = g.graph["macro"]
        standard = dict(input_nodes=2, preprocess=True, output="concat", reduction_type="cell")
        for k, v in standard.items():
            if m[k] != v or m["final_activation"]:
                raise ValueError(f"the textbook reference needs {k}={v!r}, no final_activation")
        ops = {cell: next(d["ops"] for u, _, d in g.edges(data=True)
                          if "ops" in d and g.nodes[u]["cell"] == cell)
               for cell in g.graph["cells"]}  # fmt: skip
        c, nodes = m["channels"], m["nodes"]
        c_stem = c * m["stem_multiplier"]
        self.stem = nn.Sequential(
            nn.Conv2d(g.graph["input_shape"][0], c_stem, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_stem),
        )
        c_pp, c_p, reduction_prev = c_stem, c_stem, False
        self.cells = nn.ModuleList()
        for layer in range(m["layers"]):
            reduction = layer in m["reductions"]
            c = 2 * c if reduction else c
            cell = "reduce" if reduction else "normal"
            self.cells.append(Cell(cell, ops[cell], nodes, c_pp, c_p, c, reduction, reduction_prev))
            c_pp, c_p, reduction_prev = c_p, nodes * c, reduction
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(c_p, g.graph["num_classes"])

    def forward(self, x: torch.Tensor, mixing: dict[str, torch.Tensor]) -> torch.Tensor:
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, mixing)
        return self.classifier(self.pool(s1).flatten(1))


def paired_parameters(
    body: nn.Module, ref: TextbookDarts
) -> list[tuple[nn.Parameter, nn.Parameter]]:
    """(dagnas weight, reference weight) pairs of a dagnas DartsNetwork ``body``.

    Modules are matched by role (stem, each cell's preprocessing, each
    edge's op by name, the classifier) and their parameters in order.
    """
    pairs = [(body.stem, ref.stem), (body.head[-1], ref.classifier)]
    for layer, cell in zip(body.layers, ref.cells, strict=True):
        pairs += list(zip(layer.pre, (cell.pre0, cell.pre1), strict=True))
        for name, edge in cell.edges.items():
            pairs += [(layer.edges[name].ops[op], m) for op, m in edge.ops.items() if op != "none"]
    out = []
    for mine, theirs in pairs:
        for p, q in zip(mine.parameters(), theirs.parameters(), strict=True):
            if p.shape != q.shape:
                raise ValueError(f"shape mismatch {tuple(p.shape)} vs {tuple(q.shape)}")
            out.append((p, q))
    return out


@torch.no_grad()
def copy_weights(body: nn.Module, ref: TextbookDarts) -> None:
    """Give the reference the weights of a dagnas DartsNetwork ``body``."""
    for p, q in paired_parameters(body, ref):
        q.copy_(p)

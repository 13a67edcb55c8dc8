"""DARTS-style networks: stem → stacked cells (searched) → classifier.

One implementation serves the supernet (every edge mixes its candidate ops)
and the child network (every edge holds its one derived op).
"""

from __future__ import annotations

import networkx as nx
import torch
from torch import nn

from dagnas.compile.body import Body
from dagnas.compile.edge import Fanout, MixedEdge, NodeSum, edge_ops
from dagnas.ops import FactorizedReduce, ReLUConvBN
from dagnas.ops.recompute import recompute_saved
from dagnas.relax import Mixing


class Cell(nn.Module):
    """One cell: input nodes, intermediate nodes summing their in-edges, an output."""

    def __init__(
        self,
        g: nx.DiGraph,
        cell: str,
        c_pp: int,
        c_p: int,
        c: int,
        reduction: bool,
        reduction_prev: bool,
        search: bool,
    ):
        super().__init__()
        m = g.graph["macro"]
        self.cell, self.c, self.reduction = cell, c, reduction
        nodes = sorted(
            (n for n, d in g.nodes(data=True) if d["cell"] == cell),
            key=lambda n: g.nodes[n]["index"],
        )
        self.n_in = m["input_nodes"]
        self.n_all = self.n_in + m["nodes"]
        self.pre = nn.ModuleList(
            _preprocess(c_in, c, reduce, m["preprocess"], affine=not search)
            for c_in, reduce in (
                [(c_pp, reduction_prev), (c_p, False)] if self.n_in == 2 else [(c_p, False)]
            )
        )
        self.edges = nn.ModuleDict()
        shared: dict[int, dict[str, nn.Module]] = {i: {} for i in range(self.n_all)}
        self.keys: dict[int, list[tuple[int, str]]] = {j: [] for j in range(self.n_in, self.n_all)}
        for u, v, d in g.edges(nodes, data=True):
            if d.get("searched", True) is False:
                continue
            i, j = g.nodes[u]["index"], g.nodes[v]["index"]
            stride = 2 if reduction and i < self.n_in else 1
            key = d.get("key", f"{cell}:{i}->{j}")
            self.edges[f"{i}->{j}"] = MixedEdge(edge_ops(d), c, c, stride, search, key, shared[i])
            self.keys[j].append((i, key))
        # DARTS-PRIME: normalise each intermediate node's sum during the search only
        self.norms = nn.ModuleList(
            nn.BatchNorm2d(c, affine=False)
            for _ in range(m["nodes"])
            if search and m.get("node_norm", False)
        )
        out = f"{cell}:out"
        self.fed = sorted(g.nodes[u]["index"] for u in g.predecessors(out))
        self.out_channels = c * len(self.fed)

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, mixing: Mixing | None) -> torch.Tensor:
        inputs = (s0, s1) if self.n_in == 2 else (s1,)
        states = [p(s) for p, s in zip(self.pre, inputs, strict=True)]
        sources = [Fanout(s) for s in states]
        n, _, h, w = states[-1].shape
        if self.reduction:
            h, w = (h + 1) // 2, (w + 1) // 2
        for j in range(self.n_in, self.n_all):
            total = NodeSum()
            for i, k in self.keys[j]:
                self.edges[f"{i}->{j}"].accumulate(total, sources[i], mixing[k] if mixing else None)
            value = (
                total.value if total.value is not None else states[-1].new_zeros(n, self.c, h, w)
            )
            if self.norms:
                value = self.norms[j - self.n_in](value)
            states.append(value)
            sources.append(Fanout(value))
        return torch.cat([states[j] for j in self.fed], dim=1)


def _preprocess(c_in: int, c: int, reduce: bool, always: bool, affine: bool) -> nn.Module:
    if reduce:
        return FactorizedReduce(c_in, c, affine=affine)
    if always or c_in != c:
        return ReLUConvBN(c_in, c, 1, 1, affine=affine)
    return nn.Identity()


class ResBlock(nn.Module):
    """NAS-Bench-201's residual reduction block (stride 2, doubles channels)."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.a = ReLUConvBN(c_in, c_out, 3, 2)
        self.b = ReLUConvBN(c_out, c_out, 3, 1)
        self.down = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))
        self.out_channels = c_out

    def forward(self, s0: torch.Tensor, s1: torch.Tensor, mixing: Mixing | None) -> torch.Tensor:
        return self.down(s1) + self.b(self.a(s1))


class DartsNetwork(Body):
    """Stem, ``layers`` cells (some reducing), global pooling and a linear head.

    Activations are kept channels-last (NHWC): the same values, and on a CPU
    the depthwise and 1×1 convolutions, pools and BatchNorm run several
    times faster than on NCHW tensors. ``channels_last = False`` turns it off.
    """

    channels_last = True
    #: store cheap activations as recipes, recomputed in backward (less memory)
    recompute = True

    def __init__(self, g: nx.DiGraph, search: bool):
        super().__init__()
        m = g.graph["macro"]
        c_data = g.graph["input_shape"][0]
        c = m["channels"]
        c_stem = c * m["stem_multiplier"]
        self.stem = nn.Sequential(
            nn.Conv2d(c_data, c_stem, 3, padding=1, bias=False), nn.BatchNorm2d(c_stem)
        )
        c_pp, c_p, reduction_prev = c_stem, c_stem, False
        self.layers = nn.ModuleList()
        for i in range(m["layers"]):
            reduction = i in m["reductions"]
            if reduction:
                c *= 2
            if reduction and m["reduction_type"] == "resblock":
                layer: nn.Module = ResBlock(c_p, c)
            else:
                layer = Cell(
                    g,
                    "reduce" if reduction else "normal",
                    c_pp,
                    c_p,
                    c,
                    reduction,
                    reduction_prev,
                    search,
                )
            self.layers.append(layer)
            c_pp, c_p, reduction_prev = c_p, layer.out_channels, reduction
        final: list[nn.Module] = [nn.BatchNorm2d(c_p), nn.ReLU()] if m["final_activation"] else []
        self.head = nn.Sequential(
            *final, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_p, g.graph["num_classes"])
        )

    def forward(self, x: torch.Tensor, mixing: Mixing | None) -> torch.Tensor:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with recompute_saved(self.recompute):
            s0 = s1 = self.stem(x)
            for layer in self.layers:
                s0, s1 = s1, layer(s0, s1, mixing)
        return self.head(s1)

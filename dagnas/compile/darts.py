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
from dagnas.compile.partial import PartialEdge
from dagnas.ops import FactorizedReduce, ReLUConvBN
from dagnas.ops.recompute import recompute_saved
from dagnas.relax import Mixing


class Cell(nn.Module):
    """One cell: input nodes, intermediate nodes summing their in-edges, an output.

    ``drop_prob`` > 0: in a child network in training, DARTS's drop-path on
    every op output but an identity's (set by :meth:`DartsNetwork.set_drop_path`).
    In a supernet, PC-DARTS's partial channels (macro ``partial_channels`` K > 1:
    :class:`PartialEdge`) and edge normalisation (the graph's ``edge_norm``: node
    j's in-edge from i weighted by the mixing weight of choice ``"<cell>:<j>"``).
    """

    drop_prob = 0.0

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
        self.part = c // m.get("partial_channels", 1) if search else c
        norm = g.graph.get("edge_norm", {}) if search else {}
        self.edge_norm = {g.nodes[n]["index"]: (n, ks) for n, ks in norm.items() if n in nodes}
        pool_bn = m.get("pool_batchnorm", True)
        self.edges = nn.ModuleDict()
        shared: dict[int, dict[str, nn.Module]] = {i: {} for i in range(self.n_all)}
        self.keys: dict[int, list[tuple[int, str]]] = {j: [] for j in range(self.n_in, self.n_all)}
        for u, v, d in g.edges(nodes, data=True):
            if d.get("searched", True) is False:
                continue
            i, j = g.nodes[u]["index"], g.nodes[v]["index"]
            stride = 2 if reduction and i < self.n_in else 1
            key = d.get("key", f"{cell}:{i}->{j}")
            self.edges[f"{i}->{j}"] = (
                PartialEdge(edge_ops(d), c, stride, c // self.part, key, shared[i], pool_bn)
                if self.part < c
                else MixedEdge(edge_ops(d), c, c, stride, search, key, shared[i], pool_bn=pool_bn)
            )
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
        sources = [self._fanout(s) for s in states]
        n, _, h, w = states[-1].shape
        if self.reduction:
            h, w = (h + 1) // 2, (w + 1) // 2
        drop = self.drop_prob if self.training and mixing is None else 0.0
        for j in range(self.n_in, self.n_all):
            total = NodeSum()
            for i, k in self.keys[j]:
                w_k = mixing[k] if mixing else None
                b = self._edge_weight(mixing, j, k)
                edge = self.edges[f"{i}->{j}"]
                if isinstance(edge, PartialEdge):
                    self._add_partial(total, edge(sources[i], states[i], w_k), b)
                else:
                    edge.accumulate(total, sources[i], w_k if b is None else w_k * b, drop)
            value = total.result(lambda: states[-1].new_zeros(n, self.c, h, w))
            if self.norms:
                value = self.norms[j - self.n_in](value)
            states.append(value)
            sources.append(self._fanout(value))
        return torch.cat([states[j] for j in self.fed], dim=1)

    def _fanout(self, x: torch.Tensor) -> Fanout:
        """What a node's out-edges share: of its channels, those their ops see."""
        return Fanout(x[:, : self.part] if self.part < self.c else x)

    @staticmethod
    def _add_partial(total: NodeSum, y: torch.Tensor, b: torch.Tensor | None) -> None:
        """Add a partial edge's fresh output ``y``, times its edge weight ``b`` if any."""
        if b is None:
            total.add(y, owned=True)
        else:
            total.add_scaled(y, b)

    def _edge_weight(self, mixing: Mixing | None, j: int, key: str) -> torch.Tensor | None:
        """Edge normalisation: the weight of in-edge ``key`` of node ``j`` (None: off)."""
        if not mixing or j not in self.edge_norm:
            return None
        node, keys = self.edge_norm[j]
        return mixing[node][keys.index(key)]


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


class AuxiliaryHead(nn.Module):
    """DARTS's ``AuxiliaryHeadCIFAR``: ReLU, 5×5 average pool (stride 3), 1×1 conv
    to 128, BN, ReLU, 2×2 conv to 768, BN, ReLU, linear. Written for 8×8 inputs
    (CIFAR at 2/3 depth); smaller inputs skip the pool, larger ones are
    averaged to 1×1 before the linear layer (no parameters either way)."""

    def __init__(self, c: int, num_classes: int, size: int):
        super().__init__()
        pool: nn.Module = nn.Identity()
        if size >= 5:
            pool, size = nn.AvgPool2d(5, stride=3, count_include_pad=False), (size - 5) // 3 + 1
        self.features = nn.Sequential(
            nn.ReLU(),
            pool,
            nn.Conv2d(c, 128, 1, bias=False),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.Conv2d(128, 768, min(2, size), bias=False),
            nn.BatchNorm2d(768),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class DartsNetwork(Body):
    """Stem, ``layers`` cells (some reducing), global pooling and a linear head.

    Activations are kept channels-last (NHWC): the same values, and on a CPU
    the depthwise and 1×1 convolutions, pools and BatchNorm run several
    times faster than on NCHW tensors. ``channels_last = False`` turns it off.

    A child network can carry DARTS's auxiliary head (``auxiliary``) after
    layer ``2·layers // 3``; ``forward(x, None, aux=True)`` returns its logits
    beside the network's in training mode.
    """

    channels_last = True
    has_auxiliary = True
    #: store cheap activations as recipes, recomputed in backward (less memory)
    recompute = True

    def __init__(self, g: nx.DiGraph, search: bool, auxiliary: bool = False):
        super().__init__()
        m = g.graph["macro"]
        c_data, size = g.graph["input_shape"][:2]
        #: the layer after which the auxiliary head (``auxiliary``) reads, as DARTS
        self.aux_at = 2 * m["layers"] // 3 if auxiliary else -1
        self.aux_head: AuxiliaryHead | None = None
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
            size = (size + 1) // 2 if reduction else size
            if i == self.aux_at:
                self.aux_head = AuxiliaryHead(c_p, g.graph["num_classes"], size)
        final: list[nn.Module] = [nn.BatchNorm2d(c_p), nn.ReLU()] if m["final_activation"] else []
        self.head = nn.Sequential(
            *final, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_p, g.graph["num_classes"])
        )

    def set_drop_path(self, p: float) -> None:
        """Drop-path probability ``p`` in every cell (used in training only)."""
        for layer in self.layers:
            if isinstance(layer, Cell):
                layer.drop_prob = p

    def forward(
        self, x: torch.Tensor, mixing: Mixing | None, aux: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """Logits; with ``aux``, (logits, the auxiliary head's logits: None
        unless the network has the head and is in training mode)."""
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        aux_logits = None
        with recompute_saved(self.recompute):
            s0 = s1 = self.stem(x)
            for i, layer in enumerate(self.layers):
                s0, s1 = s1, layer(s0, s1, mixing)
                if aux and i == self.aux_at and self.training:
                    aux_logits = self.aux_head(s1)
            logits = self.head(s1)
        return (logits, aux_logits) if aux else logits

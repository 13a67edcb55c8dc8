"""Networks of a `dag` space: nodes aggregate their in-edges in topological order."""

from __future__ import annotations

import networkx as nx
import torch
from torch import nn

from dagnas.compile.body import Body
from dagnas.compile.edge import MixedEdge, add_all, edge_ops
from dagnas.relax import Mixing


class DagNetwork(Body):
    """Every input node reads the data; the output node's value gives the logits.

    Image data keeps (N, C, H, W) through the DAG and is pooled at the end;
    vector ops see the data flattened. A linear head maps the output node's
    width to the classes when they differ.
    """

    def __init__(self, g: nx.DiGraph, search: bool):
        super().__init__()
        self.image = g.graph["macro"]["domain"] == "image"
        self.order = list(nx.lexicographical_topological_sort(g, key=lambda n: g.nodes[n]["index"]))
        self.roles = {n: g.nodes[n]["role"] for n in self.order}
        self.width = {n: g.nodes[n]["width"] for n in self.order}
        self.mean = {n for n in self.order if g.nodes[n]["aggregate"] == "mean"}
        self.edges = nn.ModuleDict()
        self.incoming: dict[str, list[tuple[str, str, str]]] = {n: [] for n in self.order}
        for u, v, d in g.edges(data=True):
            name = f"{u.split(':', 1)[1]}->{v.split(':', 1)[1]}"
            key = d.get("key", f"dag:{name}")
            self.edges[name] = MixedEdge(edge_ops(d), self.width[u], self.width[v], 1, search, key)
            self.incoming[v].append((u, name, key))
        self.output = next(n for n in self.order if self.roles[n] == "output")
        classes = g.graph["num_classes"]
        pool: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten()] if self.image else []
        w_out = self.width[self.output]
        linear: list[nn.Module] = [nn.Linear(w_out, classes)] if w_out != classes else []
        self.head = nn.Sequential(*pool, *linear)

    def forward(self, x: torch.Tensor, mixing: Mixing | None) -> torch.Tensor:
        if not self.image:
            x = x.flatten(1)
        values: dict[str, torch.Tensor] = {}
        for n in self.order:
            if self.roles[n] == "input":
                values[n] = x
                continue
            terms = [
                self.edges[name](values[u], mixing[k] if mixing else None)
                for u, name, k in self.incoming[n]
            ]
            shape = (x.shape[0], self.width[n], *x.shape[2:])
            out = add_all(terms, x, shape)
            values[n] = out / len(terms) if n in self.mean and terms else out
        return self.head(values[self.output])

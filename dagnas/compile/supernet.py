"""SearchGraph → Supernet; Architecture → child network."""

from __future__ import annotations

from typing import Any

import networkx as nx
import torch
from torch import nn

from dagnas.compile.dag import DagNetwork
from dagnas.compile.darts import DartsNetwork
from dagnas.compile.edge import ops_by_choice
from dagnas.relax import RELAXATIONS, Mixing, Relaxation

BODIES: dict[str, type[nn.Module]] = {"darts_cell": DartsNetwork, "dag": DagNetwork}


def choices_of(g: nx.DiGraph) -> dict[str, list[str]]:
    """Choice key → candidate op names, in a deterministic order."""
    found = {d["key"]: list(d["ops"]) for _, _, d in g.edges(data=True) if "ops" in d}
    return dict(sorted(found.items()))


def groups_of(g: nx.DiGraph) -> dict[str, list[str]]:
    """Target node → the choice keys of its incoming searched edges."""
    groups: dict[str, list[str]] = {}
    for _, v, d in sorted(g.edges(data=True), key=lambda e: e[2].get("key", "")):
        if "ops" in d:
            groups.setdefault(v, []).append(d["key"])
    return dict(sorted(groups.items()))


class Supernet(nn.Module):
    """A body network plus the relaxation that owns the architecture parameters.

    ``weights()`` and ``arch_parameters()`` are disjoint; both travel with
    ``state_dict()`` and ``.to()``.
    """

    def __init__(self, graph: nx.DiGraph, body: nn.Module, relaxation: Relaxation):
        super().__init__()
        self.graph = graph
        self.body = body
        self.relaxation = relaxation

    def forward(self, x: torch.Tensor, mixing: Mixing | None = None) -> torch.Tensor:
        """Logits (N, classes); ``mixing`` defaults to the relaxation's output."""
        return self.body(x, self.relaxation() if mixing is None else mixing)

    def weights(self) -> list[nn.Parameter]:
        return list(self.body.parameters())

    def arch_parameters(self) -> list[nn.Parameter]:
        return list(self.relaxation.parameters())


def compile_supernet(g: nx.DiGraph, relaxation: str = "softmax", **options: Any) -> Supernet:
    """Build the supernet of SearchGraph ``g`` with the named relaxation."""
    body = BODIES[g.graph["kind"]](g, search=True)
    relax = RELAXATIONS.get(relaxation)(choices_of(g), groups_of(g), **options)
    relax.bind(ops_by_choice(body))
    return Supernet(g, body, relax)


class ChildNet(nn.Module):
    """A standalone network compiled from an Architecture: one op per edge
    (the sum of its ops where a rule kept several, ``ops_kept``)."""

    def __init__(self, arch: nx.DiGraph):
        super().__init__()
        self.body = BODIES[arch.graph["kind"]](arch, search=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x, None)

"""SearchGraph → Supernet; Architecture → child network."""

from __future__ import annotations

from typing import Any

import networkx as nx
import torch
from torch import nn

from dagnas.compile.body import Body, History, Replaced
from dagnas.compile.edge import MixedEdge, ops_by_choice
from dagnas.errors import DagnasError
from dagnas.graph import nothing_to_train
from dagnas.kinds.base import kind_of
from dagnas.relax import RELAXATIONS, Mixing, Relaxation


def choices_of(g: nx.DiGraph) -> dict[str, list[str]]:
    """Choice key → candidate names, in a deterministic order: the graph
    attribute ``choices`` if present, else the searched edges' ops, and the
    nodes' choices over their in-edges (``edge_norm``: PC-DARTS's β)."""
    if "choices" in g.graph:
        return {k: list(v) for k, v in sorted(g.graph["choices"].items())}
    found = {d["key"]: list(d["ops"]) for _, _, d in g.edges(data=True) if "ops" in d}
    found |= {k: list(v) for k, v in g.graph.get("edge_norm", {}).items()}
    return dict(sorted(found.items()))


def groups_of(g: nx.DiGraph) -> dict[str, list[str]]:
    """Group → its choice keys: the graph attribute ``groups`` if present, else
    target node → the keys of its incoming searched edges (and its edge
    normalisation's choice, keyed by the node)."""
    if "groups" in g.graph:
        return {k: list(v) for k, v in sorted(g.graph["groups"].items())}
    groups: dict[str, list[str]] = {}
    for _, v, d in sorted(g.edges(data=True), key=lambda e: e[2].get("key", "")):
        if "ops" in d:
            groups.setdefault(v, []).append(d["key"])
    for node in g.graph.get("edge_norm", {}):  # keyed by the node: its own group's
        groups[node].append(node)
    return dict(sorted(groups.items()))


class Supernet(nn.Module):
    """A body network plus the relaxation that owns the architecture parameters.

    ``weights()`` and ``arch_parameters()`` are disjoint; both travel with
    ``state_dict()`` and ``.to()``.
    """

    def __init__(self, graph: nx.DiGraph, body: Body, relaxation: Relaxation):
        super().__init__()
        self.graph = graph
        self.body = body
        self.relaxation = relaxation

    def forward(self, x: torch.Tensor, mixing: Mixing | None = None) -> torch.Tensor:
        """Logits (N, classes); ``mixing`` defaults to the relaxation's output."""
        return self.body(x, self.relaxation() if mixing is None else mixing)

    def end_phase(self, weights: Mixing, epoch: int, final: bool) -> tuple[History, Replaced]:
        """Between architecture phases (after epoch ``epoch``; ``final`` after the
        last): let the body act on the final mixing ``weights``, e.g. resample
        dense blocks. The relaxation resets the options whose candidates the body
        replaced (fresh α). Returns ``({history name: record}, {choice key:
        replaced options})``: the search also forgets their optimizer moments
        and regularizer state.
        """
        history, replaced = self.body.end_phase(weights, epoch, final)
        for key, options in replaced.items():
            self.relaxation.reset_options(key, options)
        return history, replaced

    def current_graph(self) -> nx.DiGraph:
        """A copy of the SearchGraph with the body's current state in its graph
        attributes (dense blocks: ``blocks``), which derivation rules read."""
        g = self.graph.copy()
        self.body.annotate(g)
        return g

    def weights(self) -> list[nn.Parameter]:
        return list(self.body.parameters())

    def arch_parameters(self) -> list[nn.Parameter]:
        return list(self.relaxation.parameters())


def body_class(g: nx.DiGraph) -> type[Body]:
    """The body class of ``g``'s space kind (checked to subclass :class:`Body`)."""
    kind = kind_of(g)
    if not issubclass(kind.body, Body):
        raise DagnasError(
            f"space kind '{kind.name}': its body {kind.body.__name__} must subclass"
            " dagnas.compile.Body (no-op end_phase/annotate hooks to override)"
        )
    return kind.body


def compile_supernet(g: nx.DiGraph, relaxation: str = "softmax", **options: Any) -> Supernet:
    """Build the supernet of SearchGraph ``g`` with the named relaxation."""
    body = body_class(g)(g, search=True)
    relax = RELAXATIONS.get(relaxation)(choices_of(g), groups_of(g), **options)
    relax.bind(ops_by_choice(body))
    for edge in body.modules():
        if isinstance(edge, MixedEdge):
            edge.zero_weights_as_scalars = relax.zero_weights_as_scalars
    return Supernet(g, body, relax)


class ChildNet(nn.Module):
    """A standalone network compiled from an Architecture: one op per edge
    (the sum of its ops where a rule kept several, ``ops_kept``).

    ``auxiliary``: with DARTS's auxiliary head (darts_cell architectures),
    whose logits ``forward(x, aux=True)`` returns beside the network's in
    training mode.
    """

    def __init__(self, arch: nx.DiGraph, auxiliary: bool = False):
        super().__init__()
        body = body_class(arch)
        if auxiliary and not body.has_auxiliary:
            raise DagnasError(
                f"an auxiliary head needs a darts_cell architecture, not a {arch.graph['kind']}"
                " one; set the protocol's auxiliary_weight to 0"
            )
        extra = {"auxiliary": True} if auxiliary else {}
        self.body = body(arch, search=False, **extra)
        if not any(p.requires_grad for p in self.parameters()):
            raise DagnasError(nothing_to_train(arch))

    def forward(
        self, x: torch.Tensor, aux: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor | None]:
        """Logits; with ``aux``, (logits, auxiliary logits or None)."""
        if aux:
            return self.body(x, None, aux=True)
        return self.body(x, None)

    def set_drop_path(self, p: float) -> None:
        """DARTS's drop-path with probability ``p`` in training (darts_cell only)."""
        self.body.set_drop_path(p)

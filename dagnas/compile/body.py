"""The base class of a network body: what a supernet asks of the network it wraps."""

from __future__ import annotations

from typing import Any, ClassVar

import networkx as nx
from torch import nn

from dagnas.errors import DagnasError
from dagnas.relax import Mixing

#: ``{history name: one record}``: what a body reports after a phase (``blocks``)
History = dict[str, dict[str, Any]]
#: ``{choice key: replaced option indices}``: candidates a body swapped for new ones
Replaced = dict[str, list[int]]


class Body(nn.Module):
    """A network built from a graph: ``forward(x, mixing)`` gives logits (N, classes),
    reading the mixing weights of its choices (``mixing=None`` in a child network).

    The hooks below do nothing; a body with state of its own that changes
    between architecture phases (dense blocks) overrides them. A body that
    offers a child network's retraining features overrides
    :meth:`set_drop_path` and sets ``has_auxiliary`` (then
    ``body(graph, search=False, auxiliary=True)`` builds an auxiliary head and
    ``forward(x, None, aux=True)`` returns its logits beside the network's).
    """

    #: whether the body can carry an auxiliary head (``auxiliary=True``)
    has_auxiliary: ClassVar[bool] = False

    def set_drop_path(self, p: float) -> None:
        """Drop-path probability ``p`` in a child network in training; a body
        without drop-path refuses ``p`` > 0."""
        if p > 0:
            raise DagnasError(
                f"drop-path needs a darts_cell architecture, not a {type(self).__name__};"
                " set the protocol's drop_path to 0"
            )

    def end_phase(self, weights: Mixing, epoch: int, final: bool) -> tuple[History, Replaced]:
        """After architecture phase ``epoch`` (``final`` after the last), act on the
        final mixing ``weights``. Returns what to record and the replaced options."""
        return {}, {}

    def annotate(self, graph: nx.DiGraph) -> None:
        """Write the body's current state into ``graph.graph`` for derivation rules."""

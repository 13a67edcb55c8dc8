"""The parameter count of an Architecture's child network, from the graph alone.

``graph_params(arch)`` is the formula of the architecture's space kind
(:meth:`dagnas.kinds.SpaceKind.params`), which adds the op formulas of
:mod:`dagnas.measure.formulas` to the macro parts the kind builds around
the cells (stem, per-cell preprocessing, NAS-Bench-201 residual blocks,
head). It must equal ``sum(p.numel() for p in ChildNet(arch).parameters())``;
the tests check that for every built-in op and space kind.
"""

from __future__ import annotations

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.kinds.base import KINDS, kind_of


def graph_params(arch: nx.DiGraph) -> int:
    """The parameter count of ``ChildNet(arch)``, computed from the graph alone."""
    kind = arch.graph.get("kind")
    if kind not in KINDS:
        known = ", ".join(KINDS.names())
        raise DagnasError(f"no parameter count for space kind {kind!r} (known: {known})")
    return kind_of(arch).params(arch)

"""Draw candidate Architectures from a SearchGraph's space, without a search.

``sample_architectures(graph, n, seed)`` returns ``n`` pairwise non-isomorphic
Architectures (distinct :func:`~dagnas.graph.canonical_hash`), the same ones
for the same ``seed``. How a candidate is drawn is the space kind's
:meth:`~dagnas.kinds.SpaceKind.draw`:

- `darts_cell` and `dag`: each searched edge gets one op drawn uniformly
  from its candidates; the space's own derivation rule then keeps edges
  (:func:`dagnas.kinds.edges.draw_ops`).
- `dense_blocks`: each stage's ``uniform`` sampler (uniform over its
  constrained DAGs up to isomorphism, seeded per stage as a run seeds it)
  draws distinct blocks; candidate i takes block i of every stage.

Candidates whose output is not reached from an input over active edges
(every path cut by `none`/`zero` ops) are dropped: their output ignores the data.

``all_architectures(graph)`` lists every Architecture of a small space
instead, up to isomorphism, through the kind's
:meth:`~dagnas.kinds.SpaceKind.enumerate` — those that ignore the data
included, since a search can derive them too (a tabular benchmark of the
space holds every architecture).
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from dagnas.errors import DagnasError
from dagnas.graph import active_subgraph, canonical_hash, input_nodes, output_nodes
from dagnas.kinds.base import KINDS

#: Draws per requested candidate (plus a floor) before giving up on finding distinct ones
TRIES_PER_CANDIDATE = 50
TRIES_FLOOR = 200
#: The most Architectures (isomorphic ones counted) :func:`all_architectures` lists by default
MAX_ENUMERATE = 5000


def reads_input(arch: nx.DiGraph) -> bool:
    """Whether every output node is reached from an input node over active edges."""
    h = active_subgraph(arch)
    ins = input_nodes(arch)
    return all(any(nx.has_path(h, i, o) for i in ins) for o in output_nodes(arch))


def sample_architectures(graph: nx.DiGraph, n: int, seed: int = 0) -> list[nx.DiGraph]:
    """``n`` non-isomorphic Architectures of SearchGraph ``graph``'s space, drawn with ``seed``.

    Each gets ``graph["run"] = "sample<seed>:<i>"``. Raises DagnasError when
    the space does not hold ``n`` distinct Architectures that can be found.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DagnasError(f"the number of candidates must be an integer >= 0, got {n!r}")
    kind = graph.graph.get("kind")
    if kind not in KINDS:
        raise DagnasError(f"cannot sample space kind {kind!r} (known: {', '.join(KINDS.names())})")
    rng = np.random.default_rng(seed)
    found: dict[str, nx.DiGraph] = {}
    budget = TRIES_PER_CANDIDATE * n + TRIES_FLOOR
    tries = 0
    while len(found) < n and tries < budget:
        batch = KINDS.get(kind).draw(graph, min(n - len(found), budget - tries), rng)
        tries += len(batch)
        for arch in batch:
            if reads_input(arch):
                found.setdefault(canonical_hash(arch), arch)
    if len(found) < n:
        raise DagnasError(
            f"found only {len(found)} distinct architectures of space "
            f"'{graph.graph.get('space')}' in {tries} draws, {n} were asked for; "
            "ask for fewer candidates"
        )
    archs = list(found.values())[:n]
    for i, arch in enumerate(archs):
        arch.graph["run"] = f"sample{seed}:{i}"
    return archs


def all_architectures(graph: nx.DiGraph, limit: int = MAX_ENUMERATE) -> list[nx.DiGraph]:
    """Every Architecture of SearchGraph ``graph``'s space, one per isomorphism class
    (distinct :func:`~dagnas.graph.canonical_hash`), in the kind's enumeration order;
    ``graph["run"] = "all:<i>"``. DagnasError when the space holds more than ``limit``."""
    kind = KINDS.get(graph.graph.get("kind"))
    size = kind.size(graph)
    if size > limit:
        raise DagnasError(
            f"space '{graph.graph.get('space')}' holds {size} architectures (isomorphic ones"
            f" counted), more than the {limit} that are listed at most; draw a sample instead"
            " (--sample N) or shrink the space (fewer ops, edges, nodes or vertices)"
        )
    found: dict[str, nx.DiGraph] = {}
    for arch in kind.enumerate(graph):
        found.setdefault(canonical_hash(arch), arch)
    archs = list(found.values())
    for i, arch in enumerate(archs):
        arch.graph["run"] = f"all:{i}"
    return archs

"""Blocks (DAGs over ordered layer vertices) and the constraints on them.

A block on ``l`` vertices is a DAG whose edges all go ``i → j`` with ``i < j``
(an upper-triangular adjacency). Vertex 0 reads the stage input (role
``source``), vertex ``l-1`` writes the stage output (role ``sink``), the rest
are ``hidden``. A block is stored as its sorted tuple of edges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx

from dagnas.errors import DagnasError, SpecError

Edge = tuple[int, int]
Block = tuple[Edge, ...]

SOURCE, HIDDEN, SINK = "source", "hidden", "sink"


def make_block(edges: Iterable[Iterable[int]]) -> Block:
    """The canonical (sorted, duplicate-free) edge tuple of ``edges``."""
    return tuple(sorted({(int(i), int(j)) for i, j in edges}))


def chain_block(vertices: int) -> Block:
    """The chain 0 → 1 → … → vertices-1: a plain MLP of ``vertices - 1`` layers."""
    return make_block((v, v + 1) for v in range(vertices - 1))


def role_of(v: int, vertices: int) -> str:
    """The role of vertex ``v`` in a block on ``vertices`` vertices."""
    if v == 0:
        return SOURCE
    return SINK if v == vertices - 1 else HIDDEN


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


@dataclass(frozen=True)
class DagConstraints:
    """Which blocks a search space admits.

    ``vertices`` l ≥ 2; ``max_skip`` d allows an edge i→j only if j−i ≤ d
    (None: no limit); ``min_edges``/``max_edges`` bound the edge count
    (None: no upper bound); ``connected`` asks every vertex to lie on some
    0 → l-1 path. Construction validates the fields and raises
    :class:`SpecError` naming the field, or saying which constraint to relax
    when no block satisfies them all.
    """

    vertices: int
    max_skip: int | None = None
    min_edges: int = 0
    max_edges: int | None = None
    connected: bool = True

    def __post_init__(self) -> None:
        issues = self._field_issues()
        if issues:
            raise SpecError(issues)
        self._check_feasible()

    def _field_issues(self) -> list[tuple[str, str]]:
        issues: list[tuple[str, str]] = []
        if not _is_int(self.vertices) or self.vertices < 2:
            issues.append(("vertices", f"expected an integer >= 2, got {self.vertices!r}"))
        if self.max_skip is not None and (not _is_int(self.max_skip) or self.max_skip < 1):
            issues.append(("max_skip", f"expected an integer >= 1 or None, got {self.max_skip!r}"))
        if not _is_int(self.min_edges) or self.min_edges < 0:
            issues.append(("min_edges", f"expected an integer >= 0, got {self.min_edges!r}"))
        if self.max_edges is not None and (not _is_int(self.max_edges) or self.max_edges < 0):
            issues.append(
                ("max_edges", f"expected an integer >= 0 or None, got {self.max_edges!r}")
            )
        if not isinstance(self.connected, bool):
            issues.append(("connected", f"expected true or false, got {self.connected!r}"))
        if issues:
            return issues
        if self.max_edges is not None and self.min_edges > self.max_edges:
            issues.append(
                (
                    "min_edges",
                    f"min_edges={self.min_edges} is larger than max_edges={self.max_edges}; "
                    "lower min_edges or raise max_edges",
                )
            )
        n_allowed = len(self.allowed_edges())
        if self.min_edges > n_allowed:
            issues.append(
                (
                    "min_edges",
                    f"min_edges={self.min_edges} but only {n_allowed} edges are possible on "
                    f"{self.vertices} vertices with max_skip={self.max_skip}; lower min_edges "
                    "or raise max_skip",
                )
            )
        return issues

    def _check_feasible(self) -> None:
        # Adding an edge never breaks connectivity and the chain 0→1→…→l-1 is
        # allowed under any max_skip, so the only empty case is a connected
        # block with fewer than l-1 edges.
        need = self.vertices - 1
        if self.connected and self.max_edges is not None and self.max_edges < need:
            raise SpecError(
                [
                    (
                        "max_edges",
                        f"constraints leave no DAG: a connected block on {self.vertices} "
                        f"vertices needs at least {need} edges (the chain), but "
                        f"max_edges={self.max_edges}; raise max_edges to {need} or set "
                        "connected=False",
                    )
                ]
            )

    def allowed_edges(self) -> list[Edge]:
        """Every edge i→j (i < j) the skip limit admits, in lexicographic order."""
        nv, d = self.vertices, self.max_skip
        return [(i, j) for i in range(nv) for j in range(i + 1, nv) if d is None or j - i <= d]

    @property
    def edge_bounds(self) -> tuple[int, int]:
        """``(lo, hi)``: the admissible edge counts, clipped to the possible ones."""
        n_allowed = len(self.allowed_edges())
        hi = n_allowed if self.max_edges is None else min(self.max_edges, n_allowed)
        return self.min_edges, hi

    def admits(self, block: Block) -> bool:
        """Whether ``block`` (as labelled) satisfies every constraint."""
        nv, d = self.vertices, self.max_skip
        for i, j in block:
            if not (0 <= i < j < nv) or (d is not None and j - i > d):
                return False
        lo, hi = self.edge_bounds
        if not lo <= len(block) <= hi:
            return False
        return not self.connected or is_connected(block, nv)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict; :meth:`from_dict` inverts it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DagConstraints:
        """Constraints from :meth:`to_dict` output (validated)."""
        return cls(**data)


def is_connected(block: Block, vertices: int) -> bool:
    """Whether every vertex lies on some 0 → vertices-1 path."""
    fwd = [False] * vertices
    bwd = [False] * vertices
    fwd[0] = True
    bwd[vertices - 1] = True
    for i, j in block:  # sorted by i, so sources are final before they are read
        fwd[j] = fwd[j] or fwd[i]
    for i, j in sorted(block, key=lambda e: -e[1]):
        bwd[i] = bwd[i] or bwd[j]
    return all(f and b for f, b in zip(fwd, bwd, strict=True))


def to_networkx(block: Block, vertices: int) -> nx.DiGraph:
    """The block as a DiGraph on nodes ``0..vertices-1`` (attrs ``index``, ``role``)."""
    g = nx.DiGraph()
    g.add_nodes_from((v, {"index": v, "role": role_of(v, vertices)}) for v in range(vertices))
    g.add_edges_from(block)
    return g


def from_networkx(graph: nx.DiGraph) -> Block:
    """The block of a DiGraph from :func:`to_networkx` (vertex = ``index`` attr, else node)."""
    pos = {n: int(data.get("index", n)) for n, data in graph.nodes(data=True)}
    nv = graph.number_of_nodes()
    if sorted(pos.values()) != list(range(nv)):
        raise DagnasError(f"expected vertex indices 0..{nv - 1}, found {sorted(pos.values())}")
    edges = [(pos[u], pos[v]) for u, v in graph.edges]
    bad = [e for e in edges if e[0] >= e[1]]
    if bad:
        raise DagnasError(f"edges must go from a lower to a higher index; found {bad}")
    return make_block(edges)


def block_to_json(block: Block) -> list[list[int]]:
    """``[[i, j], ...]`` for JSON."""
    return [[i, j] for i, j in block]


def block_from_json(data: Iterable[Iterable[int]]) -> Block:
    """Inverse of :func:`block_to_json`."""
    return make_block(data)

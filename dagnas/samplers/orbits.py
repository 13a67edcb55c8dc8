"""Isomorphism classes of blocks: members, multiplicity, representatives.

Two blocks are the same when their DiGraphs are isomorphic with vertex 0
kept as the source and ``l-1`` as the sink. Relabelling the hidden vertices
of a block G by a permutation σ gives another *labelled* block σ(G) when σ
keeps every edge pointing forward (σ is an ordering of the hidden vertices
compatible with G) and, under ``max_skip``, every edge short enough. Call
``T(G)`` the number of such orderings. σ(G) = σ'(G) exactly when σ⁻¹σ' is an
automorphism of G, so the class of G holds ``m(G) = T(G) / |Aut(G)|``
distinct labelled blocks that satisfy the constraints (the edge count and
connectivity do not change under relabelling). Automorphisms are counted and
isomorphism is decided by networkx; ``T(G)`` is a subset DP over orderings.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from functools import cache, lru_cache

import networkx as nx
from networkx.algorithms.isomorphism import DiGraphMatcher

from dagnas.errors import DagnasError
from dagnas.samplers.blocks import Block, DagConstraints, make_block, to_networkx


def _role_match(a: dict, b: dict) -> bool:
    return a["role"] == b["role"]


def wl_hash(graph: nx.DiGraph) -> str:
    """networkx's Weisfeiler-Lehman hash of a block graph, roles as node labels."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The hashes produced for directed graphs")
        return nx.weisfeiler_lehman_graph_hash(graph, node_attr="role")


def same_block(a: nx.DiGraph, b: nx.DiGraph) -> bool:
    """Whether two block graphs are isomorphic with the source and sink roles kept."""
    return nx.is_isomorphic(a, b, node_match=_role_match)


class _Hidden:
    """Per-hidden-vertex constraints of one block, as bitmasks over hidden slots."""

    def __init__(self, block: Block, vertices: int):
        self.n = vertices - 2
        self.preds = [0] * self.n  # hidden predecessors of hidden vertex v (slot v-1)
        self.from_src = [False] * self.n
        self.to_sink = [False] * self.n
        for i, j in block:
            if i > 0 and j < vertices - 1:
                self.preds[j - 1] |= 1 << (i - 1)
            elif i == 0 and j < vertices - 1:
                self.from_src[j - 1] = True
            elif i > 0 and j == vertices - 1:
                self.to_sink[i - 1] = True

    def can_place(self, v: int, pos: int, placed: int, window: int | None, d: int | None) -> bool:
        """Whether slot ``v`` may take position ``pos`` (1-based) after ``placed``."""
        if self.preds[v] & ~placed:
            return False
        if d is None:
            return True
        if window is not None and self.preds[v] & ~window:
            return False
        if self.from_src[v] and pos > d:
            return False
        return not (self.to_sink[v] and self.n + 1 - pos > d)


def _effective_skip(vertices: int, max_skip: int | None) -> int | None:
    return None if max_skip is None or max_skip >= vertices - 1 else max_skip


def count_orderings(block: Block, vertices: int, max_skip: int | None = None) -> int:
    """``T(G)``: orderings of the hidden vertices that keep ``block`` forward and in range."""
    h = _Hidden(block, vertices)
    d = _effective_skip(vertices, max_skip)
    if d is None:  # subset DP: ways[mask] = orderings of the first |mask| positions
        ways = [0] * (1 << h.n)
        ways[0] = 1
        for mask in range(1 << h.n):
            if ways[mask]:
                for v in range(h.n):
                    if not mask >> v & 1 and not h.preds[v] & ~mask:
                        ways[mask | 1 << v] += ways[mask]
        return ways[-1]

    @cache
    def rest(placed: int, window: tuple[int, ...]) -> int:
        pos = bin(placed).count("1") + 1
        if pos > h.n:
            return 1
        win_mask = sum(1 << u for u in window)
        total = 0
        for v in range(h.n):
            if not placed >> v & 1 and h.can_place(v, pos, placed, win_mask, d):
                total += rest(placed | 1 << v, (*window, v)[-d:])
        return total

    return rest(0, ())


def iter_relabellings(block: Block, vertices: int, max_skip: int | None = None) -> Iterator[Block]:
    """Every labelled block σ(G) over the orderings σ counted by :func:`count_orderings`.

    Yields one block per ordering, so a block repeats ``|Aut(G)|`` times.
    """
    h = _Hidden(block, vertices)
    d = _effective_skip(vertices, max_skip)

    def walk(placed: int, order: list[int]) -> Iterator[list[int]]:
        pos = len(order) + 1
        if pos > h.n:
            yield order
            return
        win = sum(1 << u for u in order[-d:]) if d is not None else None
        for v in range(h.n):
            if not placed >> v & 1 and h.can_place(v, pos, placed, win, d):
                yield from walk(placed | 1 << v, [*order, v])

    for order in walk(0, []):
        new = {0: 0, vertices - 1: vertices - 1}
        new.update({v + 1: p + 1 for p, v in enumerate(order)})
        yield make_block((new[i], new[j]) for i, j in block)


def count_automorphisms(block: Block, vertices: int, stop_after: int | None = None) -> int:
    """``|Aut(G)|`` with roles fixed (networkx VF2); counting stops at ``stop_after``."""
    g = to_networkx(block, vertices)
    count = 0
    for _ in DiGraphMatcher(g, g, node_match=_role_match).isomorphisms_iter():
        count += 1
        if stop_after is not None and count >= stop_after:
            break
    return count


@lru_cache(maxsize=1 << 16)
def multiplicity(block: Block, vertices: int, max_skip: int | None = None) -> int:
    """``m(G)``: distinct labelled blocks in the class of ``block`` within the skip limit."""
    return count_orderings(block, vertices, max_skip) // count_automorphisms(block, vertices)


@lru_cache(maxsize=1 << 16)
def _canonical(block: Block, vertices: int, max_skip: int | None) -> Block:
    return min(iter_relabellings(block, vertices, max_skip))


def canonical_block(block: Block, constraints: DagConstraints) -> Block:
    """The class representative: the lexicographically smallest admitted relabelling.

    Cost grows with ``T(G)`` (at most ``(l-2)!``): cheap for l ≤ 7, possibly slow
    for large sparse blocks.
    """
    block = make_block(block)
    if not constraints.admits(block):
        raise DagnasError(f"block {list(block)} does not satisfy {constraints}")
    return _canonical(block, constraints.vertices, constraints.max_skip)


class IsoSet:
    """A set of blocks up to isomorphism (WL-hash buckets, then ``nx.is_isomorphic``)."""

    def __init__(self, vertices: int, blocks: list[Block] | None = None):
        self.vertices = vertices
        self._buckets: dict[str, list[tuple[Block, nx.DiGraph]]] = {}
        self._size = 0
        for b in blocks or []:
            self.add(b)

    def __len__(self) -> int:
        return self._size

    def _lookup(self, block: Block) -> tuple[str, nx.DiGraph, Block | None]:
        g = to_networkx(block, self.vertices)
        key = wl_hash(g)
        for other, og in self._buckets.get(key, []):
            if other == block or same_block(g, og):
                return key, g, other
        return key, g, None

    def find(self, block: Block) -> Block | None:
        """The stored block isomorphic to ``block``, or None."""
        return self._lookup(block)[2]

    def add(self, block: Block) -> bool:
        """Store ``block`` unless an isomorphic one is stored; True if it was new."""
        key, g, found = self._lookup(block)
        if found is not None:
            return False
        self._buckets.setdefault(key, []).append((block, g))
        self._size += 1
        return True

"""How a stage of masked dense blocks is computed: each distinct value once.

Block b's vertex j holds h_j = agg_{i→j ∈ b} act(W_ij h_i + c_ij) (METHODS.md §3),
so h_j depends only on the part of b that feeds j. Blocks whose parts feeding
j coincide share h_j: all of them share the stage input h_0, and any two
blocks with the edge 0→1 share h_1. The plan interns every distinct value as a
*node* (a vertex plus the nodes feeding it); the compiler computes each node,
and each edge term act(W_ij h), once, batched over the nodes of a vertex.

Before interning, each block is pruned to the edges on some 0 → l-1 path
(:func:`prune`): a vertex without inputs is dead (it adds nothing downstream),
and a vertex that does not reach the output changes nothing. With ``mean``
aggregation a vertex averages over its live inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dagnas.samplers import Block

Pair = tuple[int, int]


def prune(block: Block, vertices: int) -> Block:
    """The edges of ``block`` that lie on some 0 → vertices-1 path."""
    live = [v == 0 for v in range(vertices)]
    for i, j in block:  # sorted by i: a source is final before it is read
        live[j] = live[j] or live[i]
    useful = [v == vertices - 1 for v in range(vertices)]
    for i, j in sorted(block, key=lambda e: -e[1]):
        useful[i] = useful[i] or useful[j]
    return tuple((i, j) for i, j in block if live[i] and useful[j])


@dataclass(frozen=True)
class Source:
    """The edge terms i→j of one vertex step: act(W_ij h) for the selected nodes h at i.

    ``select`` lists positions among the nodes at vertex i; None means all, in order.
    """

    vertex: int
    select: tuple[int, ...] | None


@dataclass(frozen=True)
class VertexStep:
    """The nodes of vertex ``vertex``: ``combine`` (nodes × terms) times the stacked terms.

    The terms are the sources' outputs concatenated in order; ``combine`` is None
    when it would be the identity (each node is exactly one term).
    """

    vertex: int
    sources: tuple[Source, ...]
    terms: int
    nodes: int
    combine: tuple[tuple[float, ...], ...] | None


@dataclass(frozen=True)
class StagePlan:
    """Every vertex step in order, and which blocks end in which output node.

    ``output[u]`` lists the positions (in ``slots``) of the blocks whose output
    is node u of the last vertex; blocks whose output is dead contribute zero.
    """

    slots: tuple[int, ...]
    steps: tuple[VertexStep, ...]
    output: tuple[tuple[int, ...], ...]

    @property
    def pairs(self) -> set[Pair]:
        """The weight pairs this plan reads."""
        return {(src.vertex, st.vertex) for st in self.steps for src in st.sources}


def _intern(blocks: Sequence[Block], vertices: int) -> tuple[list[list[tuple]], list[list]]:
    """Per vertex, its distinct nodes, each as the tuple of its inputs (source vertex,
    node position there); and per block, its node position at each vertex (None: dead)."""
    nodes: list[list[tuple]] = [[()]] + [[] for _ in range(vertices - 1)]
    where: list[dict[tuple, int]] = [{(): 0}] + [{} for _ in range(vertices - 1)]
    ids: list[list] = []
    for block in blocks:  # pruned: every source of an edge is live
        preds: list[list[int]] = [[] for _ in range(vertices)]
        for i, j in block:
            preds[j].append(i)
        mine: list = [0] + [None] * (vertices - 1)
        for j in range(1, vertices):
            if preds[j]:
                key = tuple((i, mine[i]) for i in sorted(preds[j]))
                if key not in where[j]:
                    where[j][key] = len(nodes[j])
                    nodes[j].append(key)
                mine[j] = where[j][key]
        ids.append(mine)
    return nodes, ids


def _step(j: int, nodes: list[list[tuple]], mean: bool) -> VertexStep:
    """The step computing the nodes of vertex j from the nodes they read."""
    used = sorted({src for node in nodes[j] for src in node})  # (i, position at i)
    order = {src: t for t, src in enumerate(used)}
    sources = []
    for i in sorted({i for i, _ in used}):
        picked = [p for v, p in used if v == i]
        full = picked == list(range(len(nodes[i])))
        sources.append(Source(i, None if full else tuple(picked)))
    combine = None
    if [(src,) for src in used] != nodes[j]:
        rows = []
        for node in nodes[j]:
            row = [0.0] * len(used)
            for src in node:
                row[order[src]] = 1.0 / len(node) if mean else 1.0
            rows.append(tuple(row))
        combine = tuple(rows)
    return VertexStep(j, tuple(sources), len(used), len(nodes[j]), combine)


def make_plan(
    blocks: Sequence[Block], slots: Sequence[int], vertices: int, mean: bool
) -> StagePlan:
    """The plan computing blocks ``blocks[s]`` for ``s`` in ``slots`` (the active ones)."""
    nodes, ids = _intern([prune(blocks[s], vertices) for s in slots], vertices)
    steps = tuple(_step(j, nodes, mean) for j in range(1, vertices) if nodes[j])
    last = vertices - 1
    output = tuple(
        tuple(b for b, mine in enumerate(ids) if mine[last] == u) for u in range(len(nodes[last]))
    )
    return StagePlan(tuple(slots), steps, output)

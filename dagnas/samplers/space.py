"""Exhaustive enumeration of the deduplicated constrained block space (l ≤ 7).

Every labelled block is an integer code, bit ``k`` set when the ``k``-th
allowed edge (lexicographic order) is present. The steps:

1. all codes → keep those meeting the edge-count and connectivity limits
   (vectorised numpy);
2. drop a code when swapping two adjacent hidden vertices gives an admitted,
   lexicographically smaller block: such a code is not its class's
   representative (the lexicographically smallest member), so it can go;
   this only discards, never merges;
3. bucket the rest by a relabelling-invariant key (degrees, ancestor and
   descendant counts, two neighbourhood refinements). Graphs with different
   keys are never isomorphic, so a code alone in its bucket is a class of its
   own. Buckets with several codes are resolved by networkx (WL hash, then
   ``nx.is_isomorphic`` with roles), visiting codes in lexicographic order so
   the first of each class is its representative.

l = 7 without constraints (2^21 codes, 524 384 classes) takes tens of seconds;
results are cached per constraints for the life of the process.
"""

from __future__ import annotations

import logging
from functools import cached_property, lru_cache

import numpy as np

from dagnas.errors import DagnasError, SpecError
from dagnas.samplers.blocks import Block, DagConstraints, Edge
from dagnas.samplers.orbits import IsoSet, canonical_block

log = logging.getLogger(__name__)

MAX_ENUMERATE_VERTICES = 7
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _lex_less(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Elementwise: is the sorted edge tuple of code ``a`` < that of ``b`` (Python order)?"""
    diff = a ^ b
    low = diff & -diff  # first edge index where the two differ
    above = ~((low << 1) - 1)
    a_has = (a & low) != 0
    # a has the edge and b does not: a wins unless b has nothing after it (b is a prefix).
    return (diff != 0) & np.where(a_has, (b & above) != 0, (a & above) == 0)


def _bits(codes: np.ndarray, k: int) -> np.ndarray:
    return ((codes >> k) & 1).astype(bool)


def _adjacency(codes: np.ndarray, edges: list[Edge], nv: int) -> np.ndarray:
    adj = np.zeros((len(codes), nv, nv), dtype=bool)  # (N, l, l)
    for k, (i, j) in enumerate(edges):
        adj[:, i, j] = _bits(codes, k)
    return adj


def _reach(adj: np.ndarray, forward: bool) -> np.ndarray:
    """(N, l) int64 bitmasks of descendants (forward) or ancestors of each vertex."""
    n, nv, _ = adj.shape
    out = np.zeros((n, nv), dtype=np.int64)
    order = range(nv - 1, -1, -1) if forward else range(nv)
    for v in order:
        for w in range(v + 1, nv) if forward else range(v):
            edge = adj[:, v, w] if forward else adj[:, w, v]
            out[:, v] |= np.where(edge, (1 << w) | out[:, w], 0)
    return out


def _connected(adj: np.ndarray) -> np.ndarray:
    nv = adj.shape[1]
    src_reaches = (_reach(adj, True)[:, 0] | 1) == (1 << nv) - 1
    reach_sink = (_reach(adj, False)[:, nv - 1] | 1 << (nv - 1)) == (1 << nv) - 1
    return src_reaches & reach_sink


def _swap_survivors(codes: np.ndarray, edges: list[Edge], nv: int) -> np.ndarray:
    """Mask of codes no adjacent hidden swap turns into a smaller admitted code."""
    index = {e: k for k, e in enumerate(edges)}
    keep = np.ones(len(codes), dtype=bool)
    for i in range(1, nv - 2):
        perm = {i: i + 1, i + 1: i}
        swapped = np.zeros_like(codes)
        if (i, i + 1) in index:
            valid = ~_bits(codes, index[(i, i + 1)])
        else:
            valid = np.ones(len(codes), dtype=bool)
        for k, (a, b) in enumerate(edges):
            if (a, b) == (i, i + 1):
                continue
            target = (perm.get(a, a), perm.get(b, b))
            if target in index:
                swapped |= ((codes >> k) & 1) << index[target]
            else:  # the relabelled edge breaks max_skip: not an admitted member
                valid &= ~_bits(codes, k)
        keep &= ~(valid & _lex_less(swapped, codes))
    return keep


def _invariant_keys(adj: np.ndarray) -> np.ndarray:
    """(N, l) uint64 rows equal for isomorphic blocks: [source, sink, sorted hidden]."""
    feat = (
        adj.sum(2) * 512
        + adj.sum(1) * 64
        + np.bitwise_count(_reach(adj, True)) * 8
        + np.bitwise_count(_reach(adj, False))
    ).astype(np.uint64)
    a = adj.astype(np.uint64)
    for _ in range(2):
        g = (feat * _MIX) ^ (feat >> np.uint64(29))
        succ = (a * g[:, None, :]).sum(2)
        pred = (a * g[:, :, None]).sum(1)
        feat = feat * _MIX + succ * np.uint64(1_000_003) + (pred ^ (pred >> np.uint64(17)))
    return np.concatenate([feat[:, :1], feat[:, -1:], np.sort(feat[:, 1:-1], axis=1)], axis=1)


def _lex_order(codes: np.ndarray, n_edges: int) -> np.ndarray:
    """Permutation sorting codes by their sorted edge tuples (Python tuple order)."""
    present = ((codes[:, None] >> np.arange(n_edges)) & 1).astype(bool)
    seq = np.sort(np.where(present, np.arange(n_edges), n_edges), axis=1)
    seq[seq == n_edges] = -1  # a shorter tuple that is a prefix sorts first
    return np.lexsort(seq.T[::-1]) if n_edges else np.arange(len(codes))


def _resolve(codes: np.ndarray, keys: np.ndarray, edges: list[Edge], nv: int) -> np.ndarray:
    """Representatives among ``codes`` (already in lex order), one per class."""
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    rep = counts[inverse] == 1
    multi = np.flatnonzero(~rep)
    buckets: dict[int, IsoSet] = {}
    for pos in multi[np.argsort(inverse[multi], kind="stable")].tolist():
        iso = buckets.setdefault(int(inverse[pos]), IsoSet(nv))
        code = int(codes[pos])
        rep[pos] = iso.add(tuple(e for k, e in enumerate(edges) if code >> k & 1))
    return codes[rep]


class Space:
    """The deduplicated constrained blocks, in lexicographic order of edge tuples."""

    def __init__(self, constraints: DagConstraints):
        self.constraints = c = constraints
        if c.vertices > MAX_ENUMERATE_VERTICES:
            raise DagnasError(
                f"vertices={c.vertices} is too many to enumerate (limit "
                f"{MAX_ENUMERATE_VERTICES}); use a sampler instead, e.g. "
                f"make_sampler('uniform', constraints, seed).sample(k)"
            )
        self.edges = c.allowed_edges()
        self.codes = self._enumerate()
        if len(self.codes) == 0:  # _check_feasible should make this unreachable
            raise SpecError(f"constraints leave no DAG: {c}; relax min_edges or max_edges")

    def _enumerate(self) -> np.ndarray:
        c, nv, edges = self.constraints, self.constraints.vertices, self.edges
        if nv >= MAX_ENUMERATE_VERTICES:
            log.info("enumerating %d-vertex blocks (may take a while): %s", nv, c)
        codes = np.arange(1 << len(edges), dtype=np.int64)
        lo, hi = c.edge_bounds
        n_edges = np.bitwise_count(codes)
        codes = codes[(n_edges >= lo) & (n_edges <= hi)]
        if c.connected:
            codes = codes[_connected(_adjacency(codes, edges, nv))]
        codes = codes[_swap_survivors(codes, edges, nv)]
        codes = codes[_lex_order(codes, len(edges))]
        reps = _resolve(codes, _invariant_keys(_adjacency(codes, edges, nv)), edges, nv)
        return reps

    def __len__(self) -> int:
        return len(self.codes)

    def block(self, index: int) -> Block:
        """The ``index``-th block."""
        code = int(self.codes[index])
        return tuple(e for k, e in enumerate(self.edges) if code >> k & 1)

    def blocks(self) -> list[Block]:
        """All blocks, in order."""
        return [self.block(i) for i in range(len(self))]

    @cached_property
    def _position(self) -> dict[int, int]:
        return {int(code): i for i, code in enumerate(self.codes.tolist())}

    @cached_property
    def edge_matrix(self) -> np.ndarray:
        """(N, A) bool: block ``n`` has allowed edge ``a``."""
        return ((self.codes[:, None] >> np.arange(len(self.edges))) & 1).astype(bool)

    def _code(self, block: Block) -> int | None:
        index = {e: k for k, e in enumerate(self.edges)}
        if any(e not in index for e in block):
            return None
        return sum(1 << index[e] for e in block)

    def index(self, block: Block) -> int:
        """Position of the class of ``block``; raises if no admitted block matches."""
        code = self._code(block)
        if code is not None and code in self._position:
            return self._position[code]
        rep_code = self._code(canonical_block(block, self.constraints))  # raises if not admitted
        if rep_code is None or rep_code not in self._position:
            raise DagnasError(f"block {list(block)} has no class in {self.constraints}")
        return self._position[rep_code]


@lru_cache(maxsize=8)
def get_space(constraints: DagConstraints) -> Space:
    """The (cached) enumerated space of ``constraints``."""
    return Space(constraints)


def enumerate_dags(constraints: DagConstraints) -> list[Block]:
    """Every admitted block up to isomorphism, each the lexicographically smallest
    edge tuple of its class, sorted lexicographically. Only for ``vertices`` ≤ 7."""
    return get_space(constraints).blocks()


def space_size(constraints: DagConstraints) -> int:
    """Exact number of blocks up to isomorphism (enumerates; ``vertices`` ≤ 7).

    Beyond 7 vertices this refuses with a :class:`DagnasError`: use
    :func:`estimate_space_size`, whose result is a Monte Carlo estimate.
    """
    if constraints.vertices > MAX_ENUMERATE_VERTICES:
        raise DagnasError(
            f"space_size is exact only up to {MAX_ENUMERATE_VERTICES} vertices "
            f"(got {constraints.vertices}); use estimate_space_size(constraints) for "
            "a Monte Carlo estimate with its standard error"
        )
    return len(get_space(constraints))

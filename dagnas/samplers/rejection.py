"""Rejection sampling of blocks when the space is too large to enumerate.

**Uniform over classes.** The proposal is uniform over *labelled* blocks whose
edges are all allowed by ``max_skip`` and whose edge count lies in
``[min_edges, max_edges]``: pick a count k with probability ∝ C(A, k) (A
allowed edges), then k distinct allowed edges uniformly. (For no count limit
this is every allowed edge i.i.d. with p = 1/2.) A proposal failing
``connected`` is rejected, which leaves the proposal uniform over the N
admitted labelled blocks. A class G holds m(G) admitted labelled blocks (see
:mod:`dagnas.samplers.orbits`), so it is proposed with probability m(G)/N.
Accepting with probability 1/m(G) makes each class come out with probability
(m(G)/N)·(1/m(G)) = 1/N per proposal, the same for every class: accepted
draws are uniform over classes, and a proposal is accepted with probability
(#classes)/N. Since 1/m(G) = |Aut(G)|/T(G), the test ``u·T(G) < |Aut(G)|``
needs no automorphism count when ``u·T(G) < 1`` and otherwise counts
automorphisms (networkx VF2) only until the bound is passed.

Limitation: T(G) is a subset DP over the l-2 hidden vertices (2^(l-2) states
without ``max_skip``; about 0.1 s per block at l = 16, 0.6 s at 18), so
without a skip limit this refuses l > 18. A skip limit keeps the DP small
(l = 32 with ``max_skip=4`` takes milliseconds). Very symmetric blocks have
many automorphisms to count, but uniform proposals rarely produce them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dagnas.errors import DagnasError, SpecError
from dagnas.samplers.blocks import Block, DagConstraints, Edge, is_connected
from dagnas.samplers.orbits import count_automorphisms, count_orderings, multiplicity

MAX_UNSKIPPED_VERTICES = 18


def check_countable(constraints: DagConstraints) -> None:
    """Refuse spaces where counting orderings (2^(l-2) states) would be too slow."""
    nv, d = constraints.vertices, constraints.max_skip
    if nv > MAX_UNSKIPPED_VERTICES and (d is None or d >= nv - 1):
        raise DagnasError(
            f"uniform sampling over classes of {nv}-vertex blocks without a skip limit is "
            f"too slow (limit {MAX_UNSKIPPED_VERTICES}); set max_skip, use fewer vertices, "
            "or use the 'density' sampler"
        )


class CountProposal:
    """Uniform over labelled blocks with allowed edges and an admitted edge count."""

    def __init__(self, constraints: DagConstraints):
        self.constraints = constraints
        self.edges: list[Edge] = constraints.allowed_edges()
        lo, hi = constraints.edge_bounds
        self.counts = np.arange(lo, hi + 1)
        weights = [math.comb(len(self.edges), int(k)) for k in self.counts]
        self.n_labelled = sum(weights)  # labelled blocks the proposal covers (exact)
        self.probs = np.array([w / self.n_labelled for w in weights])

    def draw(self, rng: np.random.Generator) -> Block:
        """One labelled block (edge-count and skip limits met, connectivity not checked)."""
        k = int(rng.choice(self.counts, p=self.probs))
        picked = np.sort(rng.choice(len(self.edges), size=k, replace=False))
        return tuple(self.edges[i] for i in picked.tolist())


def bernoulli_draw(rng: np.random.Generator, edges: list[Edge], probs: np.ndarray) -> Block:
    """A labelled block with each allowed edge present independently with ``probs[a]``."""
    present = rng.random(len(edges)) < probs
    return tuple(e for e, keep in zip(edges, present.tolist(), strict=True) if keep)


@lru_cache(maxsize=1 << 16)
def _orderings(block: Block, vertices: int, max_skip: int | None) -> int:
    return count_orderings(block, vertices, max_skip)


def accept_class_uniform(block: Block, constraints: DagConstraints, u: float) -> bool:
    """Accept a uniformly proposed admitted labelled block with probability 1/m(G)."""
    bound = u * _orderings(block, constraints.vertices, constraints.max_skip)
    if bound < 1.0:
        return True
    stop = math.floor(bound) + 1
    return count_automorphisms(block, constraints.vertices, stop_after=stop) > bound


def propose_class_uniform(proposal: CountProposal, rng: np.random.Generator) -> Block | None:
    """One rejection step: an accepted block, or None when this proposal is rejected."""
    c = proposal.constraints
    block = proposal.draw(rng)
    if c.connected and not is_connected(block, c.vertices):
        return None
    return block if accept_class_uniform(block, c, float(rng.random())) else None


@dataclass(frozen=True)
class SizeEstimate:
    """A Monte Carlo *estimate* of the number of blocks up to isomorphism."""

    value: float
    stderr: float
    draws: int


def estimate_space_size(
    constraints: DagConstraints, draws: int = 4000, seed: int = 0
) -> SizeEstimate:
    """Estimate #classes = Σ_admitted labelled G 1/m(G) by sampling labelled blocks.

    Works for any ``vertices`` (use :func:`space_size` for the exact count up
    to 7). ``stderr`` is the standard error of the mean over ``draws``.
    """
    if not isinstance(draws, int) or draws < 2:
        raise SpecError([("draws", f"expected an integer >= 2, got {draws!r}")])
    check_countable(constraints)
    rng = np.random.default_rng(seed)
    proposal = CountProposal(constraints)
    nv, d = constraints.vertices, constraints.max_skip
    x = np.zeros(draws)
    for t in range(draws):
        block = proposal.draw(rng)
        if not constraints.connected or is_connected(block, nv):
            x[t] = 1.0 / multiplicity(block, nv, d)
    n = float(proposal.n_labelled)
    return SizeEstimate(float(n * x.mean()), float(n * x.std(ddof=1)) / math.sqrt(draws), draws)

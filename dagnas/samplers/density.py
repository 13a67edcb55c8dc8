"""The ``density`` sampler: a distribution over blocks learnt from α feedback.

Per METHODS.md §3 **[choice]**, for ``vertices`` ≤ 7 (enumerated space):

- each seen class G has a score s(G), starting at 0 when first seen; after
  an architecture phase with blocks G_1..G_k and mixing weights π (normalised
  to sum 1, floored at 1e-12): s(G_b) ← (1−β)·s(G_b) + β·log(k·π_b)
  (blocks of the same class have their π summed first);
- edge densities ρ_ij = σ(θ_ij) over the allowed edges, starting at 1/2:
  ρ ← clip((1−β)·ρ + β·f, c, 1−c) with f_ij = Σ_b π_b·[i→j ∈ G_b] the
  π-weighted edge frequency of the blocks as given, c = ``rho_clip``;
- an unseen class scores s(G) = w · mean over allowed edges of
  log(2·q_ij(G)), q_ij = ρ_ij if G has i→j else 1−ρ_ij, w = ``edge_weight``:
  the per-edge log-likelihood ratio of the edge model against the uniform
  one, so 0 before any feedback and comparable in size to log(k·π);
- p(G) ∝ exp(s(G)/τ) over the whole enumerated space.

Beyond 7 vertices there is no enumeration: blocks are drawn edge by edge
with probabilities ρ and rejected until they meet the constraints; only ρ is
learnt (per-class scores are not kept).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydantic import Field, PositiveFloat

from dagnas.errors import SpecError
from dagnas.registry import Strict, StrictNonNegativeInt
from dagnas.samplers.base import SAMPLERS, DagSampler
from dagnas.samplers.blocks import Block, DagConstraints, block_from_json, block_to_json
from dagnas.samplers.rejection import bernoulli_draw
from dagnas.samplers.space import get_space

PI_FLOOR = 1e-12


def _check_options(
    tau: float, beta: float, keep: int | None, edge_weight: float, clip: float
) -> None:
    issues = []
    if not (isinstance(tau, int | float) and tau > 0 and math.isfinite(tau)):
        issues.append(("tau", f"expected a number > 0, got {tau!r}"))
    if not (isinstance(beta, int | float) and 0 < beta <= 1):
        issues.append(("beta", f"expected a number in (0, 1], got {beta!r}"))
    if keep is not None and (not isinstance(keep, int) or isinstance(keep, bool) or keep < 0):
        issues.append(("keep", f"expected an integer >= 0 or None, got {keep!r}"))
    if not (isinstance(edge_weight, int | float) and edge_weight >= 0):
        issues.append(("edge_weight", f"expected a number >= 0, got {edge_weight!r}"))
    if not (isinstance(clip, int | float) and 0 < clip < 0.5):
        issues.append(("rho_clip", f"expected a number in (0, 0.5), got {clip!r}"))
    if issues:
        raise SpecError(issues)


@SAMPLERS.register("density")
class DensitySampler(DagSampler):
    """p(G) ∝ exp(s(G)/τ), scores learnt from mixing weights (rule in the module doc)."""

    name = "density"

    class Options(Strict):
        tau: PositiveFloat = 1.0
        beta: float = Field(0.5, gt=0, le=1)
        keep: StrictNonNegativeInt | None = None
        edge_weight: float = Field(1.0, ge=0)
        rho_clip: float = Field(0.01, gt=0, lt=0.5)

    def __init__(
        self,
        constraints: DagConstraints,
        seed: int,
        *,
        tau: float = 1.0,
        beta: float = 0.5,
        keep: int | None = None,
        edge_weight: float = 1.0,
        rho_clip: float = 0.01,
    ):
        super().__init__(constraints, seed)
        _check_options(tau, beta, keep, edge_weight, rho_clip)
        self.tau, self.beta, self.keep = float(tau), float(beta), keep
        self.edge_weight, self.rho_clip = float(edge_weight), float(rho_clip)
        self.edges = constraints.allowed_edges()
        self.rho = np.full(len(self.edges), 0.5)  # (A,) edge densities σ(θ)
        self.scores: dict[Block, float] = {}  # class representative → s(G)
        self._space = get_space(constraints) if self.enumerable else None

    def default_keep(self, k: int) -> int:
        """The ``keep`` option, or k // 2."""
        return k // 2 if self.keep is None else min(self.keep, k)

    # -- the distribution -------------------------------------------------

    def logits(self) -> np.ndarray:
        """(N,) s(G)/τ over the enumerated space (``vertices`` ≤ 7 only)."""
        space = self._space
        if space is None:
            raise SpecError("logits need an enumerated space (vertices <= 7)")
        x = space.edge_matrix  # (N, A)
        log_on, log_off = np.log(2 * self.rho), np.log(2 * (1 - self.rho))
        s = self.edge_weight * (x @ log_on + ~x @ log_off) / max(len(self.edges), 1)
        for block, score in self.scores.items():
            s[space.index(block)] = score
        return s / self.tau

    def probabilities(self) -> np.ndarray:
        """(N,) p(G) over the enumerated space, in :func:`enumerate_dags` order."""
        z = self.logits()
        p = np.exp(z - z.max())
        return p / p.sum()

    def _draw(self, n: int, exclude: list[Block], replace: bool) -> list[Block]:
        if self._space is None:
            c = self.constraints

            def propose() -> Block | None:
                block = bernoulli_draw(self.rng, self.edges, self.rho)
                return block if c.admits(block) else None

            return self._draw_rejection(n, exclude, replace, propose)
        size = len(self._space)
        if replace:
            idx = self.rng.choice(size, size=n, p=self.probabilities())
            return [self._space.block(int(i)) for i in idx]
        excluded = sorted({self._space.index(b) for b in exclude})
        self._check_room(n, size, len(excluded))
        # Gumbel top-n: the same law as drawing n times without replacement ∝ p.
        keys = self.logits() + self.rng.gumbel(size=size)
        keys[excluded] = -np.inf
        top = np.argsort(-keys, kind="stable")[:n]
        return [self._space.block(int(i)) for i in top]

    # -- feedback --------------------------------------------------------

    def update(self, blocks: Sequence[Block], weights: Sequence[float]) -> None:
        """Move scores and edge densities toward the blocks with large π (module doc)."""
        blocks, pi = self._feedback(blocks, weights)
        k = len(blocks)
        freq = np.zeros(len(self.edges))
        index = {e: a for a, e in enumerate(self.edges)}
        for block, p in zip(blocks, pi.tolist(), strict=True):
            for e in block:
                freq[index[e]] += p
        lo = self.rho_clip
        self.rho = np.clip((1 - self.beta) * self.rho + self.beta * freq, lo, 1 - lo)
        if self._space is None:
            return
        mass: dict[Block, float] = {}
        for block, p in zip(blocks, pi.tolist(), strict=True):
            rep = self._space.block(self._space.index(block))
            mass[rep] = mass.get(rep, 0.0) + p
        for rep, p in mass.items():
            old = self.scores.get(rep, 0.0)
            self.scores[rep] = (1 - self.beta) * old + self.beta * math.log(k * max(p, PI_FLOOR))

    # -- state -----------------------------------------------------------

    def _extra_state(self) -> dict[str, Any]:
        return {
            "options": {
                "tau": self.tau,
                "beta": self.beta,
                "keep": self.keep,
                "edge_weight": self.edge_weight,
                "rho_clip": self.rho_clip,
            },
            "rho": self.rho.tolist(),
            "scores": [[block_to_json(b), s] for b, s in sorted(self.scores.items())],
        }

    def _load_extra(self, state: dict[str, Any]) -> None:
        opts = state["options"]
        _check_options(
            opts["tau"], opts["beta"], opts["keep"], opts["edge_weight"], opts["rho_clip"]
        )
        self.tau, self.beta, self.keep = opts["tau"], opts["beta"], opts["keep"]
        self.edge_weight, self.rho_clip = opts["edge_weight"], opts["rho_clip"]
        rho = np.asarray(state["rho"], dtype=float)
        if rho.shape != self.rho.shape:
            raise SpecError([("rho", f"expected {self.rho.shape[0]} edge densities")])
        self.rho = rho
        self.scores = {block_from_json(b): float(s) for b, s in state["scores"]}

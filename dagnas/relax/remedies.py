"""Softmax DARTS with a remedy for its collapse toward parameter-free ops.

- ``sdarts`` (SDARTS-RS, Chen & Hsieh, ICML 2020): the weight steps see
  softmax(α) + U(−ε, ε) noise per weight, ε growing from ``epsilon_min`` to
  ``epsilon`` over the search (the reference: 0.03 → 0.3 by epoch), so the
  weights are trained for a neighbourhood of α and the architecture steps
  (noise-free) prefer flat regions.
- ``darts_minus`` (DARTS-, Chu et al., ICLR 2021): an auxiliary skip
  connection β·x beside every edge, β falling linearly from ``beta`` to 0
  over the search. It is added as β on the mixing weight of the edge's
  `skip_connect` (the same function: x, or the reduction's skip), in weight
  and architecture steps alike, but not in :meth:`final`: α need not grow on
  skips to get the residual path's benefit, and derivation ignores β.
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field

from dagnas.registry import Strict
from dagnas.relax.base import RELAXATIONS, Mixing, Softmax


@RELAXATIONS.register("sdarts")
class SmoothedSoftmax(Softmax):
    """SDARTS-RS: softmax(α), plus uniform noise in the weight steps (module doc)."""

    class Options(Strict):
        epsilon: float = Field(0.3, ge=0)
        epsilon_min: float = Field(0.03, ge=0)

    def weight_mixing(self) -> Mixing:
        o = self.options
        eps = o.epsilon_min + (o.epsilon - o.epsilon_min) * self.progress
        out = {}
        for k, w in self().items():
            noise = torch.empty(w.shape, dtype=w.dtype).uniform_(-eps, eps)
            out[k] = w + noise.to(w.device)
        return out


@RELAXATIONS.register("darts_minus")
class AuxiliarySkip(Softmax):
    """DARTS-: softmax(α) plus a decaying auxiliary skip on each edge (module doc)."""

    class Options(Strict):
        beta: float = Field(1.0, ge=0)
        skip: str = "skip_connect"

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        name = self.options.skip
        self.skips = {k: ops.index(name) for k, ops in choices.items() if name in ops}

    def forward(self) -> Mixing:
        beta = self.options.beta * (1 - self.progress)
        out = super().forward()
        for k, i in self.skips.items():
            out[k] = out[k] + beta * torch.nn.functional.one_hot(torch.tensor(i), len(out[k])).to(
                out[k]
            )
        return out

    def final(self) -> Mixing:
        with torch.no_grad():
            return {k: v.detach().clone() for k, v in super().forward().items()}

"""Independent sigmoid weights with a zero-one loss (FairDARTS)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field

from dagnas.registry import Strict
from dagnas.relax.base import RELAXATIONS, Mixing, Relaxation, alpha_dict


@RELAXATIONS.register("sigmoid")
class Sigmoid(Relaxation):
    """FairDARTS (Chu, Zhou, Zhang, Li, ECCV 2020): w = σ(α) per op, no
    competition inside an edge; the architecture loss adds the zero-one loss
    −zero_one_weight·mean((σ(α) − 0.5)²) over every op of every choice,
    which pushes each weight towards 0 or 1. α ~ 1e-3·N(0, 1). The paper's
    architecture lr is 3e-3 (Adam); the spec fills it in unless
    ``search.arch.lr`` is given. Derive with ``derive: {name: threshold}``
    (keep ops with σ(α) > 0.85) as the paper does.
    """

    class Options(Strict):
        zero_one_weight: float = Field(10.0, ge=0)

    arch_defaults: ClassVar[dict[str, Any]] = {"lr": 3e-3}

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.alpha = alpha_dict(choices, lambda n: 1e-3 * torch.randn(n))

    def forward(self) -> Mixing:
        return {k: torch.sigmoid(a) for k, a in self.alpha.items()}

    def loss(self, mixing: Mixing) -> torch.Tensor | None:
        if self.options.zero_one_weight == 0:
            return None
        w = torch.cat([m.flatten() for m in mixing.values()])
        return -self.options.zero_one_weight * ((w - 0.5) ** 2).mean()

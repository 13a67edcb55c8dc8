"""Independent sigmoid weights with a zero-one loss (FairDARTS)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from pydantic import Field

from dagnas.ops import is_zero
from dagnas.registry import Strict
from dagnas.relax.base import RELAXATIONS, Mixing, Relaxation


@RELAXATIONS.register("sigmoid")
class Sigmoid(Relaxation):
    """FairDARTS (Chu, Zhou, Zhang, Li, ECCV 2020): w = σ(α) per op, no
    competition inside an edge; the architecture loss adds the zero-one loss
    −zero_one_weight·mean((σ(α) − 0.5)²) over every op of every choice,
    which pushes each weight towards 0 or 1. α ~ 1e-3·N(0, 1). The paper's
    architecture optimizer is Adam with lr 3e-3 and betas (0.9, 0.999) (the
    reference's ``architect.py``: ``betas=(arch_lr_gamma, 0.999)``, 0.9 by
    default, where DARTS uses 0.5); the spec fills them in unless
    ``search.arch`` gives them. The ``sigmoid`` method derives darts_cell
    spaces with ``threshold_sparse``, the reference code's default parse (per
    node the top-2 edges, each its best op if σ(α) ≥ 0.85); ``threshold``
    keeps every op above the threshold instead.

    `none`/`zero` ops are not candidates in the reference code
    (xiaomi-automl/FairDARTS): with ``drop_zero`` (default) their weight is
    fixed at 0 and the zero-one term averages over the other ops. Under a
    sigmoid a `none` gets no gradient from the classification loss, only from
    the zero-one term, so it would drift; ``drop_zero: false`` keeps it.
    """

    class Options(Strict):
        zero_one_weight: float = Field(10.0, ge=0)
        drop_zero: bool = True

    arch_defaults: ClassVar[dict[str, Any]] = {"lr": 3e-3, "betas": (0.9, 0.999)}

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.alpha = self.fresh_alpha()
        drop = self.options.drop_zero
        self.live_ops = {
            k: torch.tensor([not (drop and is_zero(o)) for o in ops]) for k, ops in choices.items()
        }

    def forward(self) -> Mixing:
        return {k: torch.sigmoid(a) * self.live_ops[k].to(a.device) for k, a in self.alpha.items()}

    def live(self) -> Mixing | None:
        if not self.options.drop_zero:
            return None
        return {k: m.float() for k, m in self.live_ops.items()}

    def loss(self, mixing: Mixing) -> torch.Tensor | None:
        if self.options.zero_one_weight == 0:
            return None
        w = torch.cat([m[self.live_ops[k].to(m.device)] for k, m in mixing.items()])
        return -self.options.zero_one_weight * ((w - 0.5) ** 2).mean()

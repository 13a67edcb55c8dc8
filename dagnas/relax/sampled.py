"""Relaxations that sample their mixing weights: Gumbel (GDAS), Dirichlet (DrNAS).

Samples are drawn from torch's global CPU generator, which ``dagnas run``
seeds and every checkpoint saves, so a resumed search draws what the
uninterrupted one would have; they are moved to the parameters' device.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from pydantic import Field, PositiveFloat, ValidationInfo, field_validator
from torch.distributions import Dirichlet as Dir
from torch.distributions import kl_divergence

from dagnas.registry import Strict
from dagnas.relax.base import RELAXATIONS, Mixing, Relaxation


def gumbel_noise(like: torch.Tensor) -> torch.Tensor:
    """Standard Gumbel noise shaped like ``like``: −log E with E ~ Exp(1)."""
    e = torch.empty(like.shape, dtype=like.dtype).exponential_().clamp_min(1e-20)
    return -e.log().to(like.device)


@RELAXATIONS.register("gumbel")
class Gumbel(Relaxation):
    """GDAS (Dong & Yang, CVPR 2019), as its official code (D-X-Y/AutoDL-Projects,
    ``search_model_gdas.py``, ``search_cells.py``) does: per choice, with Gumbel
    noise g, p = softmax((log_softmax(α) + g)/τ) and h = onehot(argmax p) −
    sg(p) + p, exactly one-hot in value with p's gradient (straight-through).
    Only the drawn op is computed; with ``undrawn: scalar`` (default, the
    official ``forward_gdas``) every other op adds its weight h_o, a scalar of
    value 0, to the edge's sum, so every α gets a gradient even when the edge
    draws `none`; ``undrawn: skip`` leaves them out (``forward_gdas_v1``: only
    the drawn op's α path carries a gradient, none when it is `none`).

    τ falls linearly from ``tau_max`` to ``tau_min``: with ``anneal: epoch``
    (default, the official ``GDAS.py``) once per epoch, τ = tau_max −
    (tau_max − tau_min)·epoch/(epochs − 1); ``anneal: step`` every step over the
    search. ``final()`` is softmax(α), deterministic.
    """

    class Options(Strict):
        tau_max: PositiveFloat = 10.0
        tau_min: PositiveFloat = 0.1
        anneal: Literal["epoch", "step"] = "epoch"
        undrawn: Literal["scalar", "skip"] = "scalar"

        @field_validator("tau_min")
        @classmethod
        def _below_max(cls, tau_min: float, info: ValidationInfo) -> float:
            tau_max = info.data.get("tau_max")
            if tau_max is not None and tau_min > tau_max:
                raise ValueError(f"tau_min {tau_min} exceeds tau_max {tau_max}")
            return tau_min

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.alpha = self.fresh_alpha()

    @property
    def tau(self) -> float:
        o = self.options
        done = self.progress if o.anneal == "step" else self.epoch / max(self.epochs - 1, 1)
        return o.tau_max - (o.tau_max - o.tau_min) * done

    @property
    def zero_weights_as_scalars(self) -> bool:
        return self.options.undrawn == "scalar"

    def forward(self) -> Mixing:
        out = {}
        for k, a in self.alpha.items():
            soft = torch.softmax((torch.log_softmax(a, -1) + gumbel_noise(a)) / self.tau, -1)
            hard = torch.zeros_like(soft).scatter_(-1, soft.argmax(-1, keepdim=True), 1.0)
            out[k] = hard - soft.detach() + soft  # exactly 0 off the chosen op
        return out

    def final(self) -> Mixing:
        with torch.no_grad():
            return {k: torch.softmax(a, -1) for k, a in self.alpha.items()}


@RELAXATIONS.register("dirichlet")
class Dirichlet(Relaxation):
    """DrNAS (Chen, Wang, Cheng, Tang, Hsieh, ICLR 2021): per choice the
    concentration β = ELU(α) + 1 and w ~ Dir(β), sampled with pathwise
    (reparameterised) gradients. α ~ 1e-3·N(0, 1). The architecture loss
    adds ``kl_weight``·Σ KL(Dir(β) ‖ Dir(1)); the paper's optional
    regulariser uses 1e-3, and the default here is 0 (off). With the KL term
    the reference code (xiangning-chen/DrNAS, ``architect.py``) takes the
    architecture weight decay off, so the spec fills ``search.arch.weight_decay``
    = 0 unless given. ``final()`` is the Dirichlet mean β/Σβ.
    """

    class Options(Strict):
        kl_weight: float = Field(0.0, ge=0)

    @classmethod
    def arch_defaults_for(cls, options: dict[str, Any]) -> dict[str, Any]:
        return {"weight_decay": 0.0} if options.get("kl_weight", 0) > 0 else {}

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.alpha = self.fresh_alpha()

    def concentrations(self) -> Mixing:
        return {k: torch.nn.functional.elu(a) + 1 for k, a in self.alpha.items()}

    def forward(self) -> Mixing:
        return {k: Dir(b.cpu()).rsample().to(b.device) for k, b in self.concentrations().items()}

    def final(self) -> Mixing:
        with torch.no_grad():
            return {k: b / b.sum(-1, keepdim=True) for k, b in self.concentrations().items()}

    def loss(self, mixing: Mixing) -> torch.Tensor | None:
        if self.options.kl_weight == 0:
            return None
        kl = sum(
            kl_divergence(Dir(b), Dir(torch.ones_like(b))) for b in self.concentrations().values()
        )
        return self.options.kl_weight * kl

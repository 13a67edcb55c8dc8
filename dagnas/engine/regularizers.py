"""Regularizers of the architecture loss: DARTS-PRIME's proximity and ADMM terms,
β-DARTS's Beta-Decay.

Proximity and ADMM read mixing weights A(α), so they work with any
relaxation. D is the discretisation :func:`dagnas.engine.derive.discretize`:
the space's own derivation rule as one-hot weights (Maile, Lecarpentier,
Luga, Wilson 2021). Beta-Decay reads the raw α of relaxations that keep one
α vector per choice (softmax, gumbel, dirichlet, sigmoid).
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import Field, PositiveFloat

from dagnas.engine.components import REGULARIZERS, Regularizer
from dagnas.engine.derive import discretize
from dagnas.errors import DagnasError
from dagnas.registry import Strict, StrictPositiveInt
from dagnas.relax import Mixing


def frobenius(terms: list[torch.Tensor]) -> torch.Tensor:
    """‖·‖_F of all tensors together: sqrt(Σ t²), with gradient 0 at 0."""
    return torch.linalg.vector_norm(torch.cat([t.flatten() for t in terms]))


@REGULARIZERS.register("proximity")
class Proximity(Regularizer):
    """(t/T)·(ρ/2)·‖A(α) − D(A(α))‖_F: pulls α toward its own discretisation,
    more strongly as the search goes on (t/T = the search's progress)."""

    class Options(Strict):
        rho: PositiveFloat = 0.1

    def __call__(self, model: Any, mixing: Mixing, progress: float) -> torch.Tensor:
        target = discretize(model.graph, mixing)
        diff = frobenius([mixing[k] - target[k] for k in sorted(mixing)])
        return progress * self.options.rho / 2 * diff


@REGULARIZERS.register("admm")
class ADMM(Regularizer):
    """(ρ/2)·‖(A(α) − Z + U)⊙M‖_F with Z, U per choice (ADMM, DARTS-PRIME).

    Z = A(α), U = 0 at the start; M = 1 where an op is not pruned
    (:meth:`Relaxation.live`). Every ``every`` α steps:
    Z ← D(A(α) + U); U ← z·U + (A(α) − Z)⊙M (z = 1: the standard scaled
    dual). A(α) here is the relaxation's deterministic ``final()``.
    """

    class Options(Strict):
        rho: PositiveFloat = 0.1
        every: StrictPositiveInt = 10
        z: float = Field(0.2, ge=0, le=1)

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.Z: Mixing = {}
        self.U: Mixing = {}
        self.count = 0

    def _start(self, model: Any) -> None:
        if not self.Z:
            self.Z = {k: a.clone() for k, a in model.relaxation.final().items()}
            self.U = {k: torch.zeros_like(a) for k, a in self.Z.items()}

    def __call__(self, model: Any, mixing: Mixing, progress: float) -> torch.Tensor:
        self._start(model)
        live = model.relaxation.live() or {}
        terms = [
            (a - self.Z[k].to(a.device) + self.U[k].to(a.device)) * live.get(k, 1.0)
            for k, a in sorted(mixing.items())
        ]
        return self.options.rho / 2 * frobenius(terms)

    @torch.no_grad()
    def after_arch_step(self, model: Any) -> None:
        self._start(model)
        self.count += 1
        if self.count % self.options.every:
            return
        a = model.relaxation.final()
        live = model.relaxation.live() or {}
        self.U = {k: u.to(a[k].device) for k, u in self.U.items()}
        self.Z = discretize(model.graph, {k: a[k] + self.U[k] for k in a})
        z = self.options.z
        self.U = {k: z * self.U[k] + (a[k] - self.Z[k]) * live.get(k, 1.0) for k in a}

    @torch.no_grad()
    def reset_options(self, model: Any, key: str, options: list[int]) -> None:
        """Z = A(α), U = 0 on the replaced options, as at the start."""
        if not self.Z:
            return
        a = model.relaxation.final()[key]
        self.Z[key] = self.Z[key].to(a.device).clone()
        self.U[key] = self.U[key].to(a.device).clone()
        self.Z[key][options] = a[options]
        self.U[key][options] = 0.0

    def state_dict(self) -> dict[str, Any]:
        return {"Z": dict(self.Z), "U": dict(self.U), "count": self.count}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.Z, self.U, self.count = dict(state["Z"]), dict(state["U"]), int(state["count"])


@REGULARIZERS.register("beta_decay")
class BetaDecay(Regularizer):
    """β-DARTS (Ye et al., CVPR 2022): λ(t)·mean over choices of logsumexp(α).

    The gradient of logsumexp(α) is softmax(α), so the term pulls every α
    down in proportion to its weight: no op's α runs away from the others,
    which keeps parameter-free ops from taking over (the collapse DARTS shows
    on NAS-Bench-201). λ grows linearly with the search's progress t, from
    ``lam_start`` to ``lam`` (the reference ramps it up over the search;
    **[choice]** the end value, tuned on our tables).
    """

    class Options(Strict):
        lam: float = Field(1.0, ge=0)
        lam_start: float = Field(0.0, ge=0)

    def __call__(self, model: Any, mixing: Mixing, progress: float) -> torch.Tensor:
        alpha = getattr(model.relaxation, "alpha", None)
        if alpha is None:
            raise DagnasError(
                f"regularizer beta_decay reads α per choice; relaxation"
                f" {type(model.relaxation).__name__} has none (use softmax, gumbel, dirichlet)"
            )
        o = self.options
        lam = o.lam_start + (o.lam - o.lam_start) * progress
        terms = torch.stack([torch.logsumexp(alpha[k], -1) for k in sorted(mixing)])
        return lam * terms.mean()

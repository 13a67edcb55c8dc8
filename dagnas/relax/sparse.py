"""Relaxations whose mixing weights have exact zeros: sparse simplex α, sparsemax."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import torch
from pydantic import Field

from dagnas.ops import OPS
from dagnas.registry import Strict
from dagnas.relax.base import RELAXATIONS, Mixing, Relaxation
from dagnas.relax.projection import project_capped_simplex, project_simplex


@RELAXATIONS.register("sparse_simplex")
class SparseSimplex(Relaxation):
    """Sparse α on a simplex with an l1 term (Ito, Kyoto University thesis, 2022).

    The mixing weights are the parameters a themselves (no softmax), one
    vector per choice, kept on the capped simplex {a ≥ 0, Σa ≤ 1}
    (``simplex: capped``, init 1/(|O|+1)). The architecture loss adds
    λ·Σ‖a‖₁ = λ·Σa (linear there), so a plain SGD step with lr η followed by
    :meth:`project` is the exact proximal step a ← P(a − η(∇L_val + λ)). The
    spec therefore defaults ``search.arch`` to SGD, lr η = 0.1, no weight
    decay, where the user gave none of these; with Adam the step is a
    projected Adam step instead, not the thesis's. The share of a that ends
    exactly zero grows with λ and η; ``benchmarks/sparse_vs_softmax.py``
    measures it per epoch.

    ``simplex: probability`` keeps Σa = 1 (init 1/|O|); the l1 term then
    acts on the non-`none` ops only, λ·(1 − a_none): a linear reward for
    switching an edge off (a choice without a `none` op gets a constant).

    An op whose weight reaches exactly zero is no longer computed by the
    supernet, so it gets no gradient again: it is pruned for good, and the
    search speeds up as a goes sparse.
    """

    class Options(Strict):
        lam: float = Field(1e-3, ge=0, description="λ of the l1 term")
        simplex: Literal["capped", "probability"] = "capped"

    arch_defaults: ClassVar[dict[str, Any]] = {"optimizer": "sgd", "lr": 0.1, "weight_decay": 0.0}

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        capped = self.options.simplex == "capped"
        self.alpha = self.fresh_alpha()
        # l1 mask: every op on the capped simplex, the non-`none` ops otherwise
        self.penalised = {
            k: [capped or not OPS.get(op).zero for op in ops] for k, ops in choices.items()
        }

    def init_alpha(self, key: str) -> torch.Tensor:
        n = len(self.choices[key])
        return torch.full((n,), 1 / (n + (self.options.simplex == "capped")))

    def forward(self) -> Mixing:
        return dict(self.alpha.items())

    def loss(self, mixing: Mixing) -> torch.Tensor | None:
        if self.options.lam == 0:
            return None
        total = sum(
            w[torch.tensor(self.penalised[k], device=w.device)].sum() for k, w in mixing.items()
        )
        return self.options.lam * total

    @torch.no_grad()
    def project(self) -> None:
        project = project_capped_simplex if self.options.simplex == "capped" else project_simplex
        for a in self.alpha.values():
            a.copy_(project(a))


@RELAXATIONS.register("sparsemax")
class Sparsemax(Relaxation):
    """w = sparsemax(α), the projection of α onto the probability simplex
    (Martins & Astudillo, ICML 2016); α ~ 1e-3·N(0, 1). Differentiable, with
    exact zeros once one op's α leads another's by more than its weight."""

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.alpha = self.fresh_alpha()

    def forward(self) -> Mixing:
        return {k: project_simplex(a) for k, a in self.alpha.items()}

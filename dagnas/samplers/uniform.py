"""The ``uniform`` sampler: every class of the constrained space equally likely."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

from dagnas.errors import SpecError
from dagnas.registry import Strict
from dagnas.samplers.base import SAMPLERS, DagSampler
from dagnas.samplers.blocks import Block, DagConstraints
from dagnas.samplers.rejection import CountProposal, check_countable, propose_class_uniform
from dagnas.samplers.space import MAX_ENUMERATE_VERTICES, get_space

METHODS = ("auto", "enumerate", "rejection")


@SAMPLERS.register("uniform")
class UniformSampler(DagSampler):
    """Uniform over blocks up to isomorphism.

    ``method="enumerate"`` (the ``"auto"`` choice for ``vertices`` ≤ 7) draws
    indices into the enumerated space. ``method="rejection"`` (``"auto"``
    beyond 7) proposes labelled blocks uniformly and accepts each with
    probability 1/m(G), which is exactly uniform over classes; the argument
    is in :mod:`dagnas.samplers.rejection`. Rejection draws are returned as
    class representatives while ``vertices`` ≤ 7, and as drawn (one labelled
    member of the class) beyond. Distinct draws are never isomorphic.
    """

    name = "uniform"

    class Options(Strict):
        method: Literal["auto", "enumerate", "rejection"] = "auto"

    def __init__(self, constraints: DagConstraints, seed: int, *, method: str = "auto"):
        super().__init__(constraints, seed)
        if method not in METHODS:
            raise SpecError([("method", f"expected one of {METHODS}, got {method!r}")])
        if method == "auto":
            small = constraints.vertices <= MAX_ENUMERATE_VERTICES
            method = "enumerate" if small else "rejection"
        self.method = method
        if method == "enumerate":
            self._space = get_space(constraints)  # raises beyond 7 vertices
        else:
            check_countable(constraints)
            self._proposal = CountProposal(constraints)

    def _draw(self, n: int, exclude: list[Block], replace: bool) -> list[Block]:
        if self.method == "rejection":
            return self._draw_rejection(
                n, exclude, replace, lambda: propose_class_uniform(self._proposal, self.rng)
            )
        size = len(self._space)
        if replace:
            return [self._space.block(i) for i in self.rng.integers(size, size=n).tolist()]
        excluded = sorted({self._space.index(b) for b in exclude})
        self._check_room(n, size, len(excluded))
        pool = np.setdiff1d(np.arange(size), excluded) if excluded else size
        picked = self.rng.choice(pool, size=n, replace=False)
        return [self._space.block(int(i)) for i in picked]

    def _extra_state(self) -> dict[str, Any]:
        return {"method": self.method}

    def _load_extra(self, state: dict[str, Any]) -> None:
        if state.get("method", self.method) != self.method:
            raise SpecError(
                [("method", f"state uses method {state['method']!r}, not {self.method!r}")]
            )

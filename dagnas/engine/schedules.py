"""Architecture-step schedules."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveFloat

from dagnas.engine.components import SCHEDULES, Schedule
from dagnas.registry import Strict, StrictPositiveInt


@SCHEDULES.register("alternate")
class Alternate(Schedule):
    """One architecture step every ``every`` weight steps (DARTS: every=1)."""

    class Options(Strict):
        every: StrictPositiveInt = 1

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.count = 0

    def arch_step_due(self) -> bool:
        due = self.count % self.options.every == 0
        self.count += 1
        return due


@SCHEDULES.register("dynamic")
class Dynamic(Schedule):
    """DARTS-PRIME's dynamic schedule (Maile et al. 2021), driven by the weight gradients.

    After each weight step, F = Σ‖∇_w L_train‖² updates F̄ ← e·F + (1 − e)·F̄.
    At each minibatch: if 0 < F̄ < thr, take one α step and thr ← thr·m^(−f);
    else thr ← thr·m. Each minibatch moves log_m(thr) by +1 or −f, and thr
    follows F̄, so while F̄ stays bounded the share of minibatches with an
    α step tends to 1/(f + 1) (one α step per f weight-only steps); with F̄
    constant the pattern is exactly periodic with period f + 1.
    """

    class Options(Strict):
        e: float = Field(0.2, gt=0, le=1)
        thr0: PositiveFloat = 1.0
        m: float = Field(1.05, gt=1)
        f: PositiveFloat = 10

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.fbar = 0.0
        self.thr = self.options.thr0

    def arch_step_due(self) -> bool:
        o = self.options
        due = 0 < self.fbar < self.thr
        self.thr *= o.m ** (-o.f) if due else o.m
        return due

    def observe(self, grad_sq_norm: float, arch_stepped: bool) -> None:
        e = self.options.e
        self.fbar = e * grad_sq_norm + (1 - e) * self.fbar

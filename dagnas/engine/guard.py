"""The divergence guard: what became non-finite in a step, and whether to roll back.

A step flags the first non-finite value it meets (:class:`Divergence`); the
searcher then rolls back to its last checkpoint with both learning rates
times ``lr_factor``, at most ``retries`` times in a run
(``search.on_divergence``), after which :meth:`Guard.retry` raises a
:class:`RunError` naming what diverged and when.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from enum import IntEnum
from typing import Any

import torch

from dagnas.errors import RunError


class Divergence(IntEnum):
    """What became non-finite; the value is the flag the ranks agree on (0: nothing)."""

    what: str

    def __new__(cls, code: int, what: str) -> Divergence:
        member = int.__new__(cls, code)
        member._value_ = code
        member.what = what
        return member

    TRAIN_LOSS = 1, "the training loss"
    GRAD_NORM = 2, "the weight gradient norm"
    ARCH_LOSS = 3, "the architecture loss"
    ALPHA = 4, "the architecture parameters (α)"


class Guard:
    """The flag of the current step, the learning-rate scale and the rollbacks so far."""

    def __init__(self, retries: int, lr_factor: float):
        self.retries, self.lr_factor = retries, lr_factor
        self.flagged: Divergence | None = None
        self.lr_scale, self.rollbacks = 1.0, 0

    def check(self, value: float, what: Divergence) -> None:
        """Flag ``what`` unless ``value`` is finite."""
        if not math.isfinite(value):
            self.flag(what)

    def check_tensors(self, tensors: Sequence[torch.Tensor], what: Divergence) -> None:
        """Flag ``what`` unless every entry of ``tensors`` is finite (one device sync)."""
        finite = [t.detach().isfinite().all() for t in tensors]
        if finite and not bool(torch.stack(finite).all()):
            self.flag(what)

    def flag(self, what: Divergence) -> None:
        """Note that ``what`` diverged (the first thing only)."""
        self.flagged = self.flagged or what

    @property
    def code(self) -> float:
        """The flag as a number for the ranks to agree on: 0 when nothing diverged."""
        return float(self.flagged or 0)

    def retry(self, event: str) -> tuple[int, float]:
        """The next rollback's number and learning-rate scale after ``event``
        (what diverged, and when); RunError once the retries are spent."""
        if self.rollbacks >= self.retries:
            n = self.rollbacks
            tried = f" after {n} rollback(s) with lower learning rates" if n else ""
            raise RunError(
                f"the search diverged: {event}{tried}. Lower search.weights.lr or search.arch.lr,"
                " or allow more search.on_divergence.retries; the last checkpoint is intact"
            )
        return self.rollbacks + 1, self.lr_scale * self.lr_factor

    def state_dict(self) -> dict[str, Any]:
        return {"lr_scale": self.lr_scale, "rollbacks": self.rollbacks}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Back to a checkpoint's scale and rollbacks, with no flag raised."""
        self.lr_scale, self.rollbacks, self.flagged = state["lr_scale"], state["rollbacks"], None

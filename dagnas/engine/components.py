"""Registries of the engine's small components, and the loss they share.

- schedules decide, per minibatch, whether to take an architecture step;
- regularizers add terms to the architecture loss;
- hypergradients compute ∂L_val/∂α (first or second order);
- derivation rules turn mixing weights into an Architecture (the space
  kinds say which rules apply to them: ``SpaceKind.derive_rules``);
- early stops end a search after an epoch when their criterion is met;
- samplers (:mod:`dagnas.samplers`) draw the DAGs of dense-block spaces.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import torch
from pydantic import BaseModel

from dagnas.registry import NoOptions, Registry

log = logging.getLogger(__name__)


class Schedule:
    """When to take architecture steps. State is plain attributes (JSON-able)."""

    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, **options: Any):
        self.options = self.Options(**options)

    def arch_step_due(self) -> bool:
        """Asked once per minibatch, before its weight step."""
        raise NotImplementedError

    def observe(self, grad_sq_norm: float, arch_stepped: bool) -> None:
        """Told after each weight step: Σ‖∇_w L_train‖² and whether α moved."""

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "options"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        vars(self).update(state)


class Regularizer:
    """A term added to the architecture loss, from the mixing weights."""

    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, **options: Any):
        self.options = self.Options(**options)

    def __call__(
        self, model: Any, mixing: dict[str, torch.Tensor], progress: float
    ) -> torch.Tensor:
        raise NotImplementedError

    def after_arch_step(self, model: Any) -> None:
        """Update auxiliary state (ADMM's Z and U, say) after an α step."""

    def reset_options(self, model: Any, key: str, options: list[int]) -> None:
        """Start afresh on ``options`` of choice ``key``, whose candidates
        resampling replaced (the relaxation has already reset their α)."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave."""


class EarlyStop:
    """Asked after each epoch whether the search ends there. ``stopped`` is
    ``{"epoch", "reason"}`` once it has (saved in checkpoints with the rest of
    its state, so a resumed run that had stopped stays stopped)."""

    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, **options: Any):
        self.options = self.Options(**options)
        self.stopped: dict[str, Any] | None = None

    def check(self, model: Any, mixing: dict[str, torch.Tensor], moved: bool) -> str | None:
        """After an epoch whose final mixing weights are ``mixing`` (``moved``:
        whether α took a step in it): why the search stops here, or None (this
        base class, a search without ``early_stop``: never)."""
        return None

    def after_epoch(
        self, model: Any, mixing: dict[str, torch.Tensor], record: dict[str, Any]
    ) -> bool:
        """:meth:`check` the epoch of metrics ``record``; True (and ``stopped`` set)
        when the search ends after it."""
        reason = self.check(model, mixing, record["arch_steps"] > 0)
        if reason is not None:
            self.stopped = {"epoch": record["epoch"], "reason": reason}
            log.info("early stop after epoch %d: %s", record["epoch"], reason)
        return reason is not None

    def state_dict(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if k != "options"}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        vars(self).update(state)


SCHEDULES: Registry[type[Schedule]] = Registry("schedule")
REGULARIZERS: Registry[type[Regularizer]] = Registry("regularizer")
HYPERGRADIENTS: Registry[Any] = Registry("hypergradient")
DERIVE_RULES: Registry[Any] = Registry("derivation rule")
EARLY_STOPS: Registry[type[EarlyStop]] = Registry("early stop")

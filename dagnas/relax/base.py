"""Relaxations: raw architecture parameters → mixing weights.

A relaxation is an ``nn.Module`` that owns the architecture parameters of a
supernet's choices (so ``state_dict()`` and ``.to()`` carry them). A
*choice* is one thing the search decides: an edge's op (DARTS) or a stage's
block (dense blocks), keyed by a readable id such as ``"normal:0->2"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from pydantic import BaseModel
from torch import nn

from dagnas.errors import DagnasError
from dagnas.registry import NoOptions, Registry

Mixing = dict[str, torch.Tensor]
#: choice key → op name → the modules computing that op (one per cell sharing the key)
OpModules = dict[str, dict[str, list[nn.Module]]]


class Relaxation(nn.Module):
    """Base class: subclasses set ``Options`` and implement :meth:`forward`.

    ``choices`` maps each choice key to its option names (op names), in a
    fixed order; ``groups`` maps a group (e.g. the target node of edges) to
    the keys in it, for relaxations that work per group.
    """

    Options: ClassVar[type[BaseModel]] = NoOptions
    #: architecture-optimizer settings (fields of ``search.arch``) this
    #: method needs or prefers; a spec fills those the user did not give.
    arch_defaults: ClassVar[dict[str, Any]] = {}

    @classmethod
    def arch_defaults_for(cls, options: dict[str, Any]) -> dict[str, Any]:
        """:attr:`arch_defaults` for a relaxation with these ``options`` (a method
        whose reference code sets the optimizer by an option overrides this)."""
        return dict(cls.arch_defaults)

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__()
        self.choices = dict(choices)
        self.groups = dict(groups)
        self.options = self.Options(**options)
        self.progress = 0.0
        self.epoch, self.epochs = 0, 1

    def forward(self) -> Mixing:
        """Mixing weights used in a training forward pass (may be sampled)."""
        raise NotImplementedError

    def weight_mixing(self) -> Mixing:
        """Mixing weights of a weight step (default: :meth:`forward`'s)."""
        return self()

    def final(self) -> Mixing:
        """Deterministic mixing weights: what derivation and reports read."""
        with torch.no_grad():
            return {k: v.detach().clone() for k, v in self().items()}

    def bind(self, ops: OpModules) -> None:
        """Receive the supernet's op modules per choice (after compiling)."""

    def new_minibatch(self) -> None:
        """Called once per minibatch, before its architecture and weight steps."""

    def set_progress(self, progress: float, epoch: int = 0, epochs: int = 1) -> None:
        """Tell the relaxation how far the search is, for annealing: ``progress``
        (0 → 1, moving every step) and the current ``epoch`` (0-based) of ``epochs``."""
        self.progress, self.epoch, self.epochs = progress, epoch, epochs

    @property
    def zero_weights_as_scalars(self) -> bool:
        """Whether an op whose mixing weight is exactly 0 (not computed) still
        joins its edge's sum as that weight, a scalar of value 0, so that its α
        gets a gradient (GDAS's official cell). Default: it is left out."""
        return False

    def loss(self, mixing: Mixing) -> torch.Tensor | None:
        """An extra term of the architecture loss, or None."""
        return None

    def project(self) -> None:
        """Bring the parameters back to their feasible set after an arch step."""

    def after_weight_step(self) -> None:
        """Hook after each weight step (pruning, for instance)."""

    def live(self) -> Mixing | None:
        """Per choice, 1 where an option can still be chosen and 0 where it was
        pruned or dropped; None when the relaxation never prunes."""
        return None

    def init_alpha(self, key: str) -> torch.Tensor:
        """A fresh α vector for choice ``key``: DARTS's 1e-3·N(0, 1) unless the
        method starts elsewhere. Used at construction and when resampling
        replaces some of the choice's options (:meth:`reset_options`)."""
        return 1e-3 * torch.randn(len(self.choices[key]))

    def fresh_alpha(self) -> nn.ParameterDict:
        """One parameter vector per choice, each from :meth:`init_alpha`."""
        return nn.ParameterDict({k: nn.Parameter(self.init_alpha(k)) for k in self.choices})

    def option_parameters(
        self, key: str, options: Sequence[int]
    ) -> list[tuple[nn.Parameter, list[int]]]:
        """The architecture parameters that belong to ``options`` of choice ``key``,
        as (parameter, indices into its first dimension): what an optimizer must
        forget when those options are replaced. Default: their entries of α[key]."""
        return [(self._alpha_of(key), sorted(set(options)))]

    def _alpha_of(self, key: str) -> nn.Parameter:
        alpha = getattr(self, "alpha", None)
        if not isinstance(alpha, nn.ParameterDict) or key not in alpha:
            raise DagnasError(
                f"relaxation {type(self).__name__} keeps no α vector for choice '{key}' and "
                "does not implement reset_options, so it cannot be used with resampling"
                " (dense_blocks resample.every > 0); use softmax, dirichlet, gumbel, sigmoid,"
                " clipped or sparse_simplex, or set resample.every: 0"
            )
        return alpha[key]

    def reset_options(self, key: str, options: Sequence[int]) -> None:
        """Forget what was learnt about ``options`` of choice ``key``, whose
        candidates were replaced (dense-block resampling): their α entries
        become a fresh draw of :meth:`init_alpha`, as at the start of the
        search; the other entries keep theirs. Then :meth:`project`.
        Relaxations without one α vector per choice override this and
        :meth:`option_parameters`.
        """
        a = self._alpha_of(key)
        drop = sorted(set(options))
        with torch.no_grad():
            a[drop] = self.init_alpha(key).to(a)[drop]
        self.project()


RELAXATIONS: Registry[type[Relaxation]] = Registry("relaxation")


@RELAXATIONS.register("softmax")
class Softmax(Relaxation):
    """DARTS (Liu et al., 2019): w = softmax(α) per choice; α ~ 1e-3·N(0, 1)."""

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.alpha = self.fresh_alpha()

    def forward(self) -> Mixing:
        return {k: torch.softmax(a, dim=-1) for k, a in self.alpha.items()}

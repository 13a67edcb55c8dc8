"""Recompute cheap activations in the backward pass instead of storing them.

Autograd stores an op's inputs or outputs for its backward. Inside
:func:`recompute_saved`, a tensor marked with :func:`recomputable` is stored
as its recipe (a function and the arguments it was computed from) and is
recomputed when the backward first needs it. The backward graph itself is
autograd's own, so gradients nobody asked for (the weights' in an α step)
are still skipped. Use it for tensors that are cheap to recompute from
tensors that are kept anyway: ReLU outputs, BatchNorm outputs, depthwise
convolutions.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import torch
from torch.autograd.graph import saved_tensors_hooks


class Recipe:
    """How to recompute one tensor; holds other recipes, never their tensors.

    It is recomputed under the autocast settings it was first computed under.
    """

    __slots__ = ("amp", "args", "fn", "value")

    def __init__(self, fn: Callable[..., torch.Tensor], args: tuple[Any, ...]):
        self.fn, self.args, self.value = fn, args, None
        self.amp = [
            (d, torch.get_autocast_dtype(d))
            for d in ("cpu", "cuda")
            if torch.is_autocast_enabled(d)
        ]

    def get(self) -> torch.Tensor:
        if self.value is None:
            with ExitStack() as stack:
                for device, dtype in self.amp:
                    stack.enter_context(torch.autocast(device, dtype=dtype))
                # grad mode is on only in a backward with create_graph=True
                args = [a.get() if isinstance(a, Recipe) else a for a in self.args]
                self.value = self.fn(*args)
        return self.value


_registries: list[dict[int, tuple[weakref.ref, Recipe]]] = []


def _recipe_of(t: Any) -> Recipe | None:
    if not _registries or not isinstance(t, torch.Tensor):
        return None
    entry = _registries[-1].get(id(t))
    return entry[1] if entry is not None and entry[0]() is t else None


def recomputable(t: torch.Tensor, fn: Callable[..., torch.Tensor], *args: Any) -> torch.Tensor:
    """Mark ``t == fn(*args)`` as recomputable inside :func:`recompute_saved`; returns ``t``.

    Arguments that are themselves marked are held as their recipes.
    """
    if _registries and torch.is_grad_enabled():
        held = tuple(_recipe_of(a) or a for a in args)
        _registries[-1][id(t)] = (weakref.ref(t), Recipe(fn, held))
    return t


def _pack(t: torch.Tensor) -> Any:
    return _recipe_of(t) or t


def _unpack(saved: Any) -> torch.Tensor:
    return saved.get() if isinstance(saved, Recipe) else saved


@contextmanager
def recompute_saved(enabled: bool = True) -> Iterator[None]:
    """Within this block, autograd stores recipes for tensors marked recomputable."""
    if not enabled or not torch.is_grad_enabled():
        yield
        return
    _registries.append({})
    try:
        with saved_tensors_hooks(_pack, _unpack):
            yield
    finally:
        _registries.pop()


class _ReLU(torch.autograd.Function):
    """ReLU that keeps its input for backward (not its output)."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return x.clamp_min(0)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return torch.ops.aten.threshold_backward(g, x, 0)


def relu(x: torch.Tensor) -> torch.Tensor:
    """``relu(x)``, stored for backward as a recipe from ``x`` where that helps."""
    if not (_registries and torch.is_grad_enabled() and x.requires_grad):
        return torch.relu(x)
    return recomputable(_ReLU.apply(x), torch.relu, x)


class _MaxPool(torch.autograd.Function):
    """Max pooling that keeps its input, not the int64 argmax, for backward."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, k: int, s: int, p: int) -> torch.Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        ctx.geom = (k, s, p)
        return torch.nn.functional.max_pool2d(x, k, s, p)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor):  # type: ignore[override]
        (x,) = ctx.saved_tensors
        k, s, p = ctx.geom
        _, idx = torch.nn.functional.max_pool2d(x, k, s, p, return_indices=True)
        gx = torch.ops.aten.max_pool2d_with_indices_backward(
            g, x, [k, k], [s, s], [p, p], [1, 1], False, idx
        )
        return gx, None, None, None


def max_pool(x: torch.Tensor, k: int, s: int, p: int) -> torch.Tensor:
    """``max_pool2d(x, k, s, p)``; inside :func:`recompute_saved` the argmax is recomputed."""
    if not (_registries and torch.is_grad_enabled() and x.requires_grad):
        return torch.nn.functional.max_pool2d(x, k, s, p)
    return _MaxPool.apply(x, k, s, p)

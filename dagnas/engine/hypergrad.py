"""Hypergradients ∂L_val(w*(α), α)/∂α: first order and DARTS's second order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.func import functional_call

from dagnas.accel import Accel, Accelerated
from dagnas.engine.components import HYPERGRADIENTS, Regularizer
from dagnas.relax import Mixing

Batch = tuple[torch.Tensor, torch.Tensor]
Params = dict[str, torch.Tensor]
Grads = Sequence[torch.Tensor | None]


def keep(grads: Grads, like: Sequence[torch.Tensor]) -> list[torch.Tensor | None]:
    """The gradients of a single process, as they are."""
    return list(grads)


@dataclass
class Objective:
    """The two losses of the bilevel problem on one supernet.

    ``weight_loss`` = CE on a train batch; ``arch_loss`` = CE on a val batch
    plus the relaxation's own term and the regularizers. ``params``
    substitutes network weights (by name) for a virtual step. ``reduce``
    averages gradients over data-parallel ranks (the hypergradient's inner
    gradients; the loop averages the final ones). ``accel``: the supernet's
    forward passes run under its autocast, through its compiled forward
    (a virtual step's, with substituted weights, runs the module itself);
    the mixing weights and the losses stay in fp32 (None: fp32, eager).
    ``scaler`` scales the architecture loss whose gradient a first-order
    step takes (fp16; None: a new one of ``accel``).
    """

    model: nn.Module
    regularizers: list[Regularizer] = field(default_factory=list)
    progress: float = 0.0
    reduce: Callable[[Grads, Sequence[torch.Tensor]], list[torch.Tensor | None]] = keep
    accel: Accelerated | None = None
    scaler: torch.amp.GradScaler | None = None

    def __post_init__(self) -> None:
        if self.accel is None:  # fp32, eager
            self.accel = Accelerated(self.model, Accel(), next(self.model.parameters()).device)
        if self.scaler is None:
            self.scaler = self.accel.grad_scaler()

    def logits(self, x: torch.Tensor, mixing: Mixing, params: Params | None = None) -> torch.Tensor:
        """The supernet's logits at ``mixing`` (with weights ``params``, if given), in
        at least fp32 (autocast's bf16/fp16 logits are cast up; fp64 stays)."""
        with self.accel.autocast():
            x = self.accel.inputs(x)
            if params is None:
                out = self.accel.forward(x, mixing)
            else:
                out = functional_call(self.model, params, (x, mixing), strict=False)
        return out.to(torch.promote_types(out.dtype, torch.float32))

    def weight_loss(self, batch: Batch, params: Params | None = None) -> torch.Tensor:
        x, y = batch
        return nn.functional.cross_entropy(self.logits(x, self.model.relaxation(), params), y)

    def arch_loss(self, batch: Batch, params: Params | None = None) -> torch.Tensor:
        x, y = batch
        mixing = self.model.relaxation()
        loss = nn.functional.cross_entropy(self.logits(x, mixing, params), y)
        extra = self.model.relaxation.loss(mixing)
        if extra is not None:
            loss = loss + extra
        for reg in self.regularizers:
            loss = loss + reg(self.model, mixing, self.progress)
        return loss

    def scaled(self, loss: torch.Tensor) -> torch.Tensor:
        """``loss`` times the loss scale (fp16), else ``loss``."""
        return self.scaler.scale(loss)

    def named_weights(self) -> Params:
        return {f"body.{n}": p for n, p in self.model.body.named_parameters()}


def _grad(loss: torch.Tensor, params: list[torch.Tensor]) -> tuple[torch.Tensor | None, ...]:
    """∂loss/∂params, None where unused; all None when the loss is a constant
    (a sampled or sparse architecture can cut every path to the output)."""
    if not loss.requires_grad:
        return (None,) * len(params)
    return torch.autograd.grad(loss, params, allow_unused=True)


def _set_grads(params: list[nn.Parameter], grads: tuple[torch.Tensor | None, ...]) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.zeros_like(p) if g is None else g.detach()


@HYPERGRADIENTS.register("first")
def first_order(obj: Objective, train: Batch, val: Batch, xi: float) -> float:
    """∇_α L_val(w, α): the current weights stand in for w*(α)."""
    alphas = obj.model.arch_parameters()
    loss = obj.arch_loss(val)
    _set_grads(alphas, _grad(obj.scaled(loss), alphas))
    return loss.item()


@HYPERGRADIENTS.register("second")
def second_order(
    obj: Objective, train: Batch, val: Batch, xi: float, radius: float = 0.01
) -> float:
    """DARTS's unrolled hypergradient (Liu et al. 2019, eq. 7–8).

    Its forward passes run in the objective's precision (fp32 or bf16; the
    spec refuses fp16, for which its four gradients would need loss scaling).

    w′ = w − ξ∇_w L_train(w, α);  g = ∇_α L_val(w′, α)
    − ξ·[∇_α L_train(w⁺, α) − ∇_α L_train(w⁻, α)] / (2ε),
    w± = w ± ε∇_{w′}L_val(w′, α),  ε = ``radius`` / ‖∇_{w′}L_val(w′, α)‖
    (DARTS's 0.01). The virtual step is plain SGD: no momentum, no weight decay.
    The difference quotient is exact only to the extent that w± lie on the same
    side of every ReLU and max-pool kink as w; in a convolutional cell at
    DARTS's radius some units cross, and the Hessian-vector product carries
    their jumps.
    """
    alphas = obj.model.arch_parameters()
    named = obj.named_weights()
    names, weights = list(named), list(named.values())
    grads_w = obj.reduce(_grad(obj.weight_loss(train), weights), weights)
    virtual = {
        n: (w.detach() - xi * g if g is not None else w.detach()).requires_grad_()
        for n, w, g in zip(names, weights, grads_w, strict=True)
    }
    loss = obj.arch_loss(val, virtual)
    out = _grad(loss, alphas + list(virtual.values()))
    d_alpha, d_w = out[: len(alphas)], obj.reduce(out[len(alphas) :], weights)
    d_w = [torch.zeros_like(w) if g is None else g for w, g in zip(weights, d_w, strict=True)]
    eps = radius / torch.sqrt(sum((g * g).sum() for g in d_w)).clamp_min(1e-12)

    def grad_alpha_at(sign: float) -> tuple[torch.Tensor | None, ...]:
        shifted = {
            n: w.detach() + sign * eps * g for n, w, g in zip(names, weights, d_w, strict=True)
        }
        return _grad(obj.weight_loss(train, shifted), alphas)

    g_plus, g_minus = grad_alpha_at(1.0), grad_alpha_at(-1.0)
    hyper = []
    for a, da, gp, gm in zip(alphas, d_alpha, g_plus, g_minus, strict=True):
        h = torch.zeros_like(a) if da is None else da
        if gp is not None and gm is not None:
            h = h - xi * (gp - gm) / (2 * eps)
        hyper.append(h)
    _set_grads(alphas, tuple(hyper))
    return loss.item()

"""What a search sets up: its two optimizers and an epoch's running sums; what
it forgets when resampling replaces options; and the share of exact zeros
among mixing weights, which its records report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import torch

from dagnas.compile import Supernet
from dagnas.compile.body import Replaced
from dagnas.engine.components import Regularizer
from dagnas.relax import Mixing
from dagnas.spec import SearchConfig


def zero_fraction(mixing: Mixing) -> float:
    total = sum(w.numel() for w in mixing.values())
    return sum(int((w == 0).sum()) for w in mixing.values()) / max(total, 1)


class EntryAdam(torch.optim.Optimizer):
    """Adam (Kingma & Ba 2015) as ``torch.optim.Adam`` computes it (L2 weight
    decay added to the gradient, ε outside the square root), but with a step
    count per entry instead of per tensor, so that :meth:`forget` can give
    some entries of a parameter fresh moments: their next step is the first
    step of a new Adam, bias correction included. Dense-block resampling
    uses it for the α of the blocks it replaces.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor],
        lr: float,
        betas: tuple[float, float],
        weight_decay: float = 0.0,
        eps: float = 1e-8,
    ):
        super().__init__(
            params, {"lr": lr, "betas": betas, "weight_decay": weight_decay, "eps": eps}
        )

    @torch.no_grad()
    def step(self, closure: Any = None) -> None:
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.add(p, alpha=group["weight_decay"]) if group["weight_decay"] else p.grad
                st = self.state[p]
                if not st:
                    st["step"] = torch.zeros_like(p, dtype=torch.float64)
                    st["exp_avg"], st["exp_avg_sq"] = torch.zeros_like(p), torch.zeros_like(p)
                st["step"] += 1
                m, v = st["exp_avg"], st["exp_avg_sq"]
                m.lerp_(g, 1 - b1)
                v.mul_(b2).addcmul_(g, g, value=1 - b2)
                size = (group["lr"] / (1 - b1 ** st["step"])).to(p.dtype)
                root = (1 - b2 ** st["step"]).sqrt().to(p.dtype)
                p.sub_(size * (m / (v.sqrt() / root).add_(group["eps"])))

    def forget(self, param: torch.Tensor, index: Sequence[int]) -> None:
        """Fresh moments and step counts for ``param[index]`` (no state yet: nothing to do)."""
        for t in self.state.get(param, {}).values():
            t[list(index)] = 0


def optimizers(model: Supernet, cfg: SearchConfig) -> tuple[torch.optim.Optimizer, ...]:
    """The weights' SGD and the architecture's Adam (:class:`EntryAdam`) or SGD
    (no momentum: no state to forget), as ``cfg`` sets them."""
    w, a = cfg.weights, cfg.arch
    w_opt = torch.optim.SGD(
        model.weights(),
        lr=w.lr,
        momentum=w.momentum,
        weight_decay=w.weight_decay,
        nesterov=w.nesterov,
    )
    if a.optimizer == "adam":
        a_opt: torch.optim.Optimizer = EntryAdam(
            model.arch_parameters(), lr=a.lr, betas=a.betas, weight_decay=a.weight_decay
        )
    else:
        a_opt = torch.optim.SGD(model.arch_parameters(), lr=a.lr, weight_decay=a.weight_decay)
    return w_opt, a_opt


def fresh_sums() -> dict[str, float]:
    """The running sums of an epoch, before its first step."""
    return {"batches": 0, "loss": 0.0, "correct": 0, "seen": 0, "arch_steps": 0, "time": 0.0}


def forget_replaced(
    model: Supernet,
    a_opt: torch.optim.Optimizer,
    regularizers: Sequence[Regularizer],
    replaced: Replaced,
) -> None:
    """Fresh architecture-optimizer moments and regularizer state for the options
    a body replaced (dense-block resampling; the relaxation has reset their α)."""
    for key, options in replaced.items():
        if isinstance(a_opt, EntryAdam):
            for param, index in model.relaxation.option_parameters(key, options):
                a_opt.forget(param, index)
        for reg in regularizers:
            reg.reset_options(model, key, options)

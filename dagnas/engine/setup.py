"""What a search sets up: its two optimizers and an epoch's running sums; and
the share of exact zeros among mixing weights, which its records report."""

from __future__ import annotations

import torch

from dagnas.compile import Supernet
from dagnas.relax import Mixing
from dagnas.spec import SearchConfig


def zero_fraction(mixing: Mixing) -> float:
    total = sum(w.numel() for w in mixing.values())
    return sum(int((w == 0).sum()) for w in mixing.values()) / max(total, 1)


def optimizers(model: Supernet, cfg: SearchConfig) -> tuple[torch.optim.Optimizer, ...]:
    """The weights' SGD and the architecture's Adam or SGD, as ``cfg`` sets them."""
    w, a = cfg.weights, cfg.arch
    w_opt = torch.optim.SGD(
        model.weights(),
        lr=w.lr,
        momentum=w.momentum,
        weight_decay=w.weight_decay,
        nesterov=w.nesterov,
    )
    if a.optimizer == "adam":
        a_opt: torch.optim.Optimizer = torch.optim.Adam(
            model.arch_parameters(), lr=a.lr, betas=a.betas, weight_decay=a.weight_decay
        )
    else:
        a_opt = torch.optim.SGD(model.arch_parameters(), lr=a.lr, weight_decay=a.weight_decay)
    return w_opt, a_opt


def fresh_sums() -> dict[str, float]:
    """The running sums of an epoch, before its first step."""
    return {"batches": 0, "loss": 0.0, "correct": 0, "seen": 0, "arch_steps": 0, "time": 0.0}

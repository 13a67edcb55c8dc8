"""What the search loop and retraining share: the learning-rate schedule and
the evaluation loop."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
from torch import nn

#: A model's forward pass: inputs (N, ...) → logits (N, classes).
Forward = Callable[[torch.Tensor], torch.Tensor]


def cosine_lr(lr: float, lr_min: float, epoch: int, epochs: int) -> float:
    """DARTS's per-epoch cosine annealing: ``lr`` at epoch 0 down towards ``lr_min``."""
    return lr_min + 0.5 * (lr - lr_min) * (1 + math.cos(math.pi * epoch / epochs))


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """``model`` in eval mode for the block, then back in the mode it was in."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@torch.no_grad()
def score_logits(
    forward: Forward, x: torch.Tensor, y: torch.Tensor, batch: int = 1024
) -> tuple[float, int]:
    """(summed cross-entropy, correct predictions) of ``forward`` over ``x`` (N, ...)
    and labels ``y`` (N,), ``batch`` rows at a time; sums add up across shards."""
    loss, correct = 0.0, 0
    for xb, yb in zip(x.split(batch), y.split(batch), strict=True):
        logits = forward(xb)
        loss += nn.functional.cross_entropy(logits, yb, reduction="sum").item()
        correct += int((logits.argmax(1) == yb).sum())
    return loss, correct


def evaluate_logits(
    forward: Forward, x: torch.Tensor, y: torch.Tensor, batch: int = 1024
) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``forward`` on ``(x, y)``; the caller
    picks the model's mode (:func:`eval_mode`)."""
    loss, correct = score_logits(forward, x, y, batch)
    n = max(len(y), 1)
    return loss / n, correct / n

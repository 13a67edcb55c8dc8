"""The shared learning-rate schedule and evaluation loop."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dagnas.training.common import cosine_lr, eval_mode, evaluate_logits


def test_cosine_lr_runs_from_lr_towards_lr_min():
    assert cosine_lr(0.1, 0.001, 0, 10) == 0.1
    assert cosine_lr(0.1, 0.001, 5, 10) == pytest.approx(0.0505)
    assert cosine_lr(0.1, 0.001, 10, 10) == pytest.approx(0.001)


def test_evaluate_logits_matches_one_pass_over_all_rows():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, 3))
    x, y = torch.randn(50, 4), torch.randint(0, 3, (50,))
    with eval_mode(net):
        loss, acc = evaluate_logits(net, x, y, batch=7)
        with torch.no_grad():
            logits = net(x)
    assert net.training  # back in the mode it was in
    assert loss == pytest.approx(float(nn.functional.cross_entropy(logits, y)), rel=1e-5)
    assert acc == int((logits.argmax(1) == y).sum()) / 50
    assert evaluate_logits(net, x[:0], y[:0]) == (0.0, 0.0)

"""Remedies for collapse against their definitions: β-DARTS's Beta-Decay."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.engine.regularizers import BetaDecay
from dagnas.errors import DagnasError
from tests.engine.test_regularizers_prime import E1, E2, two_edge_net


def test_beta_decay_is_a_growing_mean_logsumexp_with_softmax_gradient():
    net = two_edge_net()
    alpha = net.relaxation.alpha
    with torch.no_grad():
        alpha[E1].copy_(torch.tensor([2.0, 0.0, -1.0]))
        alpha[E2].copy_(torch.tensor([0.5, 0.5]))
    reg = BetaDecay(lam=4.0, lam_start=1.0)
    mixing = net.relaxation()
    lse = (torch.logsumexp(alpha[E1], -1) + torch.logsumexp(alpha[E2], -1)) / 2
    torch.testing.assert_close(reg(net, mixing, 0.0), 1.0 * lse)
    loss = reg(net, mixing, 0.5)
    torch.testing.assert_close(loss, 2.5 * lse)
    loss.backward()
    torch.testing.assert_close(alpha[E1].grad, 2.5 / 2 * torch.softmax(alpha[E1], -1))


def test_beta_decay_needs_alpha_per_choice(tiny_dag_graph):
    net = compile_supernet(tiny_dag_graph, "hypernet")
    with pytest.raises(DagnasError, match="beta_decay reads α per choice"):
        BetaDecay()(net, net.relaxation(), 0.5)

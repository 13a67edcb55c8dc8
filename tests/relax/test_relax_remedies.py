"""SDARTS-RS and DARTS- relaxations against their definitions."""

from __future__ import annotations

import torch

from dagnas.relax import AuxiliarySkip, SmoothedSoftmax

OPS = ["none", "skip_connect", "nor_conv_3x3"]


def make(cls, **options):
    torch.manual_seed(0)
    relax = cls({"e": OPS, "f": ["none", "nor_conv_1x1"]}, {"n": ["e", "f"]}, **options)
    with torch.no_grad():
        relax.alpha["e"].copy_(torch.tensor([0.5, 1.0, -1.0]))
    return relax


def test_sdarts_weight_steps_see_growing_uniform_noise_arch_steps_none():
    relax = make(SmoothedSoftmax, epsilon=0.3, epsilon_min=0.03)
    clean = torch.softmax(relax.alpha["e"].detach(), -1)
    torch.testing.assert_close(relax()["e"].detach(), clean)
    torch.testing.assert_close(relax.final()["e"], clean)
    for progress, eps in ((0.0, 0.03), (1.0, 0.3)):
        relax.set_progress(progress)
        noise = torch.stack([relax.weight_mixing()["e"].detach() - clean for _ in range(400)])
        assert noise.abs().max() <= eps + 1e-6 and noise.abs().max() > 0.9 * eps


def test_darts_minus_adds_a_decaying_skip_weight_but_derives_from_softmax():
    relax = make(AuxiliarySkip, beta=1.0)
    clean = torch.softmax(relax.alpha["e"].detach(), -1)
    relax.set_progress(0.25)
    w = relax()
    torch.testing.assert_close(w["e"].detach(), clean + torch.tensor([0.0, 0.75, 0.0]))
    torch.testing.assert_close(w["f"].detach(), torch.softmax(relax.alpha["f"].detach(), -1))
    torch.testing.assert_close(relax.final()["e"], clean)
    relax.set_progress(1.0)
    torch.testing.assert_close(relax()["e"].detach(), clean)

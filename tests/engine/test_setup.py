"""EntryAdam: torch's Adam with a step count per entry, and forgetting entries."""

from __future__ import annotations

import torch

from dagnas.engine.setup import EntryAdam


def test_entry_adam_follows_torch_adam():
    torch.manual_seed(0)
    a = torch.nn.Parameter(torch.randn(6))
    b = torch.nn.Parameter(a.detach().clone())
    ours = EntryAdam([a], lr=0.01, betas=(0.5, 0.999), weight_decay=1e-3)
    ref = torch.optim.Adam([b], lr=0.01, betas=(0.5, 0.999), weight_decay=1e-3)
    for _ in range(20):
        g = torch.randn(6)
        a.grad, b.grad = g.clone(), g.clone()
        ours.step()
        ref.step()
    torch.testing.assert_close(a.detach(), b.detach(), rtol=1e-6, atol=1e-7)


def test_forgotten_entries_step_as_a_new_adam_and_the_rest_as_before():
    torch.manual_seed(1)
    a = torch.nn.Parameter(torch.randn(4))
    opt = EntryAdam([a], lr=0.1, betas=(0.9, 0.999))
    for _ in range(10):
        a.grad = torch.randn(4)
        opt.step()
    kept = {n: t[[0, 3]].clone() for n, t in opt.state[a].items()}
    opt.forget(a, [1, 2])
    fresh = torch.nn.Parameter(a.detach()[[1, 2]].clone())
    new = EntryAdam([fresh], lr=0.1, betas=(0.9, 0.999))
    for n, t in opt.state[a].items():
        assert t[[1, 2]].eq(0).all() and torch.equal(t[[0, 3]], kept[n]), n
    for _ in range(3):
        g = torch.randn(4)
        a.grad, fresh.grad = g, g[[1, 2]].clone()
        opt.step()
        new.step()
    torch.testing.assert_close(a.detach()[[1, 2]], fresh.detach())

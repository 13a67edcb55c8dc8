"""Sparse simplex α (Ito 2022) and sparsemax: the prox step, feasibility, zeros."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.engine.hypergrad import Objective, first_order
from dagnas.engine.loop import Searcher
from dagnas.relax.projection import project_capped_simplex, project_simplex
from dagnas.spec import SearchConfig


def data(n: int = 32, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def search(graph, steps: int, lr: float, **options):
    torch.manual_seed(0)
    cfg = SearchConfig.model_validate(
        {
            "epochs": 1,
            "max_steps": steps,
            "batch_size": 8,
            "relaxation": {"name": "sparse_simplex", **options},
            "arch": {"lr": lr},
        }
    )
    model = compile_supernet(graph, "sparse_simplex", **cfg.relaxation.options)
    result = Searcher(model, data(), data(seed=1), cfg).run()
    return model, result


def test_init_is_interior():
    from dagnas.relax import SparseSimplex

    capped = SparseSimplex({"e": ["none", "skip_connect", "avg_pool_3x3"]}, {"n": ["e"]})
    prob = SparseSimplex(
        {"e": ["none", "skip_connect", "avg_pool_3x3"]}, {"n": ["e"]}, simplex="probability"
    )
    torch.testing.assert_close(capped.alpha["e"].detach(), torch.full((3,), 0.25))
    torch.testing.assert_close(prob.alpha["e"].detach(), torch.full((3,), 1 / 3))


def test_loss_is_l1_on_the_capped_simplex_and_none_reward_on_the_probability_one():
    from dagnas.relax import SparseSimplex

    choices = {"e": ["none", "skip_connect", "avg_pool_3x3"], "f": ["skip_connect", "avg_pool_3x3"]}
    w = {"e": torch.tensor([0.2, 0.3, 0.1]), "f": torch.tensor([0.4, 0.5])}
    capped = SparseSimplex(choices, {}, lam=0.1)
    torch.testing.assert_close(capped.loss(w), torch.tensor(0.1 * 1.5))
    prob = SparseSimplex(choices, {}, lam=0.1, simplex="probability")
    torch.testing.assert_close(prob.loss(w), torch.tensor(0.1 * (0.4 + 0.9)))
    assert SparseSimplex(choices, {}, lam=0.0).loss(w) is None


def test_arch_step_is_the_exact_proximal_step(tiny_cell_graph):
    """SGD on ∇L_val + λ then projection: a ← P(a − η(∇_a CE_val + λ))."""
    torch.manual_seed(0)
    model = compile_supernet(tiny_cell_graph, "sparse_simplex", lam=0.05).double()
    val = (data()[0].double(), data()[1])
    before = {k: a.detach().clone() for k, a in model.relaxation.alpha.items()}
    ce = torch.nn.functional.cross_entropy(model(val[0]), val[1])
    grads = torch.autograd.grad(ce, list(model.relaxation.alpha.values()))
    eta = 0.7
    opt = torch.optim.SGD(model.arch_parameters(), lr=eta)
    first_order(Objective(model), val, val, 0.0)
    opt.step()
    model.relaxation.project()
    for (k, a), g in zip(before.items(), grads, strict=True):
        expected = project_capped_simplex(a - eta * (g + 0.05))
        torch.testing.assert_close(model.relaxation.alpha[k].detach(), expected)


@pytest.mark.parametrize("simplex", ["capped", "probability"])
def test_parameters_stay_feasible(tiny_cell_graph, simplex):
    model, _ = search(tiny_cell_graph, 4, lr=0.5, lam=0.01, simplex=simplex)
    for a in model.relaxation.final().values():
        assert float(a.min()) >= 0
        if simplex == "capped":
            assert float(a.sum()) <= 1 + 1e-6
        else:
            assert abs(float(a.sum()) - 1) < 1e-6


def test_large_lambda_gives_exact_zeros(tiny_cell_graph):
    _, result = search(tiny_cell_graph, 4, lr=0.5, lam=0.1)
    zeros = sum(int((w == 0).sum()) for w in result.mixing.values())
    total = sum(w.numel() for w in result.mixing.values())
    assert zeros / total > 0.5
    assert result.metrics[-1]["zero_fraction"] == zeros / total
    _, none = search(tiny_cell_graph, 4, lr=0.5, lam=0.0)
    assert sum(int((w == 0).sum()) for w in none.mixing.values()) < zeros


def test_sparsemax_is_the_simplex_projection_of_alpha():
    from dagnas.relax import Sparsemax

    relax = Sparsemax({"e": ["a", "b", "c"]}, {"n": ["e"]})
    with torch.no_grad():
        relax.alpha["e"].copy_(torch.tensor([1.0, 0.2, 0.6]))
    w = relax()["e"]
    torch.testing.assert_close(w, project_simplex(torch.tensor([1.0, 0.2, 0.6])))
    assert w[1] == 0 and abs(float(w.detach().sum()) - 1) < 1e-6
    (w * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    grad = relax.alpha["e"].grad
    torch.testing.assert_close(grad, torch.tensor([-1.0, 0.0, 1.0]))  # (I − 11ᵀ/2) on the support

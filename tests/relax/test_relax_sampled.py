"""Sigmoid (FairDARTS), Gumbel (GDAS), Dirichlet (DrNAS): values against their definitions."""

from __future__ import annotations

import math

import torch
from scipy.special import digamma, gammaln

from dagnas.compile import compile_supernet
from dagnas.engine.callbacks import OnStep
from dagnas.engine.loop import Searcher
from dagnas.relax import Dirichlet, Gumbel, Sigmoid
from dagnas.spec import SearchConfig

OPS = ["none", "skip_connect", "avg_pool_3x3", "max_pool_3x3"]


def one_choice(cls, alpha, **options):
    relax = cls({"e": OPS}, {"n": ["e"]}, **options)
    with torch.no_grad():
        relax.alpha["e"].copy_(torch.tensor(alpha))
    return relax


def test_sigmoid_weights_and_zero_one_loss():
    relax = one_choice(Sigmoid, [-2.0, 0.0, 1.0, 3.0], drop_zero=False)
    w = relax()["e"]
    torch.testing.assert_close(w, torch.sigmoid(torch.tensor([-2.0, 0.0, 1.0, 3.0])))
    expected = -10 * ((w - 0.5) ** 2).mean()
    loss = relax.loss(relax())
    torch.testing.assert_close(loss, expected)
    loss.backward()
    grad = relax.alpha["e"].grad  # descending pushes each σ(α) away from 0.5
    assert grad[0] > 0 and grad[2] < 0 and grad[3] < 0 and grad[1] == 0


def test_sigmoid_drops_none_by_default_as_fairdarts_does():
    relax = one_choice(Sigmoid, [2.0, 0.0, 1.0, 3.0])
    w = relax()["e"]
    assert w[0] == 0 and relax.live()["e"].tolist() == [0.0, 1.0, 1.0, 1.0]
    torch.testing.assert_close(w[1:], torch.sigmoid(torch.tensor([0.0, 1.0, 3.0])))
    torch.testing.assert_close(relax.loss(relax()), -10 * ((w[1:] - 0.5) ** 2).mean())


def test_gumbel_forward_is_one_hot_with_softmax_gradient():
    relax = one_choice(Gumbel, [0.1, 0.5, -0.3, 0.2])
    relax.set_progress(0.5, 2, 5)
    assert math.isclose(relax.tau, 10 - 9.9 * 0.5)
    torch.manual_seed(3)
    w = relax()["e"]
    assert sorted(w.tolist())[:3] == [0.0, 0.0, 0.0] and abs(w.max().item() - 1) < 1e-6
    c = torch.tensor([1.0, 2.0, 3.0, 4.0])
    (w * c).sum().backward()
    # the same draw, soft: the straight-through gradient is the soft sample's
    torch.manual_seed(3)
    a = relax.alpha["e"].detach().clone().requires_grad_()
    from dagnas.relax.sampled import gumbel_noise

    soft = torch.softmax((torch.log_softmax(a, -1) + gumbel_noise(a)) / relax.tau, -1)
    (soft * c).sum().backward()
    torch.testing.assert_close(relax.alpha["e"].grad, a.grad)
    assert int(soft.argmax()) == int(w.argmax())


def test_gumbel_samples_follow_softmax_and_replay_from_the_global_seed():
    relax = one_choice(Gumbel, [1.0, 0.0, -1.0, 0.5])
    torch.manual_seed(0)
    picks = torch.stack([relax()["e"].detach().argmax() for _ in range(3000)])
    freq = torch.bincount(picks, minlength=4).float() / len(picks)
    torch.testing.assert_close(freq, relax.final()["e"], atol=0.03, rtol=0)
    torch.manual_seed(7)
    first = [relax()["e"].detach() for _ in range(5)]
    torch.manual_seed(7)
    assert all(torch.equal(f, relax()["e"].detach()) for f in first)


def test_gumbel_tau_falls_once_per_epoch_as_the_official_gdas_loop():
    """τ = tau_max − (tau_max − tau_min)·epoch/(epochs − 1), whatever the step."""
    relax = one_choice(Gumbel, [0.0] * 4)
    for epoch in range(5):
        for progress in (epoch / 5, (epoch + 0.9) / 5):
            relax.set_progress(progress, epoch, 5)
            assert math.isclose(relax.tau, 10 - 9.9 * epoch / 4)
    relax.set_progress(0.0, 0, 1)  # a one-epoch search stays at tau_max
    assert relax.tau == 10
    per_step = one_choice(Gumbel, [0.0] * 4, anneal="step", tau_max=2, tau_min=1)
    per_step.set_progress(0.3, 1, 5)
    assert math.isclose(per_step.tau, 2 - 0.3)


def test_gumbel_tau_follows_the_epochs_across_a_stop_and_resume(tiny_dag_graph, tmp_path):
    """τ is no state of its own: the resumed search anneals from the saved epoch."""
    taus: list[tuple[int, float]] = []
    probe = OnStep(lambda info: taus.append((info["epoch"], model.relaxation.tau)))

    def searcher(stop=None) -> Searcher:
        cfg = SearchConfig.model_validate({"epochs": 4, "batch_size": 8, "relaxation": "gumbel"})
        x, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
        return Searcher(model, (x, y), (x, y), cfg, tmp_path, [probe], should_stop=stop)

    model = compile_supernet(tiny_dag_graph, "gumbel")
    calls = iter(range(100))
    assert searcher(stop=lambda: next(calls) == 4).run().interrupted
    model = compile_supernet(tiny_dag_graph, "gumbel")
    resumed = searcher()
    assert resumed.resume() and resumed.run().steps == 8
    assert [e for e, _ in taus] == [0, 0, 1, 1, 2, 2, 3, 3]
    assert all(math.isclose(t, 10 - 9.9 * e / 3) for e, t in taus)


def test_search_survives_a_sample_that_cuts_every_path(tiny_dag_graph):
    """Gumbel picks `zero` on every edge: the output is a constant; steps go on."""
    model = compile_supernet(tiny_dag_graph, "gumbel")
    with torch.no_grad():
        for key, a in model.relaxation.alpha.items():
            a.copy_(
                torch.tensor(
                    [-50.0 if op != "zero" else 50.0 for op in model.relaxation.choices[key]]
                )
            )
    cfg = SearchConfig.model_validate(
        {"epochs": 1, "max_steps": 2, "batch_size": 4, "relaxation": "gumbel"}
    )
    x, y = torch.randn(8, 5), torch.randint(0, 3, (8,))
    assert Searcher(model, (x, y), (x, y), cfg).run().steps == 2


def test_dirichlet_mean_samples_and_kl():
    alpha = [0.5, -0.5, 2.0, 0.0]
    relax = one_choice(Dirichlet, alpha, kl_weight=1e-3)
    beta = torch.nn.functional.elu(torch.tensor(alpha)) + 1
    torch.testing.assert_close(relax.final()["e"], beta / beta.sum())
    torch.manual_seed(0)
    samples = torch.stack([relax()["e"].detach() for _ in range(4000)])
    torch.testing.assert_close(samples.mean(0), beta / beta.sum(), atol=0.015, rtol=0)
    assert torch.allclose(samples.sum(1), torch.ones(4000))
    b = beta.double().numpy()
    kl = (
        gammaln(b.sum())
        - gammaln(b).sum()
        - gammaln(len(b))
        + ((b - 1) * (digamma(b) - digamma(b.sum()))).sum()
    )
    torch.testing.assert_close(relax.loss(relax()), torch.tensor(1e-3 * kl, dtype=torch.float32))
    assert one_choice(Dirichlet, alpha).loss(relax()) is None


def test_dirichlet_gradient_is_pathwise():
    relax = one_choice(Dirichlet, [0.0, 0.0, 0.0, 0.0])
    torch.manual_seed(1)
    (relax()["e"] * torch.tensor([0.0, 0.0, 0.0, 1.0])).sum().backward()
    assert relax.alpha["e"].grad.abs().sum() > 0

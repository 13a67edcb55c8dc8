"""First- and second-order hypergradients against exact autograd."""

from __future__ import annotations

import torch

from dagnas.compile import compile_supernet
from dagnas.engine.hypergrad import Objective, first_order, second_order


def batches(seed: int, n: int = 16):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 5, generator=g, dtype=torch.float64)
    y = torch.randint(0, 3, (n,), generator=g)
    return x, y


def exact_unrolled(obj: Objective, train, val, xi: float) -> list[torch.Tensor]:
    """d/dα L_val(w − ξ∇_w L_train(w, α), α) by double backprop."""
    named = obj.named_weights()
    grads = torch.autograd.grad(obj.weight_loss(train), list(named.values()), create_graph=True)
    virtual = {n: w - xi * g for (n, w), g in zip(named.items(), grads, strict=True)}
    loss = obj.arch_loss(val, virtual)
    return list(torch.autograd.grad(loss, obj.model.arch_parameters()))


def assert_second_order_is_exact(obj: Objective, train, val, xi: float, exact, **kw) -> None:
    """``second_order`` (``kw``: its radius) within 1e-3 of ``exact``, relative;
    and the second-order term matters: first order is ten times further off."""
    second_order(obj, train, val, xi, **kw)
    approx = [a.grad.clone() for a in obj.model.arch_parameters()]
    num = torch.sqrt(sum(((e - a) ** 2).sum() for e, a in zip(exact, approx, strict=True)))
    den = torch.sqrt(sum((e**2).sum() for e in exact))
    assert float(num / den) < 1e-3
    first_order(obj, train, val, xi)
    first = [a.grad for a in obj.model.arch_parameters()]
    far = torch.sqrt(sum(((e - f) ** 2).sum() for e, f in zip(exact, first, strict=True)))
    assert float(far / den) > 10 * float(num / den)


def test_second_order_matches_exact_autograd(tiny_dag_net):
    model = tiny_dag_net.double()
    with torch.no_grad():  # away from the uniform init, so the α-gradient is not tiny
        for a in model.arch_parameters():
            a.normal_(0, 1.0)
    obj = Objective(model)
    train, val, xi = batches(1), batches(2), 0.5
    exact = exact_unrolled(obj, train, val, xi)
    assert_second_order_is_exact(obj, train, val, xi, exact)


def test_first_order_is_plain_val_gradient(tiny_dag_net):
    model = tiny_dag_net.double()
    obj = Objective(model)
    val = batches(3)
    loss = obj.arch_loss(val)
    expected = torch.autograd.grad(loss, model.arch_parameters())
    first_order(obj, batches(4), val, 0.1)
    for e, p in zip(expected, model.arch_parameters(), strict=True):
        torch.testing.assert_close(p.grad, e)


def images(seed: int, n: int = 8):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 1, 8, 8, generator=g, dtype=torch.float64)
    return x, torch.randint(0, 3, (n,), generator=g)


def unrolled_val_loss(obj: Objective, train, val, xi: float) -> float:
    """L_val(w − ξ∇_w L_train(w, α), α) at the current α, with w left as it is."""
    named = obj.named_weights()
    grads = torch.autograd.grad(obj.weight_loss(train), list(named.values()))
    virtual = {n: w.detach() - xi * g for (n, w), g in zip(named.items(), grads, strict=True)}
    with torch.no_grad():
        return float(obj.arch_loss(val, virtual))


def test_second_order_on_a_darts_cell_with_batchnorm(tiny_cell_graph):
    """The same check on a DARTS cell: every parametric op ends in BatchNorm,
    the pools are followed by one, all in train mode. Held fixed: the two
    batches, and the train-mode rule that each forward pass normalises by its
    own batch's statistics (so the statistics move with w and α and are
    differentiated through; the running statistics, which every pass updates,
    are read by no loss); so each loss is a function of (w, α) alone. The exact
    derivative of the unrolled loss matches central differences in α; the
    finite-difference Hessian-vector product matches it at a radius small
    enough that w± cross no ReLU or max-pool kink (at DARTS's 0.01 some units
    of this cell cross, and the product is off by more than the term itself)."""
    torch.manual_seed(0)
    model = compile_supernet(tiny_cell_graph, "softmax").double().train()
    with torch.no_grad():
        for a in model.arch_parameters():
            a.normal_(0, 1.0)
    obj = Objective(model)
    train, val, xi = images(1), images(2), 0.5
    exact = exact_unrolled(obj, train, val, xi)
    alpha, h = model.arch_parameters()[0], 1e-5
    for i in range(alpha.numel()):
        with torch.no_grad():
            alpha[i] += h
        up = unrolled_val_loss(obj, train, val, xi)
        with torch.no_grad():
            alpha[i] -= 2 * h
        down = unrolled_val_loss(obj, train, val, xi)
        with torch.no_grad():
            alpha[i] += h
        assert abs((up - down) / (2 * h) - float(exact[0][i])) < 1e-8 + 1e-5 * abs(exact[0][i])
    assert_second_order_is_exact(obj, train, val, xi, exact, radius=1e-6)

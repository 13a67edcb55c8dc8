"""Simplex projections against brute-force KKT, a QP solver, and their properties."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from dagnas.relax.projection import project_capped_simplex, project_simplex


def brute_capped(x: np.ndarray) -> np.ndarray:
    """Nearest point of {a ≥ 0, Σa ≤ 1}: the best feasible candidate over every
    support S with the sum constraint free (a_S = x_S) or tight (a_S = x_S − shift)."""
    n, best, dist = len(x), np.zeros_like(x), float(np.sum(x**2))
    for r in range(1, n + 1):
        for s in itertools.combinations(range(n), r):
            idx = list(s)
            for tight in (False, True):
                a = np.zeros_like(x)
                a[idx] = x[idx] - ((x[idx].sum() - 1) / r if tight else 0.0)
                if a.min() >= -1e-12 and a.sum() <= 1 + 1e-12:
                    d = float(np.sum((a - x) ** 2))
                    if d < dist - 1e-15:
                        best, dist = a, d
    return best


def qp_capped(x: np.ndarray) -> np.ndarray:
    res = minimize(
        lambda a: 0.5 * np.sum((a - x) ** 2),
        np.zeros_like(x),
        jac=lambda a: a - x,
        bounds=[(0, None)] * len(x),
        constraints=[
            {"type": "ineq", "fun": lambda a: 1 - a.sum(), "jac": lambda a: -np.ones_like(a)}
        ],
        method="SLSQP",
        options={"ftol": 1e-14, "maxiter": 500},
    )
    return res.x


def proj(x) -> np.ndarray:
    return project_capped_simplex(torch.tensor(x, dtype=torch.float64)).numpy()


def test_capped_projection_equals_brute_force_kkt_and_qp():
    rng = np.random.default_rng(0)
    for n in range(1, 7):
        for scale in (0.1, 0.5, 2.0):
            for _ in range(8):
                x = rng.normal(0, scale, n) + rng.uniform(-0.2, 0.4)
                np.testing.assert_allclose(proj(x), brute_capped(x), atol=1e-12)
                np.testing.assert_allclose(proj(x), qp_capped(x), atol=1e-6)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        ([-1.0, -0.5, -3.0], [0.0, 0.0, 0.0]),  # all negative → 0
        ([0.2, 0.3, 0.1], [0.2, 0.3, 0.1]),  # already feasible → unchanged
        ([0.5, 0.5, 0.0], [0.5, 0.5, 0.0]),  # sum exactly 1 → unchanged
        ([0.7, 0.7, 0.7], [1 / 3, 1 / 3, 1 / 3]),  # ties over the cap
        ([2.0, 2.0, -1.0], [0.5, 0.5, 0.0]),  # ties plus a negative
        ([0.4, -0.2, 0.4], [0.4, 0.0, 0.4]),  # clipping alone suffices
        ([3.0, 0.1, 0.0], [1.0, 0.0, 0.0]),  # one op takes all
    ],
)
def test_capped_projection_edge_cases(x, expected):
    np.testing.assert_allclose(proj(x), expected, atol=1e-12)


def test_probability_simplex_projection_sums_to_one_and_is_batched():
    x = torch.tensor([[-1.0, -2.0, -3.0], [0.1, 0.1, 0.1], [5.0, 0.0, 4.5]], dtype=torch.float64)
    p = project_simplex(x)
    expected = [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3], [0.75, 0.0, 0.25]]
    torch.testing.assert_close(p, torch.tensor(expected, dtype=torch.float64))
    torch.testing.assert_close(project_capped_simplex(x[None])[0], project_capped_simplex(x))


def test_sparsemax_jacobian_is_closed_form():
    """∂ sparsemax/∂x = diag(s) − s·sᵀ/|S| (Martins & Astudillo 2016)."""
    x = torch.tensor([0.9, 0.1, 0.7, -0.4, 0.5], dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(project_simplex, x)
    s = (project_simplex(x) > 0).to(x.dtype)
    assert 1 < int(s.sum()) < len(x)
    torch.testing.assert_close(jac, torch.diag(s) - torch.outer(s, s) / s.sum())


vectors = st.lists(
    st.floats(-3, 3, allow_nan=False, allow_subnormal=False), min_size=1, max_size=8
).map(lambda v: torch.tensor(v, dtype=torch.float64))


@settings(max_examples=150, deadline=None)
@given(vectors)
def test_capped_projection_is_feasible_and_idempotent(x):
    p = project_capped_simplex(x)
    assert float(p.min()) >= 0 and float(p.sum()) <= 1 + 1e-12
    torch.testing.assert_close(project_capped_simplex(p), p, atol=1e-12, rtol=0)


@settings(max_examples=150, deadline=None)
@given(vectors, st.data())
def test_capped_projection_is_nearest(x, data):
    """‖x − P(x)‖ ≤ ‖x − z‖ and ⟨x − P(x), z − P(x)⟩ ≤ 0 for any feasible z."""
    raw = data.draw(st.lists(st.floats(0, 1), min_size=len(x), max_size=len(x)))
    cap = data.draw(st.floats(0, 1))
    z = torch.tensor(raw, dtype=torch.float64)
    z = z * cap / max(float(z.sum()), 1e-12) if float(z.sum()) > cap else z
    p = project_capped_simplex(x)
    assert float((x - p).norm()) <= float((x - z).norm()) + 1e-12
    assert float(torch.dot(x - p, z - p)) <= 1e-12

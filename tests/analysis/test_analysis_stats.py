"""Rank correlations, bootstrap intervals and group differences against scipy and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from dagnas.analysis.stats import (
    compare_groups,
    correlate,
    fisher_z,
    kendall_rows,
    spearman_rows,
)


@pytest.mark.parametrize("n", [25, 160])  # Kendall: sign matrices, then scipy per row
def test_vectorised_spearman_and_kendall_equal_scipy_with_ties(n):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 4, size=(30, n)).astype(float)  # many ties
    y = x + rng.normal(size=x.shape)
    y[:, :6] = 0.5  # ties in y too
    rho, tau = spearman_rows(x, y), kendall_rows(x, y)
    for i in range(len(x)):
        assert rho[i] == pytest.approx(sps.spearmanr(x[i], y[i]).statistic, abs=1e-12)
        assert tau[i] == pytest.approx(sps.kendalltau(x[i], y[i]).statistic, abs=1e-12)


def test_constant_rows_give_nan():
    x = np.ones((2, 5))
    y = np.arange(10.0).reshape(2, 5)
    assert np.isnan(spearman_rows(x, y)).all() and np.isnan(kendall_rows(x, y)).all()


def test_monotone_relation_has_correlation_one_and_a_degenerate_interval():
    x = np.arange(20.0)
    c = correlate("depth", x, np.exp(x / 5), n_boot=200)
    assert c.spearman == pytest.approx(1.0) and c.kendall == pytest.approx(1.0)
    assert c.spearman_ci == pytest.approx((1.0, 1.0)) and c.kendall_ci == pytest.approx((1.0, 1.0))


def test_bootstrap_interval_covers_a_known_correlation_and_narrows_with_n():
    # bivariate normal with Pearson r = 0.6: Spearman ρ = (6/π)·asin(r/2), Kendall τ = (2/π)·asin(r)
    r = 0.6
    rho_true, tau_true = 6 / math.pi * math.asin(r / 2), 2 / math.pi * math.asin(r)
    rng = np.random.default_rng(1)
    widths = []
    for n in (60, 600):
        z = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], size=n)
        c = correlate("m", z[:, 0], z[:, 1], n_boot=300, seed=2)
        assert c.spearman == pytest.approx(sps.spearmanr(z[:, 0], z[:, 1]).statistic)
        assert c.kendall_p == pytest.approx(sps.kendalltau(z[:, 0], z[:, 1]).pvalue)
        assert c.spearman_ci[0] < rho_true < c.spearman_ci[1]
        assert c.kendall_ci[0] < tau_true < c.kendall_ci[1]
        widths.append(c.spearman_ci[1] - c.spearman_ci[0])
    assert widths[1] < 0.5 * widths[0]  # ~1/√n


def test_bootstrap_is_seeded():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=30), rng.normal(size=30)
    assert correlate("m", x, y, seed=5) == correlate("m", x, y, seed=5)
    assert correlate("m", x, y, seed=5).spearman_ci != correlate("m", x, y, seed=6).spearman_ci


def test_constant_metric_or_too_few_points_are_nan():
    assert math.isnan(correlate("m", np.ones(10), np.arange(10.0)).spearman)
    assert math.isnan(correlate("m", np.arange(2.0), np.arange(2.0)).kendall)


def test_fisher_z_matches_the_closed_form():
    z, p = fisher_z(0.5, 53, 0.1, 28)
    expected = (math.atanh(0.5) - math.atanh(0.1)) / math.sqrt(1.06 / 50 + 1.06 / 25)
    assert z == pytest.approx(expected)
    assert p == pytest.approx(2 * (1 - sps.norm.cdf(expected)))
    assert math.isnan(fisher_z(0.5, 3, 0.1, 40)[0])


def test_opposite_correlations_differ_and_equal_ones_do_not():
    rng = np.random.default_rng(4)
    x = rng.normal(size=80)
    up, down = x + 0.3 * rng.normal(size=80), -x + 0.3 * rng.normal(size=80)
    d = compare_groups("depth", ("digits", x, up), ("mnist", x, down), n_boot=300)
    assert d.rho_a > 0.8 and d.rho_b < -0.8 and d.diff == pytest.approx(d.rho_a - d.rho_b)
    assert d.diff_ci[0] > 1.0 and d.p < 1e-6
    x2 = rng.normal(size=80)
    same = compare_groups("depth", ("a", x, up), ("b", x2, x2 + 0.3 * rng.normal(size=80)))
    assert same.diff_ci[0] < 0 < same.diff_ci[1] and same.p > 0.01

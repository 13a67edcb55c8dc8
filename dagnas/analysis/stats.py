"""Rank correlations of a metric with accuracy, their bootstrap intervals, and
whether a correlation differs between two groups (datasets).

- Point estimates and p-values: ``scipy.stats.spearmanr`` and
  ``scipy.stats.kendalltau`` (τ-b, which handles ties).
- Confidence intervals: percentile bootstrap over architectures — ``n_boot``
  resamples with replacement from a seeded generator, the statistic
  recomputed on each (vectorised here, equal to scipy's on every resample;
  resamples where a variable is constant are dropped).
- Difference between groups a and b: Δρ = ρ_a − ρ_b (Spearman) with a
  bootstrap interval, each group resampled independently, and a two-sided
  Fisher z test: z = (atanh ρ_a − atanh ρ_b) / √(1.06/(n_a−3) + 1.06/(n_b−3)),
  the variance 1.06/(n−3) of atanh of Spearman's ρ (Fieller, Hartley &
  Pearson 1957). Both treat the groups as independent samples; when the
  same architectures were trained on both datasets that ignores the pairing,
  which makes the test conservative for positively related estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

LEVEL = 0.95
#: resamples × n² entries of sign matrices computed at once by the Kendall bootstrap
KENDALL_CHUNK = 20_000_000
#: above this many points the O(n²) sign matrices lose to scipy's O(n log n) per resample
KENDALL_VECTOR_MAX = 150


@dataclass(frozen=True)
class Correlation:
    """Spearman ρ and Kendall τ-b of one metric with accuracy in one group."""

    metric: str
    n: int
    spearman: float
    spearman_p: float
    spearman_ci: tuple[float, float]
    kendall: float
    kendall_p: float
    kendall_ci: tuple[float, float]


@dataclass(frozen=True)
class Difference:
    """Spearman ρ of one metric in group ``a`` minus in group ``b``."""

    metric: str
    a: str
    b: str
    rho_a: float
    rho_b: float
    diff: float
    diff_ci: tuple[float, float]
    z: float
    p: float


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(B,) Spearman ρ of each row pair of ``x``, ``y`` (B, n); NaN where a row is constant."""
    rx = sps.rankdata(x, axis=1)
    ry = sps.rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=1) / den


def kendall_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(B,) Kendall τ-b of each row pair of ``x``, ``y`` (B, n); NaN where a row is constant.

    τ-b = Σ_{i<j} s^x_ij s^y_ij / √(Σ (s^x_ij)² · Σ (s^y_ij)²) with s_ij = sign(v_i − v_j),
    from sign matrices for up to ``KENDALL_VECTOR_MAX`` points, else scipy row by row.
    """
    b, n = x.shape
    if n > KENDALL_VECTOR_MAX:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.array([sps.kendalltau(xr, yr).statistic for xr, yr in zip(x, y, strict=True)])
    out = np.empty(b)
    step = max(1, KENDALL_CHUNK // max(n * n, 1))
    for lo in range(0, b, step):
        sx = np.sign(x[lo : lo + step, :, None] - x[lo : lo + step, None, :])  # (b, n, n)
        sy = np.sign(y[lo : lo + step, :, None] - y[lo : lo + step, None, :])
        den = np.sqrt((sx * sx).sum(axis=(1, 2)) * (sy * sy).sum(axis=(1, 2)))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lo : lo + step] = (sx * sy).sum(axis=(1, 2)) / den
    return out


def _interval(values: np.ndarray) -> tuple[float, float]:
    """The central ``LEVEL`` percentile interval of the finite ``values``."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return (math.nan, math.nan)
    tail = 100 * (1 - LEVEL) / 2
    lo, hi = np.percentile(finite, [tail, 100 - tail])
    return (float(lo), float(hi))


def _resample(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, n, size=(n_boot, n))


def correlate(
    metric: str, x: np.ndarray, y: np.ndarray, n_boot: int = 1000, seed: int = 0
) -> Correlation:
    """Spearman and Kendall correlation of ``x`` with ``y`` with bootstrap intervals.

    All fields are NaN when fewer than 3 points or either variable is constant.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    nan2 = (math.nan, math.nan)
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return Correlation(metric, len(x), math.nan, math.nan, nan2, math.nan, math.nan, nan2)
    rho, rho_p = sps.spearmanr(x, y)
    tau, tau_p = sps.kendalltau(x, y)
    idx = _resample(len(x), n_boot, np.random.default_rng(seed))
    return Correlation(
        metric,
        len(x),
        float(rho),
        float(rho_p),
        _interval(spearman_rows(x[idx], y[idx])),
        float(tau),
        float(tau_p),
        _interval(kendall_rows(x[idx], y[idx])),
    )


def fisher_z(rho_a: float, n_a: int, rho_b: float, n_b: int) -> tuple[float, float]:
    """(z, two-sided p) for ρ_a = ρ_b between independent samples (Spearman variance)."""
    if n_a <= 3 or n_b <= 3 or not (math.isfinite(rho_a) and math.isfinite(rho_b)):
        return (math.nan, math.nan)
    clip = 1 - 1e-12
    za, zb = math.atanh(max(-clip, min(clip, rho_a))), math.atanh(max(-clip, min(clip, rho_b)))
    z = (za - zb) / math.sqrt(1.06 / (n_a - 3) + 1.06 / (n_b - 3))
    return (z, float(2 * sps.norm.sf(abs(z))))


def compare_groups(
    metric: str,
    a: tuple[str, np.ndarray, np.ndarray],
    b: tuple[str, np.ndarray, np.ndarray],
    n_boot: int = 1000,
    seed: int = 0,
) -> Difference:
    """Does the Spearman ρ of ``metric`` with accuracy differ between groups a and b?

    ``a`` and ``b`` are ``(name, metric values, accuracies)``.
    """
    (name_a, xa, ya), (name_b, xb, yb) = a, b
    ra = correlate(metric, xa, ya, n_boot=0).spearman
    rb = correlate(metric, xb, yb, n_boot=0).spearman
    z, p = fisher_z(ra, len(xa), rb, len(xb))
    rng = np.random.default_rng(seed)
    ia, ib = _resample(len(xa), n_boot, rng), _resample(len(xb), n_boot, rng)
    xa, ya, xb, yb = (np.asarray(v, dtype=float) for v in (xa, ya, xb, yb))
    boot = spearman_rows(xa[ia], ya[ia]) - spearman_rows(xb[ib], yb[ib])
    ci = _interval(boot) if math.isfinite(ra - rb) else (math.nan, math.nan)
    return Difference(metric, name_a, name_b, ra, rb, ra - rb, ci, z, p)

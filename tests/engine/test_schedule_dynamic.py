"""DARTS-PRIME's dynamic schedule on synthetic gradient-norm sequences.

log_m(thr) moves by +1 (no α step) or −f (α step), so after T minibatches
with A α steps, thr_T = thr0·m^(T − (f+1)A) exactly, and
A/T = (1 − log_m(thr_T/thr0)/T)/(f + 1). thr follows F̄: it stays within
[min(0, γ_min − f), max(1, γ_max + 1)] in log_m units, γ = log_m(F̄/thr0).
"""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from dagnas.engine.schedules import Dynamic


def drive(s: Dynamic, fs: list[float]) -> list[bool]:
    """One minibatch per F: ask, then observe (as the search loop does)."""
    out = []
    for f in fs:
        due = s.arch_step_due()
        s.observe(f, due)
        out.append(due)
    return out


def test_constant_fbar_gives_one_arch_step_every_f_plus_1_minibatches():
    s = Dynamic(e=1.0)  # F̄ = F: constant from the first observation
    steps = drive(s, [0.5] * 400)
    # hand-traced start: F̄ = 0 at the 1st minibatch, steps at the 2nd and 3rd,
    # then thr climbs from 1.05^-19 back past 0.5 = 1.05^-14.2: the 9th steps
    assert [i for i, d in enumerate(steps[:20]) if d] == [1, 2, 8, 19]
    period = steps[8:]
    for start in range(0, len(period) - 11, 11):
        assert period[start : start + 11] == [True] + [False] * 10
    assert abs(sum(steps) / len(steps) - 1 / 11) < 3 / len(steps)


def test_defaults_follow_the_paper():
    o = Dynamic().options
    assert (o.e, o.thr0, o.m, o.f) == (0.2, 1.0, 1.05, 10)


def test_zero_fbar_never_steps():
    s = Dynamic()
    assert not any(drive(s, [0.0] * 50))
    assert math.isclose(s.thr, 1.05**50)


@settings(max_examples=60, deadline=None)
@given(
    log_f=st.lists(st.floats(-6, 4), min_size=50, max_size=400),
    e=st.floats(0.05, 1.0),
    f=st.sampled_from([1, 4, 10]),
)
def test_threshold_identity_and_ratio_band(log_f: list[float], e: float, f: int):
    s = Dynamic(e=e, f=f)
    fbars = []
    steps = []
    for lf in log_f:
        steps.append(s.arch_step_due())
        s.observe(math.exp(lf), steps[-1])
        fbars.append(s.fbar)
    t, a = len(steps), sum(steps)
    tau = math.log(s.thr) / math.log(1.05)
    assert math.isclose(tau, t - (f + 1) * a, abs_tol=1e-6)
    gammas = [math.log(x) / math.log(1.05) for x in fbars]
    lo, hi = min(0.0, min(gammas) - f), max(1.0, max(gammas) + 1)
    assert lo - 1e-6 <= tau <= hi + 1e-6
    assert abs(a / t - 1 / (f + 1)) <= max(-lo, hi) / ((f + 1) * t) + 1e-9


def test_state_round_trip_continues_identically():
    a, b = Dynamic(), Dynamic()
    fs = [0.3 + 0.01 * i for i in range(40)]
    drive(a, fs[:20])
    b.load_state_dict(a.state_dict())
    assert drive(a, fs[20:]) == drive(b, fs[20:])

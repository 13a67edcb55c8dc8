"""The density sampler: score and edge-density updates, resampling, state."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from dagnas.errors import DagnasError, SpecError
from dagnas.samplers import (
    SAMPLERS,
    DagConstraints,
    DensitySampler,
    IsoSet,
    enumerate_dags,
    make_sampler,
)

C5 = DagConstraints(vertices=5)


def test_registered() -> None:
    assert SAMPLERS.get("density") is DensitySampler
    assert isinstance(make_sampler("density", C5, seed=0, tau=0.5), DensitySampler)


def test_starts_uniform() -> None:
    p = DensitySampler(C5, seed=0).probabilities()
    assert p.shape == (98,)
    np.testing.assert_allclose(p, 1 / 98)


def test_score_rule_exact() -> None:
    sampler = DensitySampler(C5, seed=0, beta=0.5)
    blocks = sampler.sample(4)
    sampler.update(blocks, [4.0, 2.0, 1.0, 1.0])  # normalised to .5, .25, .125, .125
    want = [0.5 * math.log(4 * p) for p in (0.5, 0.25, 0.125, 0.125)]
    got = [sampler.scores[b] for b in blocks]
    np.testing.assert_allclose(got, want)
    sampler.update(blocks, [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose([sampler.scores[b] for b in blocks], [w / 2 for w in want])


def test_edge_density_rule_exact() -> None:
    sampler = DensitySampler(C5, seed=0, beta=0.5)
    blocks = sampler.sample(2)
    sampler.update(blocks, [0.75, 0.25])
    for a, edge in enumerate(sampler.edges):
        freq = 0.75 * (edge in blocks[0]) + 0.25 * (edge in blocks[1])
        assert sampler.rho[a] == pytest.approx(0.25 + 0.5 * freq)


def test_favoured_block_rises_and_survives() -> None:
    sampler = DensitySampler(C5, seed=1, tau=0.5)
    blocks = sampler.sample(6)
    weights = [0.75, 0.05, 0.05, 0.05, 0.05, 0.05]
    index = enumerate_dags(C5).index(blocks[0])
    before = sampler.probabilities()[index]
    for _ in range(3):
        out = sampler.resample(blocks, weights, keep=2)
        assert out[0] == blocks[0]
        assert len(set(out)) == 6
        blocks = out
    p = sampler.probabilities()
    assert p[index] > 5 * before
    assert p[index] == p.max()


def test_edge_model_lifts_similar_unseen_blocks() -> None:
    sampler = DensitySampler(C5, seed=0, beta=1.0)
    chain = ((0, 1), (1, 2), (2, 3), (3, 4))
    sampler.update([chain], [1.0])
    space = enumerate_dags(C5)
    p = sampler.probabilities()
    near = ((0, 1), (0, 2), (1, 2), (2, 3), (3, 4))  # the chain plus one edge
    far = ((0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (3, 4))  # shares only 0→1, 3→4
    assert p[space.index(near)] > p[space.index(far)]
    assert near not in sampler.scores and far not in sampler.scores


def test_duplicate_classes_pool_their_weight() -> None:
    sampler = DensitySampler(C5, seed=0, beta=1.0)
    a = ((0, 1), (0, 2), (1, 3), (2, 3), (3, 4))
    b = ((0, 1), (0, 2), (1, 4), (2, 4), (1, 3), (3, 4))
    sampler.update([a, a, b], [0.3, 0.3, 0.4])
    assert sampler.scores[a] == pytest.approx(math.log(3 * 0.6))


def test_resample_default_keep_and_option() -> None:
    sampler = DensitySampler(C5, seed=2)
    blocks = sampler.sample(6)
    w = [0.3, 0.2, 0.2, 0.1, 0.1, 0.1]
    out = sampler.resample(blocks, w)
    assert out[:3] == blocks[:3] and len(set(out)) == 6  # keep = k // 2
    kept_one = DensitySampler(C5, seed=2, keep=1)
    assert kept_one.default_keep(6) == 1
    with pytest.raises(SpecError, match="k=11"):
        DensitySampler(DagConstraints(vertices=4), seed=0).sample(11)


def test_state_dict_resumes_identically() -> None:
    a = DensitySampler(C5, seed=3, tau=0.7, beta=0.4)
    blocks = a.sample(5)
    a.resample(blocks, [0.4, 0.3, 0.1, 0.1, 0.1])
    state = json.loads(json.dumps(a.state_dict()))
    b = DensitySampler(C5, seed=0)
    b.load_state_dict(state)
    assert (b.tau, b.beta) == (0.7, 0.4)
    np.testing.assert_array_equal(a.probabilities(), b.probabilities())
    assert b.sample(6) == a.sample(6)
    assert b.sample(4, replace=True) == a.sample(4, replace=True)
    assert b.resample(blocks, [0.2] * 5) == a.resample(blocks, [0.2] * 5)


def test_same_seed_same_samples() -> None:
    assert DensitySampler(C5, seed=9).sample(8) == DensitySampler(C5, seed=9).sample(8)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"tau": 0}, "tau"),
        ({"tau": -1.0}, "tau"),
        ({"beta": 0}, "beta"),
        ({"beta": 1.5}, "beta"),
        ({"keep": -1}, "keep"),
        ({"edge_weight": -0.1}, "edge_weight"),
        ({"rho_clip": 0.5}, "rho_clip"),
    ],
)
def test_bad_options_name_field(kwargs: dict, field: str) -> None:
    with pytest.raises(SpecError, match=field):
        DensitySampler(C5, seed=0, **kwargs)


def test_bad_keep_in_resample() -> None:
    sampler = DensitySampler(C5, seed=0)
    blocks = sampler.sample(3)
    with pytest.raises(SpecError, match="keep"):
        sampler.resample(blocks, [0.4, 0.3, 0.3], keep=4)


def test_large_vertices_edge_model() -> None:
    c = DagConstraints(vertices=8, max_skip=3)
    sampler = DensitySampler(c, seed=0)
    blocks = sampler.sample(6)
    assert all(c.admits(b) for b in blocks)
    favourite = blocks[0]
    out = sampler.resample(blocks, [0.9, 0.02, 0.02, 0.02, 0.02, 0.02], keep=1)
    assert out[0] == favourite
    iso = IsoSet(8)
    assert all(iso.add(b) for b in out)
    on = [sampler.rho[a] for a, e in enumerate(sampler.edges) if e in favourite]
    off = [sampler.rho[a] for a, e in enumerate(sampler.edges) if e not in favourite]
    assert min(on) > 0.5 > max(off)
    assert sampler.scores == {}
    with pytest.raises(SpecError, match="enumerated"):
        sampler.probabilities()
    state = json.loads(json.dumps(sampler.state_dict()))
    other = DensitySampler(c, seed=5)
    other.load_state_dict(state)
    assert other.sample(3) == sampler.sample(3)


def test_update_refuses_bad_feedback() -> None:
    sampler = DensitySampler(C5, seed=0)
    with pytest.raises(DagnasError, match="weights"):
        sampler.update(sampler.sample(2), [0.0, 0.0])

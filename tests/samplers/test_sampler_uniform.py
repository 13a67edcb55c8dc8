"""The uniform sampler: exact uniformity, distinctness, errors, determinism, state."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from scipy.stats import chisquare

from dagnas.errors import DagnasError, SpecError
from dagnas.samplers import (
    SAMPLERS,
    DagConstraints,
    IsoSet,
    UniformSampler,
    canonical_block,
    enumerate_dags,
    make_sampler,
)
from dagnas.samplers.rejection import CountProposal


def _chi2_p(blocks: list[tuple], space: list[tuple]) -> float:
    counts = Counter(blocks)
    assert set(counts) <= set(space)
    return float(chisquare([counts.get(b, 0) for b in space]).pvalue)


@pytest.mark.parametrize(
    ("kwargs", "draws"),
    [
        ({"vertices": 4, "connected": False}, 52 * 60),
        ({"vertices": 5, "connected": False}, 584 * 30),
        ({"vertices": 5}, 98 * 60),
    ],
)
def test_enumerate_method_is_uniform(kwargs: dict, draws: int) -> None:
    c = DagConstraints(**kwargs)
    sampler = UniformSampler(c, seed=3)
    assert sampler.method == "enumerate"
    assert _chi2_p(sampler.sample(draws, replace=True), enumerate_dags(c)) > 0.001


@pytest.mark.parametrize(
    ("kwargs", "draws"),
    [
        ({"vertices": 4, "connected": False}, 52 * 40),
        ({"vertices": 5}, 98 * 25),
        ({"vertices": 5, "max_skip": 2, "connected": False}, 0),
    ],
)
def test_rejection_method_is_uniform(kwargs: dict, draws: int) -> None:
    c = DagConstraints(**kwargs)
    space = enumerate_dags(c)
    draws = draws or 25 * len(space)
    sampler = UniformSampler(c, seed=5, method="rejection")
    assert _chi2_p(sampler.sample(draws, replace=True), space) > 0.001


@pytest.mark.slow
def test_rejection_method_is_uniform_five_unconnected() -> None:
    c = DagConstraints(vertices=5, connected=False)
    sampler = UniformSampler(c, seed=7, method="rejection")
    assert _chi2_p(sampler.sample(584 * 15, replace=True), enumerate_dags(c)) > 0.001


def test_without_orbit_correction_it_is_not_uniform() -> None:
    """Control: uniform labelled proposals over-weight classes with many labellings."""
    c = DagConstraints(vertices=5)
    proposal = CountProposal(c)
    rng = UniformSampler(c, seed=0).rng
    drawn = []
    while len(drawn) < 98 * 25:
        block = proposal.draw(rng)
        if c.admits(block):
            drawn.append(canonical_block(block, c))
    assert _chi2_p(drawn, enumerate_dags(c)) < 1e-6


@pytest.mark.parametrize("method", ["enumerate", "rejection"])
def test_sample_is_distinct_and_admitted(method: str) -> None:
    c = DagConstraints(vertices=5, max_skip=3)
    blocks = UniformSampler(c, seed=1, method=method).sample(40)
    assert len(set(blocks)) == 40
    assert all(c.admits(b) and canonical_block(b, c) == b for b in blocks)


@pytest.mark.parametrize("method", ["enumerate", "rejection"])
def test_whole_space_then_too_many(method: str) -> None:
    c = DagConstraints(vertices=4)
    sampler = UniformSampler(c, seed=0, method=method)
    if method == "enumerate":
        assert sorted(sampler.sample(10)) == enumerate_dags(c)
        with pytest.raises(SpecError) as info:
            sampler.sample(11)
        assert "k=11" in str(info.value) and "10 distinct" in str(info.value)
    assert len(sampler.sample(25, replace=True)) == 25


@pytest.mark.parametrize("nv", [8, 10])
def test_large_vertices_use_rejection(nv: int) -> None:
    c = DagConstraints(vertices=nv, max_skip=4, max_edges=3 * nv)
    sampler = make_sampler("uniform", c, seed=2)
    assert sampler.method == "rejection"
    blocks = sampler.sample(10)
    assert all(c.admits(b) for b in blocks)
    iso = IsoSet(nv)
    assert all(iso.add(b) for b in blocks)
    assert blocks == make_sampler("uniform", c, seed=2).sample(10)


@pytest.mark.parametrize("method", ["enumerate", "rejection"])
def test_same_seed_same_samples(method: str) -> None:
    c = DagConstraints(vertices=5, connected=False)
    a = UniformSampler(c, seed=11, method=method)
    b = UniformSampler(c, seed=11, method=method)
    assert a.sample(20) == b.sample(20)
    assert a.sample(5, replace=True) == b.sample(5, replace=True)
    assert UniformSampler(c, seed=12, method=method).sample(20) != a.sample(20)


@pytest.mark.parametrize("method", ["enumerate", "rejection"])
def test_state_dict_resumes_identically(method: str) -> None:
    c = DagConstraints(vertices=5, max_skip=3)
    a = UniformSampler(c, seed=4, method=method)
    a.sample(7)
    state = json.loads(json.dumps(a.state_dict()))
    b = UniformSampler(c, seed=99, method=method)
    b.load_state_dict(state)
    assert b.sample(12) == a.sample(12)
    assert b.seed == 4


def test_load_state_refuses_other_space_or_sampler() -> None:
    a = UniformSampler(DagConstraints(vertices=5), seed=0)
    with pytest.raises(DagnasError, match="state is for"):
        UniformSampler(DagConstraints(vertices=4), seed=0).load_state_dict(a.state_dict())
    state = {**a.state_dict(), "sampler": "density"}
    with pytest.raises(DagnasError, match="density"):
        a.load_state_dict(state)


def test_resample_keeps_the_heaviest() -> None:
    c = DagConstraints(vertices=5)
    sampler = UniformSampler(c, seed=0)
    blocks = sampler.sample(6)
    out = sampler.resample(blocks, [0.05, 0.4, 0.05, 0.3, 0.1, 0.1], keep=2)
    assert out[:2] == [blocks[1], blocks[3]]
    assert len(set(out)) == 6
    assert len(sampler.resample(blocks, [1 / 6] * 6)) == 6


def test_bad_arguments() -> None:
    c = DagConstraints(vertices=4)
    with pytest.raises(SpecError, match="method"):
        UniformSampler(c, seed=0, method="exact")
    with pytest.raises(SpecError, match="seed"):
        UniformSampler(c, seed=-1)
    with pytest.raises(SpecError, match="k"):
        UniformSampler(c, seed=0).sample(-1)
    with pytest.raises(DagnasError, match="enumerate"):
        UniformSampler(DagConstraints(vertices=8), seed=0, method="enumerate")
    with pytest.raises(DagnasError, match="max_skip"):
        UniformSampler(DagConstraints(vertices=19), seed=0)
    assert UniformSampler(DagConstraints(vertices=19, max_skip=3), seed=0).sample(1)
    assert UniformSampler(c, seed=0).sample(0) == []


def test_update_validates_feedback() -> None:
    sampler = UniformSampler(DagConstraints(vertices=4), seed=0)
    blocks = sampler.sample(2)
    sampler.update(blocks, [0.5, 0.5])
    with pytest.raises(DagnasError, match="weights"):
        sampler.update(blocks, [1.0])
    with pytest.raises(DagnasError, match="weights"):
        sampler.update(blocks, [-1.0, 2.0])
    with pytest.raises(DagnasError, match="does not satisfy"):
        sampler.update([((0, 3),), blocks[0]], [0.5, 0.5])


def test_registry() -> None:
    assert "uniform" in SAMPLERS.names()
    assert SAMPLERS.get("uniform") is UniformSampler
    with pytest.raises(DagnasError, match="did you mean 'uniform'"):
        make_sampler("uniforn", DagConstraints(vertices=4), seed=0)


def test_rejection_gives_up_when_space_too_small(monkeypatch: pytest.MonkeyPatch) -> None:
    import dagnas.samplers.base as base

    monkeypatch.setattr(base, "PROPOSALS_FLOOR", 200)
    monkeypatch.setattr(base, "PROPOSALS_PER_BLOCK", 10)
    sampler = UniformSampler(DagConstraints(vertices=3), seed=0, method="rejection")
    with pytest.raises(DagnasError, match="gave up"):
        sampler.sample(3)  # the space holds only 2 classes


def test_all_classes_reachable_by_rejection() -> None:
    c = DagConstraints(vertices=4, connected=False)
    seen = set(UniformSampler(c, seed=0, method="rejection").sample(52))
    assert seen == set(enumerate_dags(c))

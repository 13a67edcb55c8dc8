"""Enumeration and counting of the deduplicated space, against brute force."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from dagnas.errors import DagnasError
from dagnas.samplers import (
    DagConstraints,
    IsoSet,
    canonical_block,
    enumerate_dags,
    estimate_space_size,
    multiplicity,
    space_size,
)
from dagnas.samplers.space import _lex_less


def _graph(block: tuple, nv: int) -> nx.DiGraph:
    g = nx.DiGraph()
    for v in range(nv):
        g.add_node(v, role="s" if v == 0 else "t" if v == nv - 1 else "h")
    g.add_edges_from(block)
    return g


def _degree_key(g: nx.DiGraph) -> tuple:
    nv = g.number_of_nodes()
    hidden = sorted((g.in_degree(v), g.out_degree(v)) for v in range(1, nv - 1))
    return g.number_of_edges(), g.out_degree(0), g.in_degree(nv - 1), tuple(hidden)


def brute_classes(c: DagConstraints) -> list[list[tuple]]:
    """Every admitted labelled block grouped into classes by ``nx.is_isomorphic``."""
    nv = c.vertices
    pairs = [(i, j) for i in range(nv) for j in range(i + 1, nv)]
    match = nx.algorithms.isomorphism.categorical_node_match("role", None)
    buckets: dict[tuple, list[tuple[nx.DiGraph, list[tuple]]]] = {}
    for bits in itertools.product((0, 1), repeat=len(pairs)):
        block = tuple(p for p, b in zip(pairs, bits, strict=True) if b)
        if not c.admits(block):
            continue
        g = _graph(block, nv)
        classes = buckets.setdefault(_degree_key(g), [])
        for rep, members in classes:
            if nx.is_isomorphic(g, rep, node_match=match):
                members.append(block)
                break
        else:
            classes.append((g, [block]))
    return [members for classes in buckets.values() for _, members in classes]


@pytest.mark.parametrize("connected", [False, True])
@pytest.mark.parametrize("nv", [2, 3, 4, 5])
def test_counts_match_brute_force(nv: int, connected: bool) -> None:
    c = DagConstraints(vertices=nv, connected=connected)
    classes = brute_classes(c)
    blocks = enumerate_dags(c)
    assert len(blocks) == len(classes) == space_size(c)
    assert blocks == sorted(min(members) for members in classes)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"vertices": 5, "max_skip": 1, "connected": False},
        {"vertices": 5, "max_skip": 2, "connected": False},
        {"vertices": 5, "max_skip": 2},
        {"vertices": 5, "max_skip": 3, "min_edges": 5},
        {"vertices": 5, "min_edges": 3, "max_edges": 6, "connected": False},
        {"vertices": 5, "max_edges": 5},
        {"vertices": 4, "min_edges": 4, "max_edges": 4, "connected": False},
        {"vertices": 5, "max_skip": 2, "min_edges": 4, "max_edges": 6, "connected": False},
    ],
)
def test_filtered_counts_match_brute_force(kwargs: dict) -> None:
    c = DagConstraints(**kwargs)
    classes = brute_classes(c)
    assert enumerate_dags(c) == sorted(min(members) for members in classes)


def test_multiplicity_is_class_size() -> None:
    c = DagConstraints(vertices=5, max_skip=2, connected=False)
    for members in brute_classes(c):
        for block in members:
            assert multiplicity(block, 5, 2) == len(members)
            assert canonical_block(block, c) == min(members)


@pytest.mark.parametrize(
    ("kwargs", "count"),
    [
        ({"vertices": 2, "connected": False}, 2),
        ({"vertices": 2}, 1),
        ({"vertices": 3, "connected": False}, 8),
        ({"vertices": 3}, 2),
        ({"vertices": 4, "connected": False}, 52),
        ({"vertices": 4}, 10),
        ({"vertices": 5, "connected": False}, 584),
        ({"vertices": 5}, 98),
        ({"vertices": 6, "connected": False}, 12446),
        ({"vertices": 6}, 1960),
    ],
)
def test_known_counts(kwargs: dict, count: int) -> None:
    assert space_size(DagConstraints(**kwargs)) == count


@pytest.mark.slow
def test_seven_vertices_connected() -> None:
    c = DagConstraints(vertices=7)
    blocks = enumerate_dags(c)
    assert len(blocks) == 80176
    rng = np.random.default_rng(0)
    for i in rng.choice(len(blocks), size=200, replace=False).tolist():
        assert canonical_block(blocks[i], c) == blocks[i]


def test_six_vertices_sum_of_multiplicities_is_labelled_count() -> None:
    c = DagConstraints(vertices=6, max_skip=3)
    labelled = 0
    edges = c.allowed_edges()
    for code in range(1 << len(edges)):
        labelled += c.admits(tuple(e for k, e in enumerate(edges) if code >> k & 1))
    blocks = enumerate_dags(c)
    assert sum(multiplicity(b, 6, 3) for b in blocks) == labelled
    assert all(canonical_block(b, c) == b for b in blocks)
    iso = IsoSet(6)
    assert all(iso.add(b) for b in blocks)  # no two isomorphic


def test_enumeration_is_deterministic_and_sorted() -> None:
    c = DagConstraints(vertices=5, connected=False)
    a = enumerate_dags(c)
    assert a == sorted(a) and a == enumerate_dags(c)
    a.pop()  # callers get a copy
    assert len(enumerate_dags(c)) == 584


def test_refuses_large_enumeration() -> None:
    with pytest.raises(DagnasError, match="sampler"):
        enumerate_dags(DagConstraints(vertices=8))
    with pytest.raises(DagnasError, match="estimate_space_size"):
        space_size(DagConstraints(vertices=8))


def test_lex_less_matches_tuple_order() -> None:
    edges = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    codes = np.arange(1 << len(edges), dtype=np.int64)
    a, b = np.meshgrid(codes, codes, indexing="ij")
    got = _lex_less(a.ravel(), b.ravel())

    def block(code: int) -> tuple:
        return tuple(e for k, e in enumerate(edges) if code >> k & 1)

    pairs = zip(a.ravel().tolist(), b.ravel().tolist(), strict=True)
    want = [block(x) < block(y) for x, y in pairs]
    assert got.tolist() == want


def test_estimate_matches_exact_size() -> None:
    c = DagConstraints(vertices=6)
    est = estimate_space_size(c, draws=3000, seed=1)
    assert abs(est.value - 1960) < 4 * est.stderr
    assert est.stderr < 0.1 * est.value


def test_estimate_works_beyond_enumeration() -> None:
    est = estimate_space_size(DagConstraints(vertices=9, max_skip=3), draws=300, seed=0)
    assert est.value > 0 and est.stderr > 0 and est.draws == 300


def test_isoset_keeps_roles() -> None:
    iso = IsoSet(4)
    assert iso.add(((0, 1), (1, 3), (0, 2)))
    assert not iso.add(((0, 2), (2, 3), (0, 1)))  # swap of the hidden vertices
    assert iso.add(((0, 1), (1, 3), (2, 3)))  # same shape reversed: roles differ
    assert len(iso) == 2
    assert iso.find(((0, 2), (2, 3), (1, 3))) == ((0, 1), (1, 3), (2, 3))

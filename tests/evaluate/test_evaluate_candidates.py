"""sample_architectures: seeded, distinct up to isomorphism, the space's derivation rule."""

from __future__ import annotations

import networkx as nx
import pytest

from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import reads_input, sample_architectures
from dagnas.graph import canonical_hash, same_architecture
from dagnas.spaces import builtin_spaces
from dagnas.spec import load_space, parse_spec
from dagnas.spec.lower import lower
from tests.analysis.synth import layered_archs


def test_same_seed_same_candidates_other_seed_others(tiny_cell_graph):
    a = sample_architectures(tiny_cell_graph, 5, seed=0)
    b = sample_architectures(tiny_cell_graph, 5, seed=0)
    c = sample_architectures(tiny_cell_graph, 5, seed=1)
    assert [canonical_hash(x) for x in a] == [canonical_hash(x) for x in b]
    assert [canonical_hash(x) for x in a] != [canonical_hash(x) for x in c]
    assert [x.graph["run"] for x in a] == [f"sample0:{i}" for i in range(5)]


def test_candidates_are_pairwise_non_isomorphic():
    archs = layered_archs(30, seed=2)
    assert len({canonical_hash(a) for a in archs}) == 30
    for i, a in enumerate(archs[:8]):
        assert not any(same_architecture(a, b) for b in archs[i + 1 : 8])


def test_darts_topk_keeps_k_non_none_edges_per_node_drawn_from_the_candidates(tiny_cell_graph):
    for arch in sample_architectures(tiny_cell_graph, 6, seed=4):
        for v, d in arch.nodes(data=True):
            searched = [e for e in arch.in_edges(v, data=True) if e[2].get("searched")]
            if d["role"] == "hidden":
                assert len(searched) == 2 and all(e[2]["op"] != "none" for e in searched)
        for u, v, d in arch.edges(data=True):
            if d.get("searched"):
                assert d["op"] in tiny_cell_graph.edges[u, v]["ops"]


def test_every_candidate_reads_its_input(tiny_dag_graph):
    archs = sample_architectures(tiny_dag_graph, 4, seed=0)
    assert all(reads_input(a) for a in archs)
    cut = archs[0].copy()
    for u, v in list(cut.in_edges("dag:out")):
        cut.edges[u, v]["op"] = "zero"
    assert not reads_input(cut)


def test_asking_for_more_than_the_space_holds_says_so():
    spec = parse_spec(
        "kind: dag\nname: two\nnodes:\n  - {name: x, role: input}\n  - {name: out, role: output}\n"
        "edges:\n  - {from: x, to: out, ops: [linear, linear_relu]}\n"
    )
    g = lower(spec, (3,), 2)
    assert len(sample_architectures(g, 2, seed=0)) == 2
    with pytest.raises(DagnasError, match="found only 2 distinct architectures of space 'two'"):
        sample_architectures(g, 3, seed=0)


def test_bad_count_and_unknown_kind_are_clear_errors(tiny_dag_graph):
    with pytest.raises(DagnasError, match="integer >= 0"):
        sample_architectures(tiny_dag_graph, -1)
    g = nx.DiGraph(kind="hypercube")
    with pytest.raises(DagnasError, match="cannot sample space kind 'hypercube'"):
        sample_architectures(g, 1)


def test_dense_candidates_are_distinct_blocks_of_the_constrained_space():
    g = lower(load_space(builtin_spaces()["dense_digits"]), (1, 8, 8), 10)  # 4 vertices: 10 DAGs
    archs = sample_architectures(g, 10, seed=0)
    assert len({canonical_hash(a) for a in archs}) == 10
    for a in archs:
        assert a.graph["kind"] == "dense_blocks" and reads_input(a)
        assert {op for _, _, op in a.edges(data="op")} == {"linear_relu"}
    with pytest.raises(DagnasError, match="stage s0 of space 'dense_digits' holds only 10"):
        sample_architectures(g, 11, seed=0)

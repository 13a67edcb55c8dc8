"""Tests for dagnas.graph: canonical hash, isomorphism, DAG metrics, active subgraph, JSON."""

from __future__ import annotations

import json
import random

import networkx as nx
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from dagnas.engine.components import DERIVE_RULES
from dagnas.engine.derive import block_architecture
from dagnas.errors import DagnasError
from dagnas.graph import (
    active_subgraph,
    canonical_hash,
    cells,
    dag_metrics,
    from_json_dict,
    levels,
    same_architecture,
    to_json_dict,
)
from dagnas.measure.params import graph_params
from dagnas.ops import is_zero
from dagnas.spec.lower import lower
from dagnas.versions import HASH_SCHEME
from tests.export.archs import DARTS_EDGES, assert_same_graph, chain_block, darts_arch, darts_cell
from tests.export.spaces import derived, space


def shuffled_copy(g: nx.DiGraph, seed: int) -> nx.DiGraph:
    """Same graph under new node ids, nodes and edges inserted in a random order."""
    rng = random.Random(seed)
    nodes = list(g.nodes(data=True))
    rng.shuffle(nodes)
    new_id = {n: f"v{i}" for i, (n, _) in enumerate(nodes)}
    h = nx.DiGraph(**g.graph)
    h.add_nodes_from((new_id[n], d) for n, d in nodes)
    edges = list(g.edges(data=True))
    rng.shuffle(edges)
    h.add_edges_from((new_id[u], new_id[v], d) for u, v, d in edges)
    return h


# --- canonical hash and isomorphism ------------------------------------------------


@pytest.mark.parametrize("build", [darts_cell, darts_arch, chain_block])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hash_equal_under_relabelling_and_permutation(build, seed) -> None:
    g = build()
    h = shuffled_copy(g, seed)
    assert canonical_hash(h) == canonical_hash(g)
    assert same_architecture(g, h)


def test_hash_ignores_alpha_and_graph_attrs() -> None:
    g, h = darts_cell(), darts_cell()
    h.edges["normal:0", "normal:2"]["alpha"] = 0.99
    h.graph["run"] = "other-run"
    assert canonical_hash(g) == canonical_hash(h)


def test_hash_differs_when_one_op_changes() -> None:
    edges = list(DARTS_EDGES)
    edges[3] = (3, 1, "sep_conv_3x3")
    g, h = darts_cell(), darts_cell(edges)
    assert canonical_hash(g) != canonical_hash(h)
    assert not same_architecture(g, h)


def test_hash_differs_when_an_edge_moves() -> None:
    edges = list(DARTS_EDGES)
    edges[4] = (4, 0, "dil_conv_3x3")  # was from input 1
    g, h = darts_cell(), darts_cell(edges)
    assert canonical_hash(g) != canonical_hash(h)
    assert not same_architecture(g, h)


def test_hash_keeps_edge_direction() -> None:
    # networkx's directed WL with edge_attr confuses these two (out-star vs path)
    star, path = nx.DiGraph(), nx.DiGraph()
    star.add_edges_from([("a", "b"), ("a", "c")], op="x")
    path.add_edges_from([("b", "a"), ("a", "c")], op="x")
    assert canonical_hash(star) != canonical_hash(path)
    assert not same_architecture(star, path)


def test_hash_tells_inputs_apart() -> None:
    # swapping which input feeds which edge changes the network (c_{k-2} vs c_{k-1})
    swapped = [(v, 1 - u if u < 2 else u, op) for v, u, op in DARTS_EDGES]
    assert canonical_hash(darts_cell()) != canonical_hash(darts_cell(swapped))


def test_hash_respects_cell_and_role() -> None:
    g, h = chain_block(), chain_block()
    nx.set_node_attributes(h, "other", "cell")
    assert canonical_hash(g) != canonical_hash(h)
    h = chain_block()
    h.nodes["b2"]["role"] = "output"
    assert canonical_hash(g) != canonical_hash(h)


# --- cells, levels, active subgraph ------------------------------------------------


def test_cells_split_by_cell_name() -> None:
    parts = cells(darts_arch())
    assert list(parts) == ["normal", "reduce"]
    assert all(p.number_of_nodes() == 7 and p.number_of_edges() == 12 for p in parts.values())


def test_levels_rejects_cycles() -> None:
    g = nx.DiGraph([("a", "b"), ("b", "a")])
    with pytest.raises(DagnasError, match="cycle"):
        levels(g)


def test_active_subgraph_drops_none_edges_and_dead_nodes() -> None:
    edges = [(v, u, "none" if v == 3 else op) for v, u, op in DARTS_EDGES]
    h = active_subgraph(darts_cell(edges))
    assert "normal:3" not in h  # both of its inputs are none
    assert all(op != "none" for _, _, op in h.edges(data="op"))
    assert {"normal:0", "normal:1", "normal:out"} <= set(h)
    assert h.graph["kind"] == "darts_cell"


def test_active_subgraph_keeps_inputs_and_output_of_an_empty_cell() -> None:
    edges = [(v, u, "none") for v, u, _ in DARTS_EDGES]
    h = active_subgraph(darts_cell(edges))
    assert set(h) == {"normal:0", "normal:1", "normal:out"}
    assert h.number_of_edges() == 0
    assert dag_metrics(darts_cell(edges))["paths"] == 0


# --- metrics ------------------------------------------------------------------------


def test_metrics_of_chain_block() -> None:
    m = dag_metrics(chain_block())
    assert m == {
        "depth": 4.0,
        "width": 1.0,
        "edges": 6.0,
        "nodes": 5.0,
        "density": 0.6,
        "skip_mean": 1.5,
        "skip_max": 3.0,
        "in_degree_mean": 1.5,
        "in_degree_max": 2.0,
        "out_degree_mean": 1.5,
        "out_degree_max": 2.0,
        "paths": 3.0,
    }


def test_metrics_of_darts_cell() -> None:
    m = dag_metrics(darts_cell())
    assert (m["depth"], m["width"], m["edges"], m["nodes"]) == (3, 2, 12, 7)
    assert m["density"] == pytest.approx(12 / 21)
    assert m["paths"] == 11
    assert (m["in_degree_mean"], m["in_degree_max"]) == (2.4, 4.0)


def test_metrics_of_whole_architecture_sum_paths() -> None:
    one, two = dag_metrics(darts_cell()), dag_metrics(darts_arch())
    assert two["paths"] == 2 * one["paths"]
    assert two["depth"] == one["depth"]


def test_skip_uses_levels_without_index() -> None:
    g = chain_block()
    for n in g:
        del g.nodes[n]["index"]
    assert dag_metrics(g)["skip_max"] == 3.0  # b1 (level 1) -> b4 (level 4)


@st.composite
def small_dags(draw: st.DrawFn) -> nx.DiGraph:
    """Random DAG over 2..7 nodes in index order; 1-2 inputs, the last node the output."""
    n = draw(st.integers(2, 7))
    n_in = draw(st.integers(1, min(2, n - 1)))
    g = nx.DiGraph()
    for i in range(n):
        role = "input" if i < n_in else "output" if i == n - 1 else "hidden"
        g.add_node(i, role=role, cell="c", index=i)
    for j in range(n_in, n):
        for i in range(j):
            op = draw(st.sampled_from([None, None, "conv", "skip", "none"]))
            if op is not None:
                g.add_edge(i, j, op=op)
    return g


def brute_force_paths(g: nx.DiGraph) -> list[list[int]]:
    """Every input→output path over active edges, enumerated."""
    act = nx.DiGraph([(u, v) for u, v, op in g.edges(data="op") if op != "none"])
    act.add_nodes_from(g)
    ins = [n for n, r in g.nodes(data="role") if r == "input"]
    out = [n for n, r in g.nodes(data="role") if r == "output"]
    return [p for s in ins for t in out for p in nx.all_simple_paths(act, s, t)]


@settings(max_examples=60, deadline=None)
@given(small_dags())
def test_paths_and_depth_match_brute_force(g: nx.DiGraph) -> None:
    m = dag_metrics(g)
    paths = brute_force_paths(g)
    assert m["paths"] == len(paths)
    assert m["depth"] == max((len(p) - 1 for p in paths), default=0)
    h = active_subgraph(g)
    if h.number_of_edges():
        assert m["depth"] == nx.dag_longest_path_length(h)
    on_paths = {e for p in paths for e in nx.utils.pairwise(p)}
    assert m["edges"] == h.number_of_edges() == len(on_paths)


@settings(max_examples=40, deadline=None)
@given(small_dags(), small_dags(), st.integers(0, 99))
def test_hash_agrees_with_isomorphism_on_random_dags(g: nx.DiGraph, h: nx.DiGraph, seed) -> None:
    assert canonical_hash(shuffled_copy(g, seed)) == canonical_hash(g)
    assert (canonical_hash(g) == canonical_hash(h)) == same_architecture(g, h)


# --- JSON -----------------------------------------------------------------------------


@pytest.mark.parametrize("build", [darts_cell, darts_arch, chain_block])
def test_json_dict_round_trip(build) -> None:
    g = build()
    d = json.loads(json.dumps(to_json_dict(g)))
    assert_same_graph(g, from_json_dict(d))
    assert_same_graph(g, nx.node_link_graph(d, edges="edges"))


def test_to_json_dict_does_not_alias_graph() -> None:
    g = darts_cell()
    d = to_json_dict(g)
    d["graph"]["macro"]["C"] = 99
    assert g.graph["macro"]["C"] == 4


@pytest.mark.parametrize(
    ("data", "what"),
    [
        ([], "JSON object"),
        ({"nodes": [], "directed": True}, "'edges'"),
        ({"nodes": [{"name": "a"}], "edges": []}, r"nodes\[0\]"),
        ({"nodes": [{"id": "a"}], "edges": [{"source": "a", "target": "b"}]}, "unknown node"),
        ({"nodes": [], "edges": [], "directed": False}, "directed"),
    ],
)
def test_from_json_dict_says_what_is_wrong(data, what) -> None:
    with pytest.raises(DagnasError, match=what):
        from_json_dict(data)


# --- identity: what the hash covers (scheme HASH_SCHEME) ---------------------------


def _mixing(g: nx.DiGraph) -> dict[str, torch.Tensor]:
    """Mixing weights, all nonzero: the first candidate that is not a zero op strongest."""
    return {
        d["key"]: torch.tensor(
            [0.01 if is_zero(op) else 1.0 - i / 10 for i, op in enumerate(d["ops"])]
        )
        for _, _, d in g.edges(data=True)
        if "ops" in d
    }


def test_hash_covers_ops_kept() -> None:
    # a support-rule architecture sums every op; the argmax one keeps one per edge
    g = lower(space("darts_digits"), (1, 8, 8), 10)
    one = DERIVE_RULES.get("argmax")()(g, _mixing(g))
    summed = DERIVE_RULES.get("support")()(g, _mixing(g))
    assert [d["op"] for *_, d in one.edges(data=True)] == [
        d["op"] for *_, d in summed.edges(data=True)
    ]
    assert graph_params(one) != graph_params(summed)
    assert canonical_hash(one) != canonical_hash(summed)
    assert not same_architecture(one, summed)


@pytest.mark.parametrize("field, value", [("channels", 12), ("layers", 5), ("stem_multiplier", 1)])
def test_hash_covers_macro_settings(field: str, value: object) -> None:
    base = derived(space("darts_digits"), 0, (1, 8, 8))
    changed = derived(space("darts_digits", **{field: value}), 0, (1, 8, 8))
    assert canonical_hash(base) != canonical_hash(changed)
    assert not same_architecture(base, changed)


def test_hash_ignores_search_only_settings_and_provenance() -> None:
    base = derived(space("darts_digits"), 0, (1, 8, 8))
    other = derived(space("darts_digits", node_norm=True), 0, (1, 8, 8))
    other.graph.update(space="other", run="other-run")
    assert canonical_hash(base) == canonical_hash(other)


def test_hash_covers_node_aggregate() -> None:
    g, h = chain_block(), chain_block()
    nx.set_node_attributes(h, "mean", "aggregate")
    assert canonical_hash(g) != canonical_hash(h)


def test_dense_block_hash_does_not_depend_on_input_width() -> None:
    spec = space("dense_digits")
    blocks = {"s0": [(0, 1), (1, 3), (0, 2), (2, 3)]}
    a, b = (block_architecture(lower(spec, shape, 10), blocks) for shape in [(1, 8, 8), (40,)])
    assert a.nodes["s0:v0"]["width"] != b.nodes["s0:v0"]["width"]
    assert canonical_hash(a) == canonical_hash(b)
    wider = block_architecture(lower(spec, (40,), 10), blocks)
    wider.graph["macro"]["stages"][0]["width"] = 128
    nx.set_node_attributes(wider, {f"s0:v{i}": 128 for i in (1, 2, 3)}, "width")
    assert canonical_hash(wider) != canonical_hash(a)


def test_hash_names_its_scheme() -> None:
    assert isinstance(HASH_SCHEME, int) and HASH_SCHEME >= 2

"""Small Architectures built by hand, shared by tests/test_graph.py and tests/export/."""

from __future__ import annotations

from typing import Any

import networkx as nx

# (target, source, op) for the 4 intermediate nodes of a DARTS-like cell
DARTS_EDGES: list[tuple[int, int, str]] = [
    (2, 0, "sep_conv_3x3"),
    (2, 1, "sep_conv_3x3"),
    (3, 0, "skip_connect"),
    (3, 1, "sep_conv_5x5"),
    (4, 1, "dil_conv_3x3"),
    (4, 2, "max_pool_3x3"),
    (5, 2, "skip_connect"),
    (5, 3, "sep_conv_3x3"),
]
CANDIDATES = ["none", "skip_connect", "max_pool_3x3", "sep_conv_3x3", "sep_conv_5x5"]


def graph_attrs(kind: str) -> dict[str, Any]:
    """Architecture-level attributes of a test architecture."""
    return {
        "kind": kind,
        "space": "test-space",
        "run": None,
        "input_shape": [3, 8, 8],
        "num_classes": 10,
        "macro": {"C": 4, "layers": 2, "reductions": [1]},
    }


def add_darts_cell(g: nx.DiGraph, cell: str, edges: list[tuple[int, int, str]]) -> None:
    """Add a 2-input, 4-intermediate-node cell with a concat output to ``g``."""
    for i in range(6):
        role = "input" if i < 2 else "hidden"
        g.add_node(f"{cell}:{i}", role=role, cell=cell, index=i)
    g.add_node(f"{cell}:out", role="output", cell=cell, index=6)
    for v, u, op in edges:
        weights = {c: 0.1 for c in CANDIDATES}
        weights[op] = 0.6
        g.add_edge(f"{cell}:{u}", f"{cell}:{v}", op=op, alpha=0.6, searched=True, weights=weights)
    for i in range(2, 6):
        g.add_edge(f"{cell}:{i}", f"{cell}:out", op="concat", alpha=1.0, searched=False)


def darts_cell(edges: list[tuple[int, int, str]] | None = None) -> nx.DiGraph:
    """One normal DARTS-like cell."""
    g = nx.DiGraph(**graph_attrs("darts_cell"))
    add_darts_cell(g, "normal", DARTS_EDGES if edges is None else edges)
    return g


def darts_arch() -> nx.DiGraph:
    """A normal and a reduce cell in one Architecture."""
    g = darts_cell()
    swap = {"skip_connect": "max_pool_3x3"}
    reduce_edges = [(v, u, swap.get(op, op)) for v, u, op in DARTS_EDGES]
    add_darts_cell(g, "reduce", reduce_edges)
    g.graph["nb201"] = False
    return g


def chain_block() -> nx.DiGraph:
    """A 5-vertex chain 0→1→2→3→4 with skips 0→2, 1→4 and an inactive 0→3."""
    g = nx.DiGraph(**graph_attrs("dense_blocks"))
    for i in range(5):
        role = "input" if i == 0 else "output" if i == 4 else "hidden"
        g.add_node(f"b{i}", role=role, cell="block", index=i, width=16)
    for i in range(4):
        g.add_edge(f"b{i}", f"b{i + 1}", op="linear", alpha=0.9, searched=True)
    g.add_edge("b0", "b2", op="skip", alpha=0.7, searched=True)
    g.add_edge("b1", "b4", op="skip", alpha=0.55, searched=True)
    g.add_edge("b0", "b3", op="none", alpha=0.8, searched=True)
    return g


def assert_same_graph(a: nx.DiGraph, b: nx.DiGraph) -> None:
    """Equal node ids, edges and all attributes (graph, node, edge)."""
    assert isinstance(b, nx.DiGraph) and b.is_directed()
    assert a.graph == b.graph
    assert dict(a.nodes(data=True)) == dict(b.nodes(data=True))
    assert {(u, v): d for u, v, d in a.edges(data=True)} == {
        (u, v): d for u, v, d in b.edges(data=True)
    }

"""Blocks, constraints and their validation."""

from __future__ import annotations

import networkx as nx
import pytest

from dagnas.errors import DagnasError, SpecError
from dagnas.samplers import (
    DagConstraints,
    block_from_json,
    block_to_json,
    from_networkx,
    is_connected,
    make_block,
    to_networkx,
)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"vertices": 1}, "vertices"),
        ({"vertices": 0}, "vertices"),
        ({"vertices": -3}, "vertices"),
        ({"vertices": "4"}, "vertices"),
        ({"vertices": True}, "vertices"),
        ({"vertices": 4, "max_skip": 0}, "max_skip"),
        ({"vertices": 4, "max_skip": -1}, "max_skip"),
        ({"vertices": 4, "min_edges": -1}, "min_edges"),
        ({"vertices": 4, "max_edges": -1}, "max_edges"),
        ({"vertices": 4, "min_edges": 5, "max_edges": 4}, "min_edges"),
        ({"vertices": 3, "min_edges": 4}, "min_edges"),
        ({"vertices": 4, "max_skip": 1, "min_edges": 4}, "min_edges"),
        ({"vertices": 4, "connected": "yes"}, "connected"),
    ],
)
def test_bad_constraint_names_field(kwargs: dict, field: str) -> None:
    with pytest.raises(SpecError) as info:
        DagConstraints(**kwargs)
    assert field in str(info.value)
    assert field in [where for where, _ in info.value.issues]


def test_min_above_possible_says_how_many() -> None:
    with pytest.raises(SpecError, match="only 3 edges are possible"):
        DagConstraints(vertices=4, max_skip=1, min_edges=4, connected=False)


def test_empty_space_says_what_to_relax() -> None:
    with pytest.raises(SpecError) as info:
        DagConstraints(vertices=5, max_edges=3)
    text = str(info.value)
    assert "constraints leave no DAG" in text
    assert "max_edges" in text and "connected=False" in text


def test_unconnected_zero_edges_is_fine() -> None:
    c = DagConstraints(vertices=4, max_edges=0, connected=False)
    assert c.admits(())
    assert c.edge_bounds == (0, 0)


def test_allowed_edges_respects_skip() -> None:
    c = DagConstraints(vertices=4, max_skip=2)
    assert c.allowed_edges() == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3)]
    assert c.edge_bounds == (0, 5)


def test_admits() -> None:
    c = DagConstraints(vertices=4, max_skip=2, min_edges=3, max_edges=4)
    assert c.admits(((0, 1), (1, 2), (2, 3)))
    assert not c.admits(((0, 1), (1, 3)))  # too few edges
    assert not c.admits(((0, 3), (0, 1), (1, 2), (2, 3)))  # skip 3 > 2
    assert not c.admits(((0, 1), (0, 2), (1, 3)))  # vertex 2 reaches no sink
    assert not c.admits(((1, 0), (1, 2), (2, 3)))  # backwards


def test_is_connected() -> None:
    assert is_connected(((0, 1),), 2)
    assert not is_connected((), 2)
    assert is_connected(((0, 1), (0, 2), (1, 3), (2, 3)), 4)
    assert not is_connected(((0, 1), (1, 3)), 4)  # vertex 2 isolated
    assert not is_connected(((0, 1), (2, 1), (1, 3)), 4)  # 2 not reachable from 0
    assert not is_connected(((0, 1), (1, 2), (1, 3)), 4)  # 2 does not reach 3


def test_constraints_round_trip() -> None:
    c = DagConstraints(vertices=6, max_skip=3, min_edges=5, max_edges=9, connected=False)
    assert DagConstraints.from_dict(c.to_dict()) == c
    assert hash(c) == hash(DagConstraints.from_dict(c.to_dict()))


def test_make_block_sorts_and_dedups() -> None:
    assert make_block([(2, 3), [0, 1], (2, 3)]) == ((0, 1), (2, 3))
    b = ((0, 1), (0, 2), (1, 2))
    assert block_from_json(block_to_json(b)) == b


def test_networkx_round_trip() -> None:
    block = ((0, 1), (0, 3), (1, 2), (2, 3))
    g = to_networkx(block, 5)
    assert sorted(g.nodes) == [0, 1, 2, 3, 4]
    assert g.nodes[0] == {"index": 0, "role": "source"}
    assert g.nodes[2]["role"] == "hidden" and g.nodes[4]["role"] == "sink"
    assert from_networkx(g) == block


def test_from_networkx_uses_index_and_refuses_backward_edges() -> None:
    g = nx.DiGraph()
    g.add_node("in", index=0)
    g.add_node("mid", index=1)
    g.add_node("out", index=2)
    g.add_edges_from([("in", "mid"), ("mid", "out")])
    assert from_networkx(g) == ((0, 1), (1, 2))
    g.add_edge("out", "in")
    with pytest.raises(DagnasError, match="lower to a higher"):
        from_networkx(g)

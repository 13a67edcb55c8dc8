"""Tests for dagnas.export.pyg."""

from __future__ import annotations

import networkx as nx
import pytest

pytest.importorskip("torch_geometric")  # optional dependency; its import takes seconds
import torch

from dagnas.errors import DagnasError
from dagnas.export import default_op_vocab, to_pyg
from tests.export.archs import darts_cell


def test_shapes_and_types(arch: nx.DiGraph) -> None:
    data = to_pyg(arch)
    vocab = default_op_vocab(arch)
    assert vocab[-2:] == ["concat", "sum"] and vocab[:-2] == sorted(vocab[:-2])
    assert data.num_nodes == 14
    assert data.x.shape == (14, 4) and data.x.dtype == torch.float32
    assert data.edge_index.shape == (2, 24) and data.edge_index.dtype == torch.long
    assert data.edge_attr.shape == (24, len(vocab))
    assert torch.equal(data.edge_attr.sum(1), torch.ones(24))


def test_edge_index_matches_graph(block: nx.DiGraph) -> None:
    data = to_pyg(block)
    ids = data.node_ids
    vocab = default_op_vocab(block)
    got = {}
    for k, (i, j) in enumerate(data.edge_index.t().tolist()):
        got[(ids[i], ids[j])] = vocab[int(data.edge_attr[k].argmax())]
    assert got == {(u, v): op for u, v, op in block.edges(data="op")}


def test_node_features(block: nx.DiGraph) -> None:
    data = to_pyg(block)
    assert data.node_ids == ["b0", "b1", "b2", "b3", "b4"]
    roles = data.x[:, :3].argmax(1).tolist()
    assert roles == [0, 1, 1, 1, 2]
    assert torch.allclose(data.x[:, 3], torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))


def test_node_order_is_deterministic(arch: nx.DiGraph) -> None:
    rev = nx.DiGraph(**arch.graph)
    rev.add_nodes_from(reversed(list(arch.nodes(data=True))))
    rev.add_edges_from(reversed(list(arch.edges(data=True))))
    a, b = to_pyg(arch), to_pyg(rev)
    assert a.node_ids == b.node_ids
    assert a.node_ids[:7] == [*(f"normal:{i}" for i in range(6)), "normal:out"]
    assert torch.equal(a.x, b.x) and torch.equal(a.edge_index, b.edge_index)
    assert torch.equal(a.edge_attr, b.edge_attr)


def test_fixed_vocab_and_unknown_op(cell: nx.DiGraph) -> None:
    vocab = ["concat", "dil_conv_3x3", "max_pool_3x3", "sep_conv_3x3", "sep_conv_5x5"]
    vocab += ["skip_connect", "none"]
    assert to_pyg(cell, op_vocab=vocab).edge_attr.shape == (12, 7)
    with pytest.raises(DagnasError, match="not in op_vocab"):
        to_pyg(cell, op_vocab=["concat"])


def test_graph_without_edges() -> None:
    g = darts_cell([])
    g.remove_edges_from(list(g.edges))
    data = to_pyg(g)
    assert data.edge_index.shape == (2, 0)
    assert data.edge_attr.shape == (0, 2)

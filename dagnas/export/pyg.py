"""Architecture → PyTorch Geometric ``Data``, for GNN accuracy predictors."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.extras import optional_module
from dagnas.graph import ROLES

if TYPE_CHECKING:
    from torch_geometric.data import Data

UNSEARCHED_OPS: tuple[str, ...] = ("concat", "sum")


def node_order(arch: nx.DiGraph) -> list[Hashable]:
    """Deterministic node order: sorted by (cell, index, id); nodes without index last."""

    def key(n: Hashable) -> tuple[str, float, str]:
        d = arch.nodes[n]
        index = d.get("index")
        return (str(d.get("cell") or ""), float("inf") if index is None else index, str(n))

    return sorted(arch, key=key)


def default_op_vocab(arch: nx.DiGraph) -> list[str]:
    """The ops present in ``arch``, sorted, then "concat" and "sum"."""
    ops = {str(op) for _, _, op in arch.edges(data="op")} - set(UNSEARCHED_OPS)
    return [*sorted(ops), *UNSEARCHED_OPS]


def to_pyg(arch: nx.DiGraph, op_vocab: list[str] | None = None) -> Data:
    """Encode ``arch`` as a ``torch_geometric.data.Data``.

    - ``x`` (N, 4) float: one-hot role (input, hidden, output), then the
      node's position within its cell in ``node_order``, scaled to [0, 1].
    - ``edge_index`` (2, E) long, ``edge_attr`` (E, len(op_vocab)) float one-hot op.
    - ``num_nodes``; ``node_ids`` (list of str) maps rows of ``x`` back to nodes.

    All edges are kept, "none" ones included (pass ``active_subgraph(arch)``
    to drop them). The default vocab depends on ``arch``: pass the space's op
    list so that features line up across architectures.
    """
    import torch

    Data = optional_module("torch_geometric.data", "pyg", "to_pyg").Data

    vocab = list(op_vocab) if op_vocab is not None else default_op_vocab(arch)
    op_col = {op: i for i, op in enumerate(vocab)}
    order = node_order(arch)
    row = {n: i for i, n in enumerate(order)}

    by_cell: dict[str, list[Hashable]] = {}
    for n in order:
        by_cell.setdefault(str(arch.nodes[n].get("cell") or ""), []).append(n)
    x = torch.zeros(len(order), len(ROLES) + 1)  # (N, 4)
    for members in by_cell.values():
        for i, n in enumerate(members):
            role = arch.nodes[n].get("role", "hidden")
            x[row[n], ROLES.index(role) if role in ROLES else 1] = 1.0
            x[row[n], len(ROLES)] = i / max(1, len(members) - 1)

    edges = sorted(arch.edges(data="op"), key=lambda e: (row[e[0]], row[e[1]]))
    edge_index = torch.tensor([[row[u] for u, _, _ in edges], [row[v] for _, v, _ in edges]])
    edge_index = edge_index.long().reshape(2, len(edges))  # (2, E)
    edge_attr = torch.zeros(len(edges), len(vocab))  # (E, V)
    for k, (u, v, op) in enumerate(edges):
        if op not in op_col:
            raise DagnasError(f"edge {u}->{v}: op {op!r} is not in op_vocab {vocab}")
        edge_attr[k, op_col[op]] = 1.0
    return Data(
        x=x,
        edge_index=edge_index,
        edge_attr=edge_attr,
        num_nodes=len(order),
        node_ids=[str(n) for n in order],
    )

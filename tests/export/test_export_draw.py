"""Tests for dagnas.export.draw."""

from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pytest

from dagnas.export import draw
from dagnas.export.draw import layout
from tests.export.archs import DARTS_EDGES, darts_cell

pytest.importorskip("matplotlib.backends.backend_agg")  # optional dependency

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 2000


@pytest.mark.parametrize("which", ["cell", "arch", "block"])
def test_draw_writes_a_png(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    g = request.getfixturevalue(which)
    path = draw(g, tmp_path / "g.png")
    assert_png(path)
    assert [p.name for p in tmp_path.iterdir()] == ["g.png"]


def test_draw_cell_without_active_edges(tmp_path: Path) -> None:
    g = darts_cell([(v, u, "none") for v, u, _ in DARTS_EDGES])
    g.remove_edges_from([e for e in g.edges if g.edges[e]["op"] == "concat"])
    assert_png(draw(g, tmp_path / "empty.png"))


def test_draw_empty_graph_and_roleless_graph(tmp_path: Path) -> None:
    assert draw(nx.DiGraph(), tmp_path / "e.png").read_bytes().startswith(PNG_MAGIC)
    assert_png(draw(nx.DiGraph([(1, 2), (2, 3)]), tmp_path / "r.png"))


def test_draw_does_not_import_pyplot(cell: nx.DiGraph, tmp_path: Path) -> None:
    had_pyplot = "matplotlib.pyplot" in sys.modules
    draw(cell, tmp_path / "g.png")
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_layout_puts_nodes_in_longest_path_levels(block: nx.DiGraph) -> None:
    pos = layout(block)
    assert [pos[f"b{i}"][0] for i in range(5)] == [0, 1, 2, 3, 4]
    pos = layout(darts_cell())
    assert pos["normal:0"][0] == pos["normal:1"][0] == 0
    assert pos["normal:out"][0] == 3

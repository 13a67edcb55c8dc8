"""Tests for dagnas.export.draw and dagnas.export.dot: readable by construction.

Readability is measured on the matplotlib drawing, in display coordinates,
from the artists themselves: node circles, label boxes, edge paths.
"""

from __future__ import annotations

import itertools
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import torch
from scipy.spatial import cKDTree

from dagnas.engine.derive import Argmax
from dagnas.evaluate.candidates import sample_architectures
from dagnas.export import draw
from dagnas.export.dot import MAX_WIDTH, MIN_WIDTH, picture, to_dot
from dagnas.export.draw import figure
from dagnas.ops import OPS
from dagnas.spaces import builtin_spaces
from dagnas.spec import load_space
from dagnas.spec.lower import lower
from tests.export.archs import DARTS_EDGES, chain_block, darts_cell

pytest.importorskip("matplotlib.backends.backend_agg")  # optional dependency

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TOL = 0.5  # pixels

# the normal cell a darts_digits run (20 steps) derived: 0→4 was drawn through node 2
DEFAULT_CELL = [
    (2, 0, "sep_conv_3x3"),
    (3, 0, "skip_connect"),
    (4, 0, "skip_connect"),
    (2, 1, "avg_pool_3x3"),
    (3, 2, "dil_conv_5x5"),
    (4, 3, "dil_conv_3x3"),
]

TWO_STAGES = """
kind: dense_blocks
name: two_stages
stages:
  - {blocks: 3, vertices: 4, width: 16}
  - {blocks: 3, vertices: 5, width: 16}
derive: {name: best_block}
"""


def assert_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG_MAGIC)
    assert len(data) > 2000


def _lowered(path: Path) -> nx.DiGraph:
    spec = load_space(path)
    shape = (64,) if spec.kind in ("dense_blocks", "dag") else (1, 8, 8)
    return lower(spec, shape, 10)


def _every_edge(g: nx.DiGraph) -> nx.DiGraph:
    """Argmax of one-hot weights on a live op per edge: every searched edge drawn, ops varied."""
    weights = {}
    for i, (_, _, d) in enumerate(sorted(g.edges(data=True), key=lambda e: str(e[2].get("key")))):
        if "ops" in d:
            live = [j for j, op in enumerate(d["ops"]) if not OPS.get(op).zero]
            weights[d["key"]] = torch.zeros(len(d["ops"]))
            weights[d["key"]][live[i % len(live)]] = 1.0
    return Argmax()(g, weights)


def shipped_archs() -> list[tuple[str, nx.DiGraph]]:
    """Sampled (one-hot, derived) archs of every shipped space, and every-edge archs."""
    archs = []
    for name, path in sorted(builtin_spaces().items()):
        g = _lowered(path)
        for i, a in enumerate(sample_architectures(g, 2, seed=3)):
            archs.append((f"{name}-sample{i}", a))
        if "choices" not in g.graph:
            archs.append((f"{name}-every-edge", _every_edge(g)))
    return archs


SHIPPED = shipped_archs()


def two_stage_arch(tmp_path: Path) -> nx.DiGraph:
    path = tmp_path / "two.yaml"
    path.write_text(TWO_STAGES)
    return sample_architectures(_lowered(path), 1, seed=0)[0]


# ---- geometry read back from a drawn figure --------------------------------------------


def _geometry(arch: nx.DiGraph, mixing: dict | None = None) -> dict:
    """Node circles (centre, radius), label boxes and edge polylines, in display pixels."""
    fig = figure(arch, mixing)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    nodes, labels, edges = {}, {}, {}
    for p in fig.axes[0].patches:
        gid = p.get_gid() or ""
        if gid.startswith("node:"):
            b = p.get_window_extent(renderer)
            nodes[gid[5:]] = ((b.x0 + b.x1) / 2, (b.y0 + b.y1) / 2, b.width / 2)
        elif gid.startswith("edge:"):
            path = p.get_path().transformed(p.get_transform())
            edges[gid[5:]] = _dense(np.concatenate(path.to_polygons(closed_only=False)))
    for t in fig.axes[0].texts:
        if (t.get_gid() or "").startswith("label:"):
            b = t.get_bbox_patch().get_window_extent(renderer)
            labels[t.get_gid()[6:]] = (b.x0, b.y0, b.x1, b.y1, t.get_text())
    return {"nodes": nodes, "labels": labels, "edges": edges}


def _dense(poly: np.ndarray, step: float = 1.0) -> np.ndarray:
    """Points along a polyline, at most ``step`` pixels apart."""
    out = [poly[:1]]
    for a, b in itertools.pairwise(poly):
        n = max(1, math.ceil(float(np.hypot(*(b - a))) / step))
        out.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.concatenate(out)


def _ends(key: str) -> tuple[str, str]:
    u, v = key.split("->")
    return u, v


def assert_readable(arch: nx.DiGraph) -> None:
    geo = _geometry(arch)
    nodes, labels, edges = geo["nodes"], geo["labels"], geo["edges"]
    drawn = {f"{a.u}->{a.v}" for g in picture(arch) for a in g.arrows}
    assert set(edges) == drawn
    assert set(nodes) == {str(n) for g in picture(arch) for n in g.nodes}
    for (ka, a), (kb, b) in itertools.combinations(labels.items(), 2):
        overlap = (
            min(a[2], b[2]) - max(a[0], b[0]) > TOL and min(a[3], b[3]) - max(a[1], b[1]) > TOL
        )
        assert not overlap, f"labels {a[4]!r} ({ka}) and {b[4]!r} ({kb}) overlap"
    for key, (x0, y0, x1, y1, text) in labels.items():
        for n, (cx, cy, r) in nodes.items():
            gap = math.hypot(cx - min(max(cx, x0), x1), cy - min(max(cy, y0), y1))
            assert gap > r - TOL, f"label {text!r} of {key} covers node {n}"
    for key, pts in edges.items():
        for n, (cx, cy, r) in nodes.items():
            if n not in _ends(key):
                near = float(np.min(np.hypot(pts[:, 0] - cx, pts[:, 1] - cy)))
                assert near > r, f"edge {key} passes through node {n} ({near:.1f} px < {r:.1f})"
        for other, (x0, y0, x1, y1, text) in labels.items():
            if other != key:
                inside = (pts[:, 0] > x0 + TOL) & (pts[:, 0] < x1 - TOL)
                inside &= (pts[:, 1] > y0 + TOL) & (pts[:, 1] < y1 - TOL)
                assert not inside.any(), f"edge {key} runs under the label {text!r} of {other}"
    trees = {key: cKDTree(pts) for key, pts in edges.items()}
    for (ka, a), (kb, _) in itertools.permutations(edges.items(), 2):
        dist, _ = trees[kb].query(a, distance_upper_bound=2.0)
        assert np.mean(dist < 1.5) < 0.25, f"edge {ka} is hidden by {kb}"


@pytest.mark.parametrize(
    ("name", "arch"),
    [
        pytest.param(n, a, id=n, marks=[pytest.mark.slow] if n.startswith("darts_cifar10") else [])
        for n, a in SHIPPED
    ],
)
def test_shipped_space_drawings_are_readable(name: str, arch: nx.DiGraph) -> None:
    assert_readable(arch)


def test_default_darts_digits_cell_is_readable() -> None:
    g = darts_cell(DEFAULT_CELL)
    g.remove_nodes_from(["normal:5"])
    assert_readable(g)
    geo = _geometry(g)
    (x2, y2, r2), path = geo["nodes"]["normal:2"], geo["edges"]["normal:0->normal:4"]
    assert np.min(np.hypot(path[:, 0] - x2, path[:, 1] - y2)) > 2 * r2  # 0→4 goes round 2


@pytest.mark.parametrize("which", ["cell", "arch", "block"])
def test_fixture_drawings_are_readable(which: str, request: pytest.FixtureRequest) -> None:
    assert_readable(request.getfixturevalue(which))


def test_dense_stages_are_drawn_in_order_and_chained(tmp_path: Path) -> None:
    arch = two_stage_arch(tmp_path)
    (group,) = picture(arch)
    assert list(group.parts) == ["s0", "s1"]
    chain = [a for a in group.arrows if a.style == "chain"]
    assert [(a.u, a.v) for a in chain] == [("s0:v3", "s1:v0")]
    assert max(group.layer[n] for n in group.parts["s0"]) < group.layer["s1:v0"]
    assert_readable(arch)
    xs = {n: x for n, (x, _, _) in _geometry(arch)["nodes"].items()}
    assert max(xs[n] for n in group.parts["s0"]) < min(xs[n] for n in group.parts["s1"])


def test_layers_are_longest_path_levels(block: nx.DiGraph) -> None:
    (group,) = picture(block)
    assert [group.layer[f"b{i}"] for i in range(5)] == [0, 1, 2, 3, 4]
    (group,) = picture(darts_cell())
    assert group.layer["normal:0"] == group.layer["normal:1"] == 0
    assert group.layer["normal:out"] == 3


def test_darts_inputs_and_output_are_named() -> None:
    (group,) = picture(darts_cell())
    names = {n: (node.text, node.sub) for n, node in group.nodes.items()}
    assert names["normal:0"] == ("c", "k-2") and names["normal:1"] == ("c", "k-1")
    assert names["normal:out"] == ("c", "k") and names["normal:3"] == ("3", None)
    nb201 = dict(SHIPPED)["nb201-sample0"]
    assert picture(nb201)[0].nodes["normal:0"].sub == "k-1"
    assert "$c_{k-2}$" in [t.get_text() for t in figure(darts_cell()).axes[0].texts]


def test_mixing_sets_edge_widths(cell: nx.DiGraph) -> None:
    mixing = {f"normal:{u}->{v}": {op: 1.0 if u == 0 else 0.0} for v, u, op in DARTS_EDGES}
    for v, u, _ in DARTS_EDGES:
        cell.edges[f"normal:{u}", f"normal:{v}"]["key"] = f"normal:{u}->{v}"
    widths = {f"{a.u}->{a.v}": a.width for a in picture(cell, mixing)[0].arrows}
    assert widths["normal:0->normal:2"] == MAX_WIDTH
    assert widths["normal:1->normal:2"] == MIN_WIDTH
    patches = {p.get_gid(): p.get_linewidth() for p in figure(cell, mixing).axes[0].patches}
    assert patches["edge:normal:0->normal:2"] == MAX_WIDTH


@pytest.mark.parametrize("which", ["cell", "arch", "block"])
def test_draw_writes_a_png_and_its_dot(
    which: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    g = request.getfixturevalue(which)
    path = draw(g, tmp_path / "g.png", engine="matplotlib")
    assert_png(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.png"]
    assert (tmp_path / "g.dot").read_text() == to_dot(g)


def test_draw_cell_without_active_edges(tmp_path: Path) -> None:
    g = darts_cell([(v, u, "none") for v, u, _ in DARTS_EDGES])
    g.remove_edges_from([e for e in g.edges if g.edges[e]["op"] == "concat"])
    assert_png(draw(g, tmp_path / "empty.png", engine="matplotlib"))


def test_draw_empty_graph_and_roleless_graph(tmp_path: Path) -> None:
    assert draw(nx.DiGraph(), tmp_path / "e.png").read_bytes().startswith(PNG_MAGIC)
    assert_png(draw(nx.DiGraph([(1, 2), (2, 3)]), tmp_path / "r.png"))


def test_draw_does_not_import_pyplot(cell: nx.DiGraph, tmp_path: Path) -> None:
    had_pyplot = "matplotlib.pyplot" in sys.modules
    draw(cell, tmp_path / "g.png", engine="matplotlib")
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_graphviz_engine_without_dot_names_the_fix(
    cell: nx.DiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(Exception, match="install graphviz"):
        draw(cell, tmp_path / "g.png", engine="graphviz")
    assert_png(draw(cell, tmp_path / "g.png"))  # auto falls back to matplotlib


# ---- DOT text ------------------------------------------------------------------------------

QUOTED = r'"((?:[^"\\]|\\.)*)"'
NODE = re.compile(rf"^\s*{QUOTED} \[label=<(.*)>, fillcolor=\"#[0-9a-f]{{6}}\"\];$")
EDGE = re.compile(rf"^\s*{QUOTED} -> {QUOTED} \[label={QUOTED}, style=(\w+), .*\];$")


def _unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], s)


def parse_dot(text: str) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """Nodes (id → HTML label) and edges ((u, v) → label) of to_dot's output."""
    assert text.startswith("digraph ") and text.rstrip().endswith("}")
    depth = 0
    for ch in re.sub(QUOTED, "", text):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    nodes, edges = {}, {}
    for line in text.splitlines():
        if m := NODE.match(line):
            nodes[_unquote(m[1])] = m[2]
        elif m := EDGE.match(line):
            edges[(_unquote(m[1]), _unquote(m[2]))] = _unquote(m[3])
    return nodes, edges


@pytest.mark.parametrize(("name", "arch"), SHIPPED[::3], ids=[n for n, _ in SHIPPED[::3]])
def test_dot_has_every_node_and_edge(name: str, arch: nx.DiGraph) -> None:
    nodes, edges = parse_dot(to_dot(arch))
    expected = {(a.u, a.v): a.label for g in picture(arch) for a in g.arrows}
    assert edges == {(str(u), str(v)): label for (u, v), label in expected.items()}
    assert set(nodes) == {str(n) for g in picture(arch) for n in g.nodes}


def test_dot_escapes_names_and_labels() -> None:
    g = nx.DiGraph()
    g.add_edge('a"b', "c\\d", op='say "hi"\\n')
    g.add_edge("c\\d", "<e&f>", op="x")
    nodes, edges = parse_dot(to_dot(g))
    assert edges == {('a"b', "c\\d"): 'say "hi"\\n', ("c\\d", "<e&f>"): "x"}
    assert nodes["<e&f>"] == "&lt;e&amp;f&gt;"
    assert "c<SUB>k-2</SUB>" in to_dot(darts_cell())


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz is not installed")
def test_graphviz_reads_the_dot_and_draws_it(tmp_path: Path) -> None:
    for _, arch in SHIPPED[::4]:
        done = subprocess.run(["dot", "-Tsvg"], input=to_dot(arch).encode(), capture_output=True)
        assert done.returncode == 0 and not done.stderr, done.stderr
    assert_png(draw(chain_block(), tmp_path / "g.png", engine="graphviz"))

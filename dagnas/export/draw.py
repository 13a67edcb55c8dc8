"""Draw an Architecture as a PNG: one subplot per cell, nodes in longest-path layers."""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.export.atomic import atomic_write_bytes
from dagnas.graph import cells, is_active, levels

if TYPE_CHECKING:
    from matplotlib.axes import Axes

COLOURS = {"input": "#8ecae6", "output": "#ffb703", "hidden": "#e9ecef"}
CURVE = 0.15  # arc3 curvature of edges, so parallel skips stay apart
LABEL_AT = 0.35  # where along an edge its op label sits; off-centre so crossings don't collide


def _short(node: Hashable) -> str:
    """Node label without its cell prefix ("normal:2" → "2")."""
    return str(node).rsplit(":", 1)[-1]


def layout(cell: nx.DiGraph) -> dict[Hashable, tuple[float, float]]:
    """Positions: x = longest-path level over active edges, y spreads a level's nodes."""
    active = nx.DiGraph()
    active.add_nodes_from(cell)
    active.add_edges_from((u, v) for u, v, op in cell.edges(data="op") if is_active(op))
    try:
        level = levels(active)
    except DagnasError:  # a cycle: lay the nodes out in one column rather than fail
        level = dict.fromkeys(cell, 0)
    columns: dict[int, list[Hashable]] = {}
    for n in cell:
        columns.setdefault(level[n], []).append(n)
    pos: dict[Hashable, tuple[float, float]] = {}
    for x, nodes in columns.items():
        nodes.sort(key=lambda n: (cell.nodes[n].get("index", float("inf")), str(n)))
        for i, n in enumerate(nodes):
            pos[n] = (float(x), (len(nodes) - 1) / 2 - i)
    return pos


def _on_curve(p0: tuple[float, float], p2: tuple[float, float], t: float) -> tuple[float, float]:
    """Point at ``t`` on the arc3 curve from ``p0`` to ``p2`` (data-space approximation)."""
    (x0, y0), (x2, y2) = p0, p2
    cx = (x0 + x2) / 2 + CURVE * (y2 - y0)
    cy = (y0 + y2) / 2 - CURVE * (x2 - x0)
    a, b, c = (1 - t) ** 2, 2 * (1 - t) * t, t**2
    return a * x0 + b * cx + c * x2, a * y0 + b * cy + c * y2


def _draw_cell(ax: Axes, name: str, cell: nx.DiGraph) -> None:
    """Draw one cell on ``ax``; inactive edges are left out."""
    pos = layout(cell)
    edges = [(u, v, d) for u, v, d in cell.edges(data=True) if is_active(d.get("op"))]
    for u, v, d in edges:
        (x1, y1), (x2, y2) = pos[u], pos[v]
        searched = d.get("searched", True)
        ax.annotate(
            "",
            xy=(x2, y2),
            xytext=(x1, y1),
            arrowprops={
                "arrowstyle": "-|>",
                "color": "#333333" if searched else "#999999",
                "linestyle": "-" if searched else "--",
                "connectionstyle": f"arc3,rad={CURVE}",
                "shrinkA": 14,
                "shrinkB": 14,
            },
        )
        ax.text(
            *_on_curve((x1, y1), (x2, y2), LABEL_AT),
            str(d.get("op", "")),
            fontsize=7,
            ha="center",
            va="center",
            color="#000000" if searched else "#777777",
            style="normal" if searched else "italic",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8},
        )
    for n, (x, y) in pos.items():
        colour = COLOURS.get(cell.nodes[n].get("role", "hidden"), COLOURS["hidden"])
        ax.scatter([x], [y], s=500, c=colour, edgecolors="#333333", zorder=3)
        ax.text(x, y, _short(n), ha="center", va="center", fontsize=8, zorder=4)
    title = name or "architecture"
    ax.set_title(title if edges else f"{title} (no active edges)", fontsize=10)
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.set_axis_off()


def draw(arch: nx.DiGraph, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write a PNG of ``arch``: one subplot per cell, inputs blue, outputs orange.

    Edges are labelled with their op; unsearched edges (concat/sum) are dashed
    and grey; "none"/"zero" edges are not drawn. Uses matplotlib's Agg canvas
    directly (no pyplot, no display). Returns ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = cells(arch) or {"": nx.DiGraph()}
    sizes = []
    for cell in groups.values():
        per_column = Counter(x for x, _ in layout(cell).values())
        n_rows = max(per_column.values(), default=1)
        sizes.append((max(3.0, 1.8 * len(per_column)), max(2.5, n_rows + 1.0)))
    fig = Figure(figsize=(sum(w for w, _ in sizes), max(h for _, h in sizes)))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(groups), squeeze=False, width_ratios=[w for w, _ in sizes])[0]
    for ax, (name, cell) in zip(axes, groups.items(), strict=True):
        _draw_cell(ax, name, cell)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return atomic_write_bytes(path, buf.getvalue())

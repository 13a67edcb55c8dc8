"""Draw an Architecture: ``{stem}.dot`` always, ``{stem}.png`` by graphviz or matplotlib.

The picture's content (named inputs ``c_{k-2}``, ``c_{k-1}``, op labels,
styles, α-weighted widths, dense stages in order) is decided in
:mod:`dagnas.export.dot`. graphviz's ``dot`` program renders the DOT text
when it is on PATH; otherwise matplotlib draws the same picture with the
layered layout of :mod:`dagnas.export.layered`, where labels sit mid-edge and
never overlap one another or a node, and no edge passes through a node it
does not touch. Cells are stacked top to bottom, each laid out left to right.
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import subprocess
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.export.dot import COLOURS, EDGE_COLOURS, Group, Mixing, Node, picture, to_dot
from dagnas.export.layered import Box, Geometry, Point, layered_layout
from dagnas.io import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.backend_bases import RendererBase
    from matplotlib.figure import Figure

log = logging.getLogger(__name__)

NODE_FONT, LABEL_FONT, TITLE_FONT = 9.0, 8.0, 10.0  # points
LABEL_PAD = 0.25  # label box padding, in units of the label font size
MARGIN, TITLE_H, GROUP_GAP = 0.15, 0.3, 0.35  # inches
HEAD_LEN, HEAD_HALF = 0.09, 0.035  # arrowhead, inches
GRAPHVIZ_TIMEOUT_S = 60
#: Beyond this many edges the matplotlib layout takes minutes (measured: 53 edges
#: 6 s, 152 edges 270 s), so ``engine="auto"`` leaves such a graph to its DOT text.
MATPLOTLIB_MAX_EDGES = 100

Engine = Literal["auto", "graphviz", "matplotlib"]


def draw(
    arch: nx.DiGraph,
    path: str | os.PathLike[str],
    dpi: int = 100,
    mixing: Mixing | None = None,
    engine: Engine = "auto",
) -> Path | None:
    """Write a PNG of ``arch`` at ``path`` and its DOT text beside it (suffix ``.dot``).

    ``engine="auto"`` renders with graphviz's ``dot`` when it is on PATH and
    with matplotlib (Agg canvas, no pyplot) otherwise, unless the graph has more
    than :data:`MATPLOTLIB_MAX_EDGES` edges: then it writes no PNG (a warning
    says so) and returns None. ``mixing`` (edge key → op → weight) makes
    searched edges as thick as their weight. Returns ``path``.
    """
    text = to_dot(arch, mixing)
    dot = atomic_write_text(Path(path).with_suffix(".dot"), text)
    program = shutil.which("dot") if engine != "matplotlib" else None
    if engine == "graphviz" and program is None:
        raise DagnasError(
            "engine='graphviz' needs graphviz's `dot` program on PATH;"
            " install graphviz (e.g. apt-get install graphviz) or use engine='matplotlib'"
        )
    png = _graphviz_png(program, text, dpi) if program else None
    edges = arch.number_of_edges()
    if png is None and engine == "auto" and edges > MATPLOTLIB_MAX_EDGES:
        log.warning(
            "%s not drawn: %d edges take matplotlib's layout minutes; %s holds the graph"
            " (graphviz renders it: dot -Tpng)",
            path,
            edges,
            dot,
        )
        return None
    if png is None:
        buf = io.BytesIO()
        figure(arch, mixing).savefig(buf, format="png", dpi=dpi)
        png = buf.getvalue()
    return atomic_write_bytes(path, png)


def _graphviz_png(program: str, text: str, dpi: int) -> bytes | None:
    """``dot -Tpng`` of ``text``; None (and a warning) if graphviz fails."""
    try:
        done = subprocess.run(
            [program, "-Tpng", f"-Gdpi={dpi}"],
            input=text.encode(),
            capture_output=True,
            timeout=GRAPHVIZ_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        log.warning("graphviz failed (%s); drawing with matplotlib instead", e)
        return None
    if done.returncode != 0 or not done.stdout:
        log.warning("graphviz failed: %s; drawing with matplotlib", done.stderr.decode()[-500:])
        return None
    return done.stdout


def figure(arch: nx.DiGraph, mixing: Mixing | None = None) -> Figure:
    """The matplotlib drawing of ``arch`` (on an Agg canvas), one inch per data unit.

    Artists carry ids for tests and tools: ``node:<id>`` (circles),
    ``edge:<u>-><v>`` (edge paths) and ``label:<u>-><v>`` (label texts).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure()
    renderer = FigureCanvasAgg(fig).get_renderer()
    groups = picture(arch, mixing)
    placed = [_geometry(g, renderer, fig.dpi) for g in groups]
    width = max((p.width for p in placed), default=1.0)
    tops, top = [], 0.0
    for p in placed:
        tops.append(top + TITLE_H)
        top += TITLE_H + p.height + GROUP_GAP
    height = max(top - GROUP_GAP, TITLE_H)
    fig.set_size_inches(width + 2 * MARGIN, height + 2 * MARGIN)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_xlim(-MARGIN, width + MARGIN)
    ax.set_ylim(height + MARGIN, -MARGIN)
    ax.set_axis_off()
    for group, p, y0 in zip(groups, placed, tops, strict=True):
        _draw_group(ax, group, p, y0)
    if not groups:
        ax.text(width / 2, height / 2, "(empty architecture)", ha="center", va="center")
    return fig


def _geometry(group: Group, renderer: RendererBase, dpi: float) -> Geometry:
    """Lay ``group`` out with label and node sizes measured by ``renderer``, in inches."""
    from matplotlib.font_manager import FontProperties

    def measure(text: str, size: float, math_text: bool = False) -> tuple[float, float]:
        w, h, _ = renderer.get_text_width_height_descent(
            text, FontProperties(size=size), ismath=math_text
        )
        return w / dpi, h / dpi

    line_h = measure("Ag|_", LABEL_FONT)[1]
    pad = 2 * LABEL_PAD * LABEL_FONT / 72
    labels = {}
    for a in group.arrows:
        if a.label:
            labels[(a.u, a.v)] = (measure(a.label, LABEL_FONT)[0] + pad, line_h + pad)
    widest = max((measure(_text(n), NODE_FONT, True)[0] for n in group.nodes.values()), default=0)
    diameter = max(0.38, widest + 0.12)
    sizes = dict.fromkeys(group.nodes, (diameter, diameter))
    edges = [(a.u, a.v) for a in group.arrows]
    return layered_layout(group.layer, edges, sizes, labels)


def _text(node: Node) -> str:
    """The node's label as matplotlib mathtext when it has a subscript."""
    return node.text if node.sub is None else f"${node.text}_{{{node.sub}}}$"


def _draw_group(ax: Axes, group: Group, p: Geometry, y0: float) -> None:
    """Draw one laid-out group with its top at ``y0``."""
    from matplotlib.patches import Circle

    for a in group.arrows:
        _draw_arrow(ax, a.u, a.v, a.style, a.width, [(x, y + y0) for x, y in p.routes[(a.u, a.v)]])
        box = p.labels[(a.u, a.v)]
        if a.label:
            _draw_label(ax, f"{a.u}->{a.v}", a.label, a.style, Box(box.x, box.y + y0, box.w, box.h))
    for n, node in group.nodes.items():
        b = p.nodes[n]
        colour = COLOURS.get(node.role, COLOURS["hidden"])
        circle = Circle((b.x, b.y + y0), b.w / 2, fc=colour, ec="#333333", lw=1.0, zorder=3)
        circle.set_gid(f"node:{n}")
        ax.add_patch(circle)
        ax.text(b.x, b.y + y0, _text(node), ha="center", va="center", fontsize=NODE_FONT, zorder=4)
    for name, ids in group.parts.items():
        if name and ids:
            xs = [p.nodes[n].x for n in ids]
            ax.text((min(xs) + max(xs)) / 2, y0 - TITLE_H / 2, name, ha="center", va="center",
                    fontsize=TITLE_FONT, fontweight="bold")  # fmt: skip


def _draw_label(ax: Axes, gid: str, label: str, style: str, box: Box) -> None:
    text = ax.text(
        box.x,
        box.y,
        label,
        ha="center",
        va="center",
        fontsize=LABEL_FONT,
        color="#000000" if style == "searched" else "#666666",
        style="normal" if style == "searched" else "italic",
        zorder=2,
        bbox={"boxstyle": f"square,pad={LABEL_PAD}", "fc": "white", "ec": "none"},
    )
    text.set_gid(f"label:{gid}")


def _draw_arrow(
    ax: Axes, u: Hashable, v: Hashable, style: str, width: float, pts: list[Point]
) -> None:
    """The edge's path, ending at the base of an arrowhead whose tip is the last point."""
    from matplotlib.patches import PathPatch, Polygon
    from matplotlib.path import Path as MplPath

    (cx, cy), (tx, ty) = pts[-2], pts[-1]
    norm = math.hypot(tx - cx, ty - cy) or 1.0
    dx, dy = (tx - cx) / norm, (ty - cy) / norm
    bx, by = tx - HEAD_LEN * dx, ty - HEAD_LEN * dy
    line = [*pts[:-2], (cx - HEAD_LEN * dx, cy - HEAD_LEN * dy), (bx, by)]
    codes = [MplPath.MOVETO] + [MplPath.CURVE4] * (len(line) - 1)
    colour = EDGE_COLOURS[style]
    patch = PathPatch(
        MplPath(line, codes),
        fill=False,
        ec=colour,
        lw=width,
        ls="--" if style == "fixed" else "-",
        capstyle="butt",
        zorder=1,
    )
    patch.set_gid(f"edge:{u}->{v}")
    ax.add_patch(patch)
    half = HEAD_HALF + width / 144  # at least as wide as the line
    head = [(tx, ty), (bx - half * dy, by + half * dx), (bx + half * dy, by - half * dx)]
    ax.add_patch(Polygon(head, closed=True, fc=colour, ec="none", zorder=1))

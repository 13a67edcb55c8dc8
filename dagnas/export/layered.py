"""Layered drawing geometry (Sugiyama): columns, orders, coordinates, edge routes.

Nodes sit on the even columns (``2 * layer``); an edge ``u → v`` owns one slot
on every column between its ends, and the slot on the odd column nearest
its middle holds its label. A column is as wide as its widest slot; inside a
column an edge runs horizontally through its own slot, slots are stacked
without overlap, and between columns an edge is a cubic curve whose x only
grows. So, by construction, no label overlaps another label or a node, and
no edge passes through a node or a label it does not own: edges can meet
only in the gaps between columns, where nothing else is drawn.

Units are whatever the caller's sizes are in (draw.py uses inches); y grows
downwards.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

Edge = tuple[Hashable, Hashable]
Point = tuple[float, float]
Size = tuple[float, float]
Slot = tuple[str, Hashable, int]  # ("node", n, rank) or ("edge", (u, v), rank)

GAP_X = 0.32  # least gap between columns
SLOPE, MAX_GAP = 0.45, 1.0  # a gap is at least SLOPE x the steepest rise across it, at most MAX_GAP
GAP_Y = 0.14  # between slots of a column
TRACK = 0.08  # height of an edge's slot without a label
MAX_PORT_ANGLE = 1.0  # radians: edges leave/enter a node spread over ±this
SWEEPS, RESTARTS = 8, 6  # crossing reduction: sweeps per start, starts
ROUNDS = 30  # coordinate-straightening rounds


@dataclass(frozen=True)
class Box:
    """An axis-aligned box by centre and size."""

    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Geometry:
    """Where everything goes: node and label boxes, and each edge's route.

    ``routes[e]`` lists cubic Bézier points ``p0, c1, c2, p1, c1, c2, p2, ...``
    from a port on the source's circle to a port on the target's circle.
    """

    nodes: dict[Hashable, Box]
    labels: dict[Edge, Box]
    routes: dict[Edge, list[Point]]
    width: float
    height: float


def layered_layout(
    layer: Mapping[Hashable, int],
    edges: Sequence[Edge],
    node_size: Mapping[Hashable, Size],
    label_size: Mapping[Edge, Size],
) -> Geometry:
    """Lay out nodes (in ``layer``'s order) with ``layer[u] < layer[v]`` on every edge.

    Nodes are drawn as circles of diameter ``node_size[n][0]``; an edge's label
    box has size ``label_size.get(e, (0, 0))``.
    """
    columns, chains = _slots(layer, edges)
    size = {("node", n, 2 * lv): node_size[n] for n, lv in layer.items()}
    size.update(_sizes(chains, label_size))
    preds: dict[Slot, list[Slot]] = {s: [] for col in columns for s in col}
    succs: dict[Slot, list[Slot]] = {s: [] for col in columns for s in col}
    for chain in chains.values():
        for a, b in itertools.pairwise(chain):
            succs[a].append(b)
            preds[b].append(a)
    _order(columns, preds, succs)
    widths = [max((size[s][0] for s in col), default=0.0) for col in columns]
    ys = _column_y(columns, size, preds, succs)
    xs = _column_x(columns, widths, ys, succs)
    nodes = {s[1]: Box(xs[s[2]], ys[s], *size[s]) for col in columns for s in col if s[0] == "node"}
    labels = {}
    for e, chain in chains.items():
        s = chain[_label_at(chain)]
        labels[e] = Box(xs[s[2]], ys[s], *size[s])
    routes = _routes(chains, nodes, xs, widths, ys)
    height = max((ys[s] + size[s][1] / 2 for s in ys), default=0.0)
    width = xs[-1] + widths[-1] / 2 if xs else 0.0
    return Geometry(nodes, labels, routes, width, height)


def _label_at(chain: list[Slot]) -> int:
    """Index in ``chain`` of the label's slot: the odd column nearest the middle."""
    lo, hi = chain[0][2], chain[-1][2]
    mid = (lo + hi) // 2
    return (mid if mid % 2 else mid - 1) - lo


def _slots(
    layer: Mapping[Hashable, int], edges: Sequence[Edge]
) -> tuple[list[list[Slot]], dict[Edge, list[Slot]]]:
    """Columns of slots in a first order, and each edge's chain of slots, ends included."""
    columns: list[list[Slot]] = [[] for _ in range(2 * max(layer.values(), default=0) + 1)]
    for n, lv in layer.items():
        columns[2 * lv].append(("node", n, 2 * lv))
    chains = {}
    for u, v in edges:
        lo, hi = 2 * layer[u], 2 * layer[v]
        if hi <= lo:
            raise ValueError(f"edge {u!r} -> {v!r} does not go to a later layer")
        inner: list[Slot] = [("edge", (u, v), r) for r in range(lo + 1, hi)]
        for s in inner:
            columns[s[2]].append(s)
        chains[(u, v)] = [("node", u, lo), *inner, ("node", v, hi)]
    return columns, chains


def _sizes(chains: Mapping[Edge, list[Slot]], label_size: Mapping[Edge, Size]) -> dict[Slot, Size]:
    """Size of every slot: a node's, a label's (at least a track high), a track."""
    size: dict[Slot, Size] = {}
    for e, chain in chains.items():
        for s in chain[1:-1]:
            size[s] = (0.0, TRACK)
        w, h = label_size.get(e, (0.0, 0.0))
        size[chain[_label_at(chain)]] = (w, max(h, TRACK))
    return size


def _order(
    columns: list[list[Slot]], preds: dict[Slot, list[Slot]], succs: dict[Slot, list[Slot]]
) -> None:
    """Barycentre sweeps, down and up, each followed by swaps of neighbouring slots
    while they remove crossings; from the given order and ``RESTARTS - 1`` seeded
    shuffles of it, keeps the order with the fewest crossings."""
    rng = random.Random(0)
    start = [list(c) for c in columns]
    pos = {s: i for col in columns for i, s in enumerate(col)}
    best, fewest = [list(c) for c in columns], _crossings(columns, pos, succs)
    for attempt in range(RESTARTS):
        columns[:] = [rng.sample(c, len(c)) if attempt else list(c) for c in start]
        pos = {s: i for col in columns for i, s in enumerate(col)}
        for k in range(SWEEPS):
            down = k % 2 == 0
            ranks = range(1, len(columns)) if down else range(len(columns) - 2, -1, -1)
            near = preds if down else succs
            for r in ranks:
                key = {s: _mean([pos[t] for t in near[s]], pos[s]) for s in columns[r]}
                columns[r].sort(key=key.__getitem__)
                pos.update({s: i for i, s in enumerate(columns[r])})
            _transpose(columns, pos, succs)
            crossings = _crossings(columns, pos, succs)
            if crossings < fewest:
                best, fewest = [list(c) for c in columns], crossings
    columns[:] = best


def _transpose(
    columns: list[list[Slot]], pos: dict[Slot, int], succs: dict[Slot, list[Slot]]
) -> None:
    """Swap neighbouring slots while a swap lowers the crossings next to their column."""

    def near(r: int) -> int:
        return sum(_pair_crossings(columns[q], pos, succs) for q in (r - 1, r) if q >= 0)

    improved = True
    while improved:
        improved = False
        for r, col in enumerate(columns):
            for i in range(len(col) - 1):
                before = near(r)
                col[i], col[i + 1] = col[i + 1], col[i]
                pos[col[i]], pos[col[i + 1]] = i, i + 1
                if near(r) < before:
                    improved = True
                else:
                    col[i], col[i + 1] = col[i + 1], col[i]
                    pos[col[i]], pos[col[i + 1]] = i, i + 1


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _crossings(
    columns: list[list[Slot]], pos: dict[Slot, int], succs: dict[Slot, list[Slot]]
) -> int:
    """Pairs of links between neighbouring columns that cross."""
    return sum(_pair_crossings(col, pos, succs) for col in columns)


def _pair_crossings(col: list[Slot], pos: dict[Slot, int], succs: dict[Slot, list[Slot]]) -> int:
    """Crossings among the links from ``col`` to the next column."""
    links = [(pos[a], pos[b]) for a in col for b in succs[a]]
    return sum(
        1
        for i, (a1, b1) in enumerate(links)
        for a2, b2 in links[i + 1 :]
        if (a1 - a2) * (b1 - b2) < 0
    )


def _column_x(
    columns: list[list[Slot]],
    widths: list[float],
    ys: dict[Slot, float],
    succs: dict[Slot, list[Slot]],
) -> list[float]:
    """Centre of every column; a gap grows with the steepest rise or fall across it."""
    xs, left = [], 0.0
    for col, w in zip(columns, widths, strict=True):
        xs.append(left + w / 2)
        rise = max((abs(ys[b] - ys[a]) for a in col for b in succs[a]), default=0.0)
        left += w + min(max(GAP_X, SLOPE * rise), MAX_GAP)
    return xs


def _column_y(
    columns: list[list[Slot]],
    size: dict[Slot, Size],
    preds: dict[Slot, list[Slot]],
    succs: dict[Slot, list[Slot]],
) -> dict[Slot, float]:
    """Slot centres: each column stacked in order, then pulled towards its neighbours.

    A round moves every column, in turn, to the positions nearest (least
    squares) to the mean y of each slot's neighbours that keep the slots in
    order and ``GAP_Y`` apart; edge slots weigh more, so long edges run straight.
    """
    ys: dict[Slot, float] = {}
    for col in columns:
        ys.update(
            zip(col, _pack([0.0] * len(col), _gaps(col, size), [1.0] * len(col)), strict=True)
        )
    for k in range(ROUNDS):
        for col in columns if k % 2 == 0 else columns[::-1]:
            want = [_mean([ys[t] for t in preds[s] + succs[s]], ys[s]) for s in col]
            weight = [1.0 if s[0] == "node" else 4.0 for s in col]
            ys.update(zip(col, _pack(want, _gaps(col, size), weight), strict=True))
    top = min((ys[s] - size[s][1] / 2 for s in ys), default=0.0)
    return {s: y - top for s, y in ys.items()}


def _gaps(col: list[Slot], size: dict[Slot, Size]) -> list[float]:
    """Least distance between the centres of neighbouring slots of ``col``."""
    return [(size[a][1] + size[b][1]) / 2 + GAP_Y for a, b in itertools.pairwise(col)]


def _pack(want: list[float], gaps: list[float], weight: list[float]) -> list[float]:
    """argmin sum w·(y - want)² subject to y[i+1] - y[i] >= gaps[i] (pool adjacent violators)."""
    offset = [0.0]
    for g in gaps:
        offset.append(offset[-1] + g)
    blocks: list[list[float]] = []  # [value, weight, count]
    for t, w in zip([a - o for a, o in zip(want, offset, strict=True)], weight, strict=True):
        blocks.append([t, w, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            v2, w2, n2 = blocks.pop()
            v1, w1, n1 = blocks.pop()
            blocks.append([(v1 * w1 + v2 * w2) / (w1 + w2), w1 + w2, n1 + n2])
    z = [v for v, _, n in blocks for _ in range(int(n))]
    return [a + o for a, o in zip(z, offset, strict=True)]


def _ports(
    chains: Mapping[Edge, list[Slot]], ys: dict[Slot, float]
) -> dict[tuple[Edge, int], float]:
    """Angle of each edge's end on its node: a node's edges spread over its arc in y order.

    Key ``(e, 0)`` is the source end, ``(e, -1)`` the target end.
    """
    ends: dict[tuple[Hashable, int], list[tuple[float, Edge]]] = {}
    for e, chain in chains.items():
        ends.setdefault((e[0], 0), []).append((ys[chain[1]], e))
        ends.setdefault((e[1], -1), []).append((ys[chain[-2]], e))
    angle = {}
    for (_, side), found in ends.items():
        found.sort(key=lambda t: (t[0], str(t[1])))
        spread = min(MAX_PORT_ANGLE, 0.3 * (len(found) - 1))
        for i, (_, e) in enumerate(found):
            angle[(e, side)] = spread * (2 * i / (len(found) - 1) - 1) if len(found) > 1 else 0.0
    return angle


def _routes(
    chains: Mapping[Edge, list[Slot]],
    nodes: Mapping[Hashable, Box],
    xs: list[float],
    widths: list[float],
    ys: dict[Slot, float],
) -> dict[Edge, list[Point]]:
    """Every edge as cubic Bézier points: curves across gaps, straight runs through slots."""
    angle = _ports(chains, ys)
    routes = {}
    for e, chain in chains.items():
        (u, v), a_out, a_in = e, angle[(e, 0)], angle[(e, -1)]
        r_u, r_v = nodes[u].w / 2, nodes[v].w / 2
        start = (nodes[u].x + r_u * math.cos(a_out), nodes[u].y + r_u * math.sin(a_out))
        end = (nodes[v].x - r_v * math.cos(a_in), nodes[v].y + r_v * math.sin(a_in))
        pts, head = [start], (math.cos(a_out), math.sin(a_out))
        for s in chain[1:-1]:
            left, right = xs[s[2]] - widths[s[2]] / 2, xs[s[2]] + widths[s[2]] / 2
            pts += _curve(pts[-1], head, (left, ys[s]), (1.0, 0.0))
            pts += _curve(pts[-1], (1.0, 0.0), (right, ys[s]), (1.0, 0.0))
            head = (1.0, 0.0)
        pts += _curve(pts[-1], head, end, (math.cos(a_in), -math.sin(a_in)))
        routes[e] = pts
    return routes


def _curve(a: Point, da: tuple[float, float], b: Point, db: tuple[float, float]) -> list[Point]:
    """Control points and end of a cubic from ``a`` (leaving along ``da``) to ``b``
    (arriving along ``db``); x never leaves [a.x, b.x] as both directions point right."""
    d = (b[0] - a[0]) / 2
    return [(a[0] + d * da[0], a[1] + d * da[1]), (b[0] - d * db[0], b[1] - d * db[1]), b]

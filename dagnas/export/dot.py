"""What a cell/block picture shows, and its graphviz DOT text (no graphviz needed).

:func:`picture` turns an Architecture into groups of named nodes and styled
edges, which both the DOT writer here and the matplotlib fallback in
:mod:`dagnas.export.draw` render:

- a DARTS cell's inputs are the previous cells' outputs ``c_{k-2}``,
  ``c_{k-1}`` and its output is ``c_{k}``; other nodes keep their short name;
- "none"/"zero" edges are left out; searched edges are solid and labelled
  with their op; fixed edges (concat/sum into the output) are dashed and
  unlabelled when they only join (``JOIN_OPS``);
- with ``mixing`` (edge key → op → weight, as in ``alpha.jsonl``), a searched
  edge is as thick as its op's weight (``MIN_WIDTH`` at 0, ``MAX_WIDTH`` at 1);
- the stages of a dense-block space are one group, drawn in order, each
  stage's output chained to the next stage's input.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from dagnas.graph import cells, is_active, levels

COLOURS = {"input": "#8ecae6", "output": "#ffb703", "hidden": "#e9ecef"}
EDGE_COLOURS = {"searched": "#333333", "fixed": "#999999", "chain": "#777777"}
JOIN_OPS = frozenset({"concat", "sum", "output"})
MIN_WIDTH, MAX_WIDTH, WIDTH = 0.6, 3.6, 1.2  # edge widths in points

Mixing = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Node:
    """A node as drawn: ``text`` with an optional subscript, and its role."""

    id: Hashable
    text: str
    sub: str | None
    role: str


@dataclass(frozen=True)
class Arrow:
    """An edge as drawn: its label, its style ("searched", "fixed", "chain"), width in points."""

    u: Hashable
    v: Hashable
    label: str
    style: str
    width: float


@dataclass
class Group:
    """Nodes laid out together: one DARTS cell, or all stages of a dense-block space.

    ``parts`` names each titled part (a cell, a stage) with its node ids, in order.
    """

    parts: dict[str, list[Hashable]]
    nodes: dict[Hashable, Node] = field(default_factory=dict)
    layer: dict[Hashable, int] = field(default_factory=dict)
    arrows: list[Arrow] = field(default_factory=list)


def picture(arch: nx.DiGraph, mixing: Mixing | None = None) -> list[Group]:
    """The groups to draw for ``arch`` (see the module docstring)."""
    split = cells(arch)
    order = [c for c in arch.graph.get("cells", []) if c in split]
    order += [c for c in split if c not in order]
    if arch.graph.get("kind") == "dense_blocks":
        return [_chained(arch, [(c, split[c]) for c in order], mixing)] if order else []
    groups = []
    for name in order:
        group = Group(parts={name: list(split[name])})
        _add(group, arch, split[name], 0, mixing)
        groups.append(group)
    return groups


def _chained(
    arch: nx.DiGraph, stages: list[tuple[str, nx.DiGraph]], mixing: Mixing | None
) -> Group:
    """All stages in one group, layers offset so each stage follows the previous one."""
    group = Group(parts={name: list(g) for name, g in stages})
    offset, last = 0, None
    for _, g in stages:
        offset = _add(group, arch, g, offset, mixing)
        ins = sorted(_with_role(g, "input"), key=str)
        if last is not None and ins:
            group.arrows.append(Arrow(last, ins[0], "", "chain", WIDTH))
        outs = sorted(_with_role(g, "output"), key=str)
        last = outs[0] if outs else last
    return group


def _with_role(g: nx.DiGraph, role: str) -> list[Hashable]:
    return [n for n, r in g.nodes(data="role") if r == role]


def _add(group: Group, arch: nx.DiGraph, g: nx.DiGraph, offset: int, mixing: Mixing | None) -> int:
    """Add ``g``'s nodes and active edges to ``group`` from layer ``offset`` on;
    return the first layer after them."""
    active = nx.DiGraph()
    active.add_nodes_from(sorted(g, key=lambda n: (g.nodes[n].get("index", float("inf")), str(n))))
    active.add_edges_from((u, v, d) for u, v, d in g.edges(data=True) if is_active(d.get("op")))
    level = levels(active)
    names = _names(arch, g)
    for n in active:
        role = g.nodes[n].get("role") or "hidden"
        group.nodes[n] = Node(n, *names[n], role)
        group.layer[n] = offset + level[n]
    for u, v, d in active.edges(data=True):
        group.arrows.append(_arrow(u, v, d, mixing))
    return offset + max(level.values(), default=-1) + 1


def _names(arch: nx.DiGraph, g: nx.DiGraph) -> dict[Hashable, tuple[str, str | None]]:
    """(text, subscript) of each node: c_{k-i} for a DARTS cell's inputs, c_{k} for its output."""
    names: dict[Hashable, tuple[str, str | None]] = {
        n: (str(n).rsplit(":", 1)[-1], None) for n in g
    }
    if arch.graph.get("kind") != "darts_cell":
        return names
    ins = sorted(_with_role(g, "input"), key=lambda n: g.nodes[n].get("index", 0))
    for i, n in enumerate(ins):
        names[n] = ("c", f"k-{len(ins) - i}")
    for n in _with_role(g, "output"):
        names[n] = ("c", "k")
    return names


def _arrow(u: Hashable, v: Hashable, d: Mapping[str, object], mixing: Mixing | None) -> Arrow:
    op = "" if d.get("op") is None else str(d["op"])
    if not d.get("searched", True):
        return Arrow(u, v, "" if op in JOIN_OPS else op, "fixed", WIDTH)
    row = (mixing or {}).get(str(d.get("key")))
    if not row:
        return Arrow(u, v, op, "searched", WIDTH)
    # a dense block's edges carry the stage op; its weight is the chosen (strongest) block's
    w = float(row[op]) if op in row else max(float(x) for x in row.values())
    return Arrow(u, v, op, "searched", MIN_WIDTH + (MAX_WIDTH - MIN_WIDTH) * min(max(w, 0.0), 1.0))


def quote(s: object) -> str:
    """``s`` as a DOT double-quoted string."""
    text = str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _html(node: Node) -> str:
    """The node's label as a DOT HTML label (subscripts as <SUB>)."""
    esc = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
    sub = "" if node.sub is None else f"<SUB>{node.sub.translate(esc)}</SUB>"
    return f"<{node.text.translate(esc)}{sub}>"


def to_dot(arch: nx.DiGraph, mixing: Mixing | None = None) -> str:
    """Graphviz DOT text of ``arch``: one cluster per cell or stage, left to right."""
    lines = [
        f"digraph {quote(arch.graph.get('space') or 'architecture')} {{",
        '  graph [rankdir=LR, nodesep=0.3, ranksep=0.5, fontname="Helvetica", fontsize=11];',
        '  node [shape=circle, style=filled, fixedsize=true, width=0.5, color="#333333",'
        ' fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
    ]
    for i, group in enumerate(picture(arch, mixing)):
        for j, (name, ids) in enumerate(group.parts.items()):
            lines.append(f"  subgraph {quote(f'cluster_{i}_{j}')} {{")
            lines.append(f'    label={quote(name)}; color="#cccccc";')
            for n in ids:
                node = group.nodes[n]
                fill = COLOURS.get(node.role, COLOURS["hidden"])
                lines.append(f'    {quote(n)} [label={_html(node)}, fillcolor="{fill}"];')
            lines.append("  }")
        for a in group.arrows:
            style = "solid" if a.style != "fixed" else "dashed"
            attrs = f'label={quote(a.label)}, style={style}, color="{EDGE_COLOURS[a.style]}"'
            lines.append(f"  {quote(a.u)} -> {quote(a.v)} [{attrs}, penwidth={a.width:.2f}];")
    lines.append("}")
    return "\n".join(lines) + "\n"

"""DARTS genotypes: ``Genotype(normal=[(op, input), ...], normal_concat=[...], ...)``.

The form every DARTS-space paper publishes its cells in (Liu et al. 2019 and
the codebases that copied its ``genotypes.py``: PC-DARTS, P-DARTS, DrNAS...).
Node ``k`` of a cell (``k = 2, 3, ...``; 0 and 1 are the cell's inputs
c_{k-2}, c_{k-1}) takes the ops ``normal[2(k-2)]`` and ``normal[2(k-2)+1]``;
``(op, i)`` applies ``op`` to node ``i``. The cell's output concatenates the
nodes in ``*_concat``.

:func:`parse_genotype` reads such a string without evaluating it;
``repr(genotype)`` prints it back as the DARTS code does (``range(2, 6)``
stays a range, a list stays a list). :func:`to_genotype` writes the
Genotype of a darts_cell Architecture; :func:`dagnas.export.fixed.from_genotype`
goes the other way.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.graph import is_active
from dagnas.registry import did_you_mean

Edges = list[tuple[str, int]]
Concat = list[int] | range
INPUTS = 2  # a DARTS cell's input nodes: c_{k-2}, c_{k-1}
FIELDS = ("normal", "normal_concat", "reduce", "reduce_concat")


class Genotype(NamedTuple):
    """DARTS's ``namedtuple('Genotype', 'normal normal_concat reduce reduce_concat')``;
    its ``repr`` is the string DARTS prints."""

    normal: Edges
    normal_concat: Concat
    reduce: Edges
    reduce_concat: Concat

    def cell(self, name: str) -> tuple[Edges, list[int]]:
        """The edges and the concatenated nodes of cell ``name`` ("normal" or "reduce")."""
        if name not in ("normal", "reduce"):
            raise DagnasError(f"a genotype has cells 'normal' and 'reduce', not '{name}'")
        return getattr(self, name), list(getattr(self, f"{name}_concat"))


# The published CIFAR-10 cells, as their authors' repositories print them.
PRESETS: dict[str, str] = {
    # DARTS first order (Liu, Simonyan, Yang, ICLR 2019): quark0/darts cnn/genotypes.py
    # DARTS_V1, identical in the copies in yuhuixu1993/PC-DARTS and chenxin061/pdarts
    "DARTS_V1": "Genotype(normal=[('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 0), ('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('skip_connect', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 0), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('avg_pool_3x3', 0)], reduce_concat=[2, 3, 4, 5])",  # noqa: E501
    # DARTS second order (same paper): quark0/darts cnn/genotypes.py DARTS_V2, checked
    # against the copies in yuhuixu1993/PC-DARTS and chenxin061/pdarts genotypes.py
    "DARTS_V2": "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), ('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), ('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])",  # noqa: E501
    # PC-DARTS (Xu et al., ICLR 2020): yuhuixu1993/PC-DARTS genotypes.py PC_DARTS_cifar
    "PC_DARTS": "Genotype(normal=[('sep_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 0), ('dil_conv_3x3', 1), ('sep_conv_5x5', 0), ('sep_conv_3x3', 1), ('avg_pool_3x3', 0), ('dil_conv_3x3', 1)], normal_concat=range(2, 6), reduce=[('sep_conv_5x5', 1), ('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_5x5', 2), ('sep_conv_3x3', 0), ('sep_conv_3x3', 3), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2)], reduce_concat=range(2, 6))",  # noqa: E501
    # P-DARTS (Chen et al., ICCV 2019): chenxin061/pdarts genotypes.py PDARTS
    # (the file omits the space after two commas; printed here as DARTS prints it)
    "PDARTS": "Genotype(normal=[('skip_connect', 0), ('dil_conv_3x3', 1), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 3), ('sep_conv_3x3', 0), ('dil_conv_5x5', 4)], normal_concat=range(2, 6), reduce=[('avg_pool_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 0), ('dil_conv_5x5', 2), ('max_pool_3x3', 0), ('dil_conv_3x3', 1), ('dil_conv_3x3', 1), ('dil_conv_5x5', 3)], reduce_concat=range(2, 6))",  # noqa: E501
    # DrNAS (Chen et al., ICLR 2021): xiangning-chen/DrNAS DARTS-space/genotypes.py DrNAS_cifar10
    "DRNAS": "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_5x5', 1), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2), ('skip_connect', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 2), ('dil_conv_5x5', 3)], normal_concat=range(2, 6), reduce=[('max_pool_3x3', 0), ('sep_conv_5x5', 1), ('dil_conv_5x5', 2), ('sep_conv_5x5', 1), ('sep_conv_5x5', 1), ('dil_conv_5x5', 3), ('skip_connect', 4), ('sep_conv_5x5', 1)], reduce_concat=range(2, 6))",  # noqa: E501
}


def _bad(text: str, why: str) -> DagnasError:
    return DagnasError(
        f"not a DARTS genotype ({why}): {text[:80]}{'...' * (len(text) > 80)}; expected"
        " Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...],"
        " reduce_concat=[...])"
    )


def _edges(node: ast.expr, text: str, field: str) -> Edges:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise _bad(text, f"{field} is not a literal list") from None
    if not isinstance(value, list | tuple) or not all(
        isinstance(e, tuple) and len(e) == 2 and isinstance(e[0], str) and type(e[1]) is int
        for e in value
    ):
        raise _bad(text, f"{field} must be a list of (op, input) pairs")
    return [(op, i) for op, i in value]


def _concat(node: ast.expr, text: str, field: str) -> Concat:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        args = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if len(args) != len(node.args) or not all(type(a) is int for a in args) or not args:
            raise _bad(text, f"{field}: range() takes integers")
        return range(*args)
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise _bad(text, f"{field} is neither a list of nodes nor range(a, b)") from None
    if not isinstance(value, list | tuple) or not all(type(v) is int for v in value):
        raise _bad(text, f"{field} must list node numbers")
    return list(value)


def parse_genotype(text: str) -> Genotype:
    """The Genotype in ``text`` (from ``Genotype(`` on: a log line such as
    ``genotype = Genotype(...)`` is fine). Nothing is evaluated."""
    start = text.find("Genotype(")
    if start < 0:
        raise _bad(text, "no 'Genotype(' in it")
    src = text[start:].strip()
    try:
        call = ast.parse(src, mode="eval").body
    except SyntaxError as e:
        raise _bad(text, f"syntax error at column {e.offset}") from None
    if not isinstance(call, ast.Call):
        raise _bad(text, "not a call")
    given = dict(zip(FIELDS, call.args, strict=False))
    given.update({k.arg: k.value for k in call.keywords if k.arg is not None})
    if sorted(given) != sorted(FIELDS) or len(call.args) > len(FIELDS):
        raise _bad(text, f"it gives {sorted(given)}, expected the fields {list(FIELDS)}")
    return Genotype(
        normal=_edges(given["normal"], text, "normal"),
        normal_concat=_concat(given["normal_concat"], text, "normal_concat"),
        reduce=_edges(given["reduce"], text, "reduce"),
        reduce_concat=_concat(given["reduce_concat"], text, "reduce_concat"),
    )


def genotype(name_or_text: str) -> Genotype:
    """A preset by name (case-insensitive: ``DARTS_V2``, ``PC_DARTS``...) or a
    genotype string."""
    if "Genotype(" in name_or_text:
        return parse_genotype(name_or_text)
    key = name_or_text.strip().upper()
    if key not in PRESETS:
        known = sorted(PRESETS)
        raise DagnasError(
            f"unknown genotype '{name_or_text}'{did_you_mean(key, known)} (presets:"
            f" {', '.join(known)}; or give a string Genotype(normal=[...], ...))"
        )
    return parse_genotype(PRESETS[key])


def _cell_edges(arch: nx.DiGraph, cell: str) -> tuple[Edges, list[int]]:
    """The (op, input) pairs of ``cell``, two per node, strongest first, and its concat."""
    index = {n: d["index"] for n, d in arch.nodes(data=True) if d.get("cell") == cell}
    nodes = arch.graph["macro"]["nodes"]
    edges: Edges = []
    for j in range(INPUTS, INPUTS + nodes):
        into = [
            (u, d)
            for u, _, d in arch.in_edges(f"{cell}:{j}", data=True)
            if d.get("searched", True) and is_active(d.get("op"))
        ]
        if len(into) != 2 or any(len(d.get("ops_kept", [d["op"]])) > 1 for _, d in into):
            raise DagnasError(
                f"node {cell}:{j} has {len(into)} active input edges"
                f"{' (one keeps several ops)' if len(into) == 2 else ''}; a DARTS genotype needs"
                " exactly two, one op each (derive with the topk rule, k=2)"
            )
        into.sort(key=lambda e: (-float(e[1].get("alpha", 0.0)), index[e[0]]))
        edges += [(d["op"], index[u]) for u, d in into]
    concat = sorted(index[u] for u in arch.predecessors(f"{cell}:out"))
    return edges, concat


def to_genotype(arch: nx.DiGraph) -> Genotype:
    """The Genotype of a darts_cell Architecture with two input nodes, a concat
    output, a normal and a reduce cell and two kept edges per node; each node's
    edges are listed strongest ``alpha`` first, as DARTS's ``genotype()`` does."""
    m = arch.graph.get("macro", {})
    cells = arch.graph.get("cells", sorted({c for _, c in arch.nodes(data="cell")}))
    shape = (arch.graph.get("kind"), m.get("input_nodes"), m.get("output"))
    if shape != ("darts_cell", INPUTS, "concat") or sorted(cells) != ["normal", "reduce"]:
        raise DagnasError(
            f"a DARTS genotype needs a darts_cell architecture with input_nodes: 2, output:"
            f" concat and normal and reduce cells; this one has kind {shape[0]!r}, input_nodes"
            f" {shape[1]!r}, output {shape[2]!r}, cells {sorted(cells)}"
        )
    normal, normal_concat = _cell_edges(arch, "normal")
    reduce, reduce_concat = _cell_edges(arch, "reduce")
    return Genotype(normal, normal_concat, reduce, reduce_concat)

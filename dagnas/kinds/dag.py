"""The `dag` kind: any DAG a user writes, named nodes and edges with candidate ops.

Nodes ``"dag:<name>"`` carry ``role``, ``width`` (inputs: the data's; the
output: the class count unless given; others: their inputs' when they agree)
and ``aggregate``; each edge is searched over its ops. Image ops keep
(N, C, H, W); vector ops see the data flattened.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

import networkx as nx
from pydantic import Field, field_validator, model_validator

from dagnas.compile.dag import DagNetwork
from dagnas.errors import SpecError, SpecIssue
from dagnas.kinds.base import DeriveRule, Macro, register_kind
from dagnas.kinds.edges import EdgeOpKind
from dagnas.measure.formulas import edge_params, linear_params, op_params
from dagnas.ops import OPS
from dagnas.registry import Component, Strict, StrictPositiveInt, did_you_mean
from dagnas.spec.models import OpName, SpaceBase, issue_at

NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class NodeSpec(Strict):
    """A node of a `dag` space."""

    name: str
    """the node's name (letters, digits, _)"""
    role: Literal["input", "hidden", "output"] = "hidden"
    """input, hidden or output"""
    width: StrictPositiveInt | None = Field(None, le=65536)
    """features (vector DAGs) or channels (image DAGs); an output defaults to the classes"""
    aggregate: Literal["sum", "mean"] = "sum"
    """how the node combines its incoming edges"""

    @field_validator("name")
    @classmethod
    def _name_form(cls, name: str) -> str:
        if not NAME_RE.match(name):
            raise ValueError(
                f"node name '{name}' must start with a letter or '_' and hold only letters,"
                " digits and '_'"
            )
        return name


class EdgeSpec(Strict):
    """An edge of a `dag` space with its candidate ops."""

    model_config = Strict.model_config | {"populate_by_name": True}
    source: str = Field(alias="from")
    """the node the edge leaves"""
    target: str = Field(alias="to")
    """the node the edge enters"""
    ops: list[OpName] = Field(min_length=1)
    """the edge's candidate ops (all image or all vector; `dagnas ops` lists them)"""


class DagSpec(SpaceBase):
    """Any DAG a user writes: named nodes, edges with candidate ops."""

    kind: Literal["dag"]
    """the space kind"""
    nodes: list[NodeSpec] = Field(min_length=2)
    """the nodes, at least one input and one output"""
    edges: list[EdgeSpec] = Field(min_length=1)
    """the edges with their candidate ops"""
    derive: DeriveRule = Component(name="argmax")
    """the rule that turns mixing weights into an architecture"""

    @model_validator(mode="after")
    def _graph_ok(self) -> DagSpec:
        check_dag(self)
        return self


def check_dag(spec: DagSpec) -> None:
    """Raise :class:`SpecIssue` at the first structural problem of ``spec``."""
    index: dict[str, int] = {}
    for i, node in enumerate(spec.nodes):
        if node.name in index:
            raise SpecIssue(("nodes", i, "name"), f"node '{node.name}' is defined twice")
        index[node.name] = i
    roles = [n.role for n in spec.nodes]
    if roles.count("output") != 1:
        raise SpecIssue(
            ("nodes",), f"need exactly one node with role: output, found {roles.count('output')}"
        )
    if "input" not in roles:
        raise SpecIssue(("nodes",), "need at least one node with role: input")
    g = _edge_graph(spec, index)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        raise SpecIssue(("edges", g.edges[cycle[0]]["i"]), f"the edges form a cycle: {path}")
    _check_reach(spec, index, g)


def _edge_graph(spec: DagSpec, index: dict[str, int]) -> nx.DiGraph:
    """The edges as a graph over node names (edge attribute ``i``: the edge's position)."""
    g = nx.DiGraph()
    g.add_nodes_from(index)
    domains: dict[str, set[str]] = {}
    for i, e in enumerate(spec.edges):
        for end, name in (("from", e.source), ("to", e.target)):
            if name not in index:
                raise SpecIssue(
                    ("edges", i, end),
                    f"edge to undefined node '{name}'{did_you_mean(name, list(index))}"
                    f" (defined: {', '.join(index)})",
                )
        if g.has_edge(e.source, e.target):
            raise SpecIssue(("edges", i), f"edge {e.source}->{e.target} is listed twice")
        if spec.nodes[index[e.target]].role == "input":
            raise SpecIssue(
                ("edges", i, "to"), f"input node '{e.target}' cannot have incoming edges"
            )
        if spec.nodes[index[e.source]].role == "output":
            raise SpecIssue(
                ("edges", i, "from"), f"output node '{e.source}' cannot have outgoing edges"
            )
        g.add_edge(e.source, e.target, i=i)
        for op in e.ops:
            domains.setdefault(OPS.get(op).domain, set()).add(op)
    domains.pop("any", None)
    if len(domains) > 1:
        mixed = " and ".join(
            f"{d} ops ({', '.join(sorted(ops))})" for d, ops in sorted(domains.items())
        )
        raise SpecIssue(
            ("edges",), f"a dag mixes {mixed}; use ops of one domain (`dagnas ops` lists them)"
        )
    return g


def _check_reach(spec: DagSpec, index: dict[str, int], g: nx.DiGraph) -> None:
    """Every node is reached from an input and reaches the output."""
    inputs = [n.name for n in spec.nodes if n.role == "input"]
    output = next(n.name for n in spec.nodes if n.role == "output")
    reached = set(inputs).union(*(nx.descendants(g, s) for s in inputs))
    reaching = {output} | nx.ancestors(g, output)
    for name, i in index.items():
        if name not in reached:
            raise SpecIssue(
                ("nodes", i),
                f"node '{name}' is not reached from any input node; add an edge into it",
            )
        if name not in reaching:
            raise SpecIssue(
                ("nodes", i),
                f"node '{name}' does not reach the output node '{output}'; add an edge out of it",
            )


def _node_width(
    spec: DagSpec,
    node: Any,
    in_width: int,
    classes: int,
    structure: nx.DiGraph,
    widths: dict[str, int],
) -> int:
    if node.role == "input":
        if node.width is not None and node.width != in_width:
            raise issue_at(
                spec,
                ("nodes", [n.name for n in spec.nodes].index(node.name), "width"),
                f"input node width {node.width} does not match the data ({in_width}); remove it",
            )
        return in_width
    if node.width is not None:
        return node.width
    if node.role == "output":
        return classes
    preds = {widths[p] for p in structure.predecessors(node.name)}
    if len(preds) == 1:
        return preds.pop()
    raise issue_at(
        spec,
        ("nodes", [n.name for n in spec.nodes].index(node.name), "width"),
        f"node '{node.name}' needs a width: its inputs have different widths {sorted(preds)}",
    )


class DagMacro(Macro):
    """The ``macro`` of a dag Architecture: whether its ops act on images or vectors."""

    domain: Literal["image", "vector"]


@register_kind
class Dag(EdgeOpKind):
    """A user's DAG: its spec, lowering, network and parameter formula."""

    name = "dag"
    spec = DagSpec
    body = DagNetwork
    macro = DagMacro

    def lower(self, spec: DagSpec, g: nx.DiGraph) -> None:
        """The nodes (with their widths) and edges of the DAG into ``g``."""
        shape = g.graph["input_shape"]
        domain = next(
            (OPS.get(op).domain for e in spec.edges for op in e.ops if OPS.get(op).domain != "any"),
            "vector",
        )
        if domain == "image" and len(shape) != 3:
            raise issue_at(
                spec, ("edges",), f"image ops need image data (C, H, W); the data has shape {shape}"
            )
        in_width = shape[0] if domain == "image" else math.prod(shape)
        g.graph["macro"] = {"domain": domain}
        g.graph["cells"] = ["dag"]
        index = {n.name: i for i, n in enumerate(spec.nodes)}
        structure = nx.DiGraph([(e.source, e.target) for e in spec.edges])
        structure.add_nodes_from(index)
        widths: dict[str, int] = {}
        for name in nx.lexicographical_topological_sort(structure, key=index.get):
            node = spec.nodes[index[name]]
            widths[name] = _node_width(
                spec, node, in_width, g.graph["num_classes"], structure, widths
            )
            g.add_node(
                f"dag:{name}",
                role=node.role,
                cell="dag",
                index=index[name],
                width=widths[name],
                aggregate=node.aggregate,
            )
        for k, e in enumerate(spec.edges):
            for m, op in enumerate(e.ops):
                if OPS.get(op).same_width and widths[e.source] != widths[e.target]:
                    raise issue_at(
                        spec,
                        ("edges", k, "ops", m),
                        f"op '{op}' keeps the width, but node '{e.source}' has width"
                        f" {widths[e.source]} and node '{e.target}' has width {widths[e.target]};"
                        " give both nodes the same width or use a width-changing op",
                    )
            g.add_edge(
                f"dag:{e.source}",
                f"dag:{e.target}",
                ops=list(e.ops),
                key=f"dag:{e.source}->{e.target}",
            )

    def dead_output(self, spec: DagSpec, g: nx.DiGraph, node: str) -> SpecError:
        name = g.nodes[node]["index"]
        first = next(i for i, e in enumerate(spec.edges) if e.target == spec.nodes[name].name)
        return issue_at(
            spec,
            ("edges", first),
            f"only zero ops (none/zero) lead to the output node '{spec.nodes[name].name}': the"
            " network would compute nothing; give an edge on a path to it an op that computes",
        )

    def check(self, spec: DagSpec, g: nx.DiGraph) -> None:
        """Also: something to train, an op with parameters or a linear head."""
        super().check(spec, g)
        out = next(n for n, r in g.nodes(data="role") if r == "output")
        if g.nodes[out]["width"] != g.graph["num_classes"]:
            return  # a linear head
        width = dict(g.nodes(data="width"))
        if not any(
            op_params(op, width[u], width[v]) for u, v, d in g.edges(data=True) for op in d["ops"]
        ):
            raise issue_at(
                spec,
                ("edges",),
                "no candidate op has parameters and the output needs no linear head: there"
                " is nothing to train; add an op with weights (e.g. linear, a convolution)",
            )

    def params(self, arch: nx.DiGraph) -> int:
        """Edge ops plus a linear head when the output width is not the class count."""
        out = next(n for n, r in arch.nodes(data="role") if r == "output")
        w_out, classes = arch.nodes[out]["width"], arch.graph["num_classes"]
        return edge_params(arch) + (linear_params(w_out, classes, 1) if w_out != classes else 0)

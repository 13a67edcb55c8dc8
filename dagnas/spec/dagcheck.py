"""Structural checks of a `dag` spec: names, references, cycles, reachability."""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx

from dagnas.errors import SpecIssue
from dagnas.registry import did_you_mean

if TYPE_CHECKING:
    from dagnas.spec.models import DagSpec


def check_dag(spec: DagSpec) -> None:
    """Raise :class:`SpecIssue` at the first structural problem of ``spec``."""
    from dagnas.ops import OPS

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

    g = nx.DiGraph()
    g.add_nodes_from(index)
    domains: set[str] = set()
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
        domains |= {OPS.get(op).domain for op in e.ops} - {"any"}
    if len(domains) > 1:
        raise SpecIssue(("edges",), "a dag mixes image ops and vector ops; use one kind")

    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        path = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        raise SpecIssue(("edges", g.edges[cycle[0]]["i"]), f"the edges form a cycle: {path}")

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

"""NAS-Bench-201 architecture strings: ``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|``.

Node ``j`` (1..3) of the cell is one ``+``-separated group listing, for every
earlier node ``i``, the op on edge ``i → j`` as ``op~i`` (Dong & Yang, ICLR
2020; the string NAS-Bench-201 and NATS-Bench index their tables by).
"""

from __future__ import annotations

import networkx as nx

from dagnas.errors import DagnasError

#: nodes after the input node in an NB201 cell
NB201_NODES = 3
EXAMPLE = "|nor_conv_3x3~0|+|nor_conv_3x3~0|skip_connect~1|+|none~0|none~1|avg_pool_3x3~2|"


def is_nb201_shaped(graph: nx.DiGraph) -> bool:
    """Whether a SearchGraph or Architecture has the NB201 cell: a darts_cell
    space with one input node, three nodes and the last node as output."""
    m = graph.graph.get("macro", {})
    return graph.graph.get("kind") == "darts_cell" and (
        m.get("input_nodes"),
        m.get("nodes"),
        m.get("output"),
    ) == (1, NB201_NODES, "last")


#: why an architecture with :func:`summed_edges` has no NB201 string
SUMMED = (
    "sum several ops (a rule kept them: ops_kept), which no NB201 string can say; derive"
    " with argmax or threshold_sparse"
)


def summed_edges(arch: nx.DiGraph) -> list[str]:
    """The edges of ``arch`` whose child sums several ops (``ops_kept``)."""
    return sorted(
        f"{u}->{v}" for u, v, d in arch.edges(data=True) if len(d.get("ops_kept") or ()) > 1
    )


def nb201_string(arch: nx.DiGraph) -> str | None:
    """``|op~0|+|op~0|op~1|+|op~0|op~1|op~2|`` for a NAS-Bench-201-shaped cell;
    None for another shape, or when an edge sums several ops (the string would
    name only one of them, not the network the child trains)."""
    if not is_nb201_shaped(arch) or summed_edges(arch):
        return None
    nodes = []
    for j in range(1, NB201_NODES + 1):
        ops = []
        for i in range(j):
            d = arch.get_edge_data(f"normal:{i}", f"normal:{j}")
            ops.append(f"{d['op'] if d else 'none'}~{i}")
        nodes.append("|" + "|".join(ops) + "|")
    return "+".join(nodes)


def _bad(text: str, why: str) -> DagnasError:
    return DagnasError(f"'{text}' is not a NAS-Bench-201 string: {why} (expected e.g. {EXAMPLE})")


def parse_nb201(text: str) -> dict[tuple[int, int], str]:
    """The ops of an NB201 string: ``{(i, j): op}`` for every edge ``i → j``."""
    groups = text.strip().split("+")
    if len(groups) != NB201_NODES:
        raise _bad(text, f"{len(groups)} '+'-separated nodes, expected {NB201_NODES}")
    ops: dict[tuple[int, int], str] = {}
    for j, group in enumerate(groups, start=1):
        if not (group.startswith("|") and group.endswith("|")):
            raise _bad(text, f"node {j} '{group}' must start and end with '|'")
        items = group[1:-1].split("|")
        if len(items) != j:
            raise _bad(text, f"node {j} lists {len(items)} inputs, expected {j}")
        for i, item in enumerate(items):
            op, sep, src = item.rpartition("~")
            if not sep or not op or src != str(i):
                raise _bad(text, f"node {j} input {i} is '{item}', expected 'op~{i}'")
            ops[(i, j)] = op
    return ops

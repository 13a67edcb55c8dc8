"""Architecture helpers: cells, active subgraphs, canonical hash, DAG metrics, JSON.

An Architecture is a ``networkx.DiGraph`` with one chosen op per edge (see
DESIGN.md): nodes carry ``role`` ("input", "hidden", "output"), ``cell`` and
optionally ``width`` and ``index``; edges carry ``op``, ``alpha``, ``searched``
and optionally ``weights``. Edges whose op is a zero op (``OpDef.zero``: "none",
"zero" or one a user registers so) are inactive.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Hashable, Mapping
from typing import Any

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.ops import is_zero
from dagnas.versions import HASH_SCHEME

ROLES: tuple[str, ...] = ("input", "hidden", "output")


def is_active(op: object) -> bool:
    """Whether an edge with this op computes anything (not a zero op)."""
    return not is_zero(op)


def input_nodes(g: nx.DiGraph) -> list[Hashable]:
    """Nodes with role "input"; the graph's sources if no node has a role."""
    found = [n for n, r in g.nodes(data="role") if r == "input"]
    if found or any(r is not None for _, r in g.nodes(data="role")):
        return found
    return [n for n in g if g.in_degree(n) == 0]


def output_nodes(g: nx.DiGraph) -> list[Hashable]:
    """Nodes with role "output"; the graph's sinks if no node has a role."""
    found = [n for n, r in g.nodes(data="role") if r == "output"]
    if found or any(r is not None for _, r in g.nodes(data="role")):
        return found
    return [n for n in g if g.out_degree(n) == 0]


def edge_ops(d: Mapping[str, Any]) -> list[str]:
    """The ops an edge's data says it may compute: an Architecture's kept op(s)
    (``ops_kept``, else ``op``), else a space's candidates (``ops``); none for a
    fixed edge of a space graph."""
    if "ops_kept" in d:
        return list(d["ops_kept"])
    if "op" in d:
        return [d["op"]]
    return list(d.get("ops", []))


def live_graph(g: nx.DiGraph) -> nx.DiGraph:
    """``g``'s edges that can compute: those with an op (kept or candidate) that is
    not a zero op, and fixed edges."""
    live = nx.DiGraph()
    live.add_nodes_from(g)
    live.add_edges_from(
        (u, v)
        for u, v, d in g.edges(data=True)
        if not (ops := edge_ops(d)) or not all(is_zero(op) for op in ops)
    )
    return live


def dead_outputs(g: nx.DiGraph) -> list[Hashable]:
    """The output nodes of ``g`` (a space's graph or an Architecture) that no input
    of their cell reaches over :func:`live_graph`: only zero ops lead to them."""
    live = live_graph(g)
    found = []
    for t in output_nodes(g):
        cell = g.nodes[t].get("cell")
        ins = [s for s in input_nodes(g) if g.nodes[s].get("cell") == cell]
        if not any(nx.has_path(live, s, t) for s in ins):
            found.append(t)
    return found


def nothing_to_train(arch: nx.DiGraph) -> str:
    """Why ``arch``'s network has no parameters, and what to do about it."""
    dead = ", ".join(repr(n) for n in dead_outputs(arch))
    why = f": only zero ops lead to its output {dead}" if dead else ""
    return (
        f"the architecture has nothing to train{why}; derive it again with another rule"
        " (dagnas derive RUN --rule ...) or search longer, so that an op that computes is kept"
    )


def cells(arch: nx.DiGraph) -> dict[str, nx.DiGraph]:
    """Split an Architecture into one subgraph copy per ``cell`` name, sorted by name.

    Nodes without a ``cell`` attribute go to the group "".
    """
    groups: dict[str, list[Hashable]] = {}
    for n, c in arch.nodes(data="cell"):
        groups.setdefault("" if c is None else str(c), []).append(n)
    return {name: arch.subgraph(groups[name]).copy() for name in sorted(groups)}


def levels(g: nx.DiGraph) -> dict[Hashable, int]:
    """Longest-path level of every node: 0 for nodes without predecessors.

    Raises DagnasError if ``g`` has a cycle.
    """
    try:
        order = list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible as e:
        raise DagnasError(f"expected a DAG, found a cycle: {nx.find_cycle(g)}") from e
    level: dict[Hashable, int] = {}
    for v in order:
        level[v] = max((level[u] + 1 for u in g.predecessors(v)), default=0)
    return level


def active_subgraph(g: nx.DiGraph) -> nx.DiGraph:
    """Copy of ``g`` without inactive edges and without dead nodes.

    A node is kept if it lies on some input→output path over active edges, or
    is itself an input or output node. Graph attributes are kept.
    """
    h = g.copy()
    h.remove_edges_from([(u, v) for u, v, op in g.edges(data="op") if not is_active(op)])
    ins, outs = input_nodes(g), output_nodes(g)
    reached: set[Hashable] = set(ins)
    for s in ins:
        reached |= nx.descendants(h, s)
    reaching: set[Hashable] = set(outs)
    for t in outs:
        reaching |= nx.ancestors(h, t)
    keep = (reached & reaching) | set(ins) | set(outs)
    h.remove_nodes_from([n for n in g if n not in keep])
    return h


def _count_paths(
    g: nx.DiGraph, order: list[Hashable], ins: set[Hashable], outs: set[Hashable]
) -> int:
    """Number of distinct paths from a node in ``ins`` to a node in ``outs``.

    ``order`` is a topological order; paths are counted by DP, not enumerated.
    """
    count: dict[Hashable, int] = {}
    for v in order:
        count[v] = (1 if v in ins else 0) + sum(count[u] for u in g.predecessors(v))
    return sum(count[t] for t in outs)


def _skips(h: nx.DiGraph, level: dict[Hashable, int]) -> list[int]:
    """Skip length of each edge: difference of ``index`` if every node has one, else of level."""
    index = dict(h.nodes(data="index"))
    pos = index if all(i is not None for i in index.values()) else level
    return [int(pos[v]) - int(pos[u]) for u, v in h.edges]


def _stats(values: list[int]) -> tuple[float, float]:
    """(mean, max) of ``values``; (0, 0) when empty."""
    if not values:
        return 0.0, 0.0
    return sum(values) / len(values), float(max(values))


def dag_metrics(g: nx.DiGraph) -> dict[str, float]:
    """Structural metrics of one cell/block DAG, computed on its active subgraph.

    Given a whole Architecture (several disjoint cells), the metrics describe
    all input→output paths at once: ``depth`` is the max over cells, ``paths``
    the sum, counts and degrees run over all nodes.

    - ``depth``: longest input→output path, in active edges (0 if none).
    - ``width``: max number of nodes sharing a longest-path level.
    - ``nodes``, ``edges``: counts in the active subgraph (unsearched
      concat/sum edges included).
    - ``density``: edges / (n(n-1)/2).
    - ``skip_mean``, ``skip_max``: skip length of an edge u→v is
      ``index[v] - index[u]`` when every active node has an ``index``,
      else the difference of longest-path levels.
    - ``in_degree_mean/max`` over non-input nodes, ``out_degree_mean/max``
      over non-output nodes.
    - ``paths``: number of distinct input→output paths (DP in topological order).
    """
    h = active_subgraph(g)
    level = levels(h)
    order = sorted(h, key=level.__getitem__)
    ins, outs = set(input_nodes(g)), set(output_nodes(g))
    n, e = h.number_of_nodes(), h.number_of_edges()
    reached = {t for t in outs if any(u in ins for u in nx.ancestors(h, t))}
    per_level: dict[int, int] = {}
    for lv in level.values():
        per_level[lv] = per_level.get(lv, 0) + 1
    skip_mean, skip_max = _stats(_skips(h, level))
    in_mean, in_max = _stats([h.in_degree(v) for v in h if v not in ins])
    out_mean, out_max = _stats([h.out_degree(v) for v in h if v not in outs])
    return {
        "depth": float(max((level[t] for t in reached), default=0)),
        "width": float(max(per_level.values(), default=0)),
        "edges": float(e),
        "nodes": float(n),
        "density": e / (n * (n - 1) / 2) if n > 1 else 0.0,
        "skip_mean": skip_mean,
        "skip_max": skip_max,
        "in_degree_mean": in_mean,
        "in_degree_max": in_max,
        "out_degree_mean": out_mean,
        "out_degree_max": out_max,
        "paths": float(_count_paths(h, order, ins, outs)),
    }


#: kind name → the part of an Architecture's ``macro`` that defines its network
#: (filled by :func:`dagnas.kinds.register_kind`); a kind not listed hashes all of it
NETWORK_MACRO: dict[str, Callable[[Any], Any]] = {}
#: kind name → the pydantic model an Architecture's ``macro`` must fit to be built
#: (filled by :func:`dagnas.kinds.register_kind`; checked when a file is read)
MACRO_MODELS: dict[str, type[Any]] = {}


def _node_key(data: Mapping[str, Any]) -> list[Any]:
    """What makes two nodes the same for hashing/isomorphism.

    Role, cell, width and aggregate; inputs also keep their ``index``, since
    the inputs of a cell are distinct tensors (e.g. c_{k-2} vs c_{k-1}) and
    swapping them changes the network. An input's width is the data's (or the
    previous stage's output, found in that stage) and is left out, so the
    same architecture on data of another width hashes the same.
    """
    role = data.get("role")
    index = data.get("index") if role == "input" else None
    width = None if role == "input" else data.get("width")
    return [role, data.get("cell"), width, index, data.get("aggregate")]


def _edge_key(data: Mapping[str, Any]) -> list[Any]:
    """An edge's op, and every op it sums where a rule kept several (``ops_kept``)."""
    kept = data.get("ops_kept")
    return [data.get("op"), sorted(kept) if kept else None]


def network_key(arch: nx.DiGraph) -> list[Any]:
    """The graph attributes that define ``arch``'s child network: its kind and
    the network part of its ``macro`` (the data's shape and classes are not part)."""
    kind, macro = arch.graph.get("kind"), arch.graph.get("macro")
    pick = NETWORK_MACRO.get(kind) if isinstance(kind, str) else None
    return [kind, pick(macro) if pick and isinstance(macro, dict) else macro]


def _digest(*parts: Any) -> str:
    """Fixed-length hex digest of a JSON-able value."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def canonical_hash(arch: nx.DiGraph) -> str:
    """Hash equal for isomorphic architectures that build the same network.

    Node ids, ``alpha``, ``weights`` and the provenance graph attributes
    (``run``, ``space``...) are ignored; node ``role``, ``cell``, ``width``,
    ``aggregate`` (and an input's ``index``; not its width), edge ``op`` and
    ``ops_kept``, and the network part of the graph's ``kind`` and ``macro``
    (:func:`network_key`) count, "none" edges included (hash
    ``active_subgraph(arch)`` to ignore them). The scheme is
    :data:`~dagnas.versions.HASH_SCHEME`, part of the digest. It is a Weisfeiler-Lehman hash:
    equal for isomorphic graphs; collisions possible in principle, confirm
    with ``same_architecture``.

    Each edge u→v becomes a node labelled by its op, joined to u by an "o"
    link and to v by an "i" link, so direction is kept in an undirected hash.
    """
    ids = {n: i for i, n in enumerate(arch)}
    h = nx.Graph()
    for n, data in arch.nodes(data=True):
        h.add_node(ids[n], label=_digest("node", _node_key(data)))
    for k, (u, v, data) in enumerate(arch.edges(data=True), start=len(ids)):
        h.add_node(k, label=_digest("edge", _edge_key(data)))
        h.add_edge(ids[u], k, link="o")
        h.add_edge(k, ids[v], link="i")
    iterations = max(1, min(h.number_of_nodes(), 2 * len(ids)))
    wl = nx.weisfeiler_lehman_graph_hash(
        h, node_attr="label", edge_attr="link", iterations=iterations
    )
    return _digest(HASH_SCHEME, network_key(arch), wl)


def same_architecture(a: nx.DiGraph, b: nx.DiGraph) -> bool:
    """Exact check that ``a`` and ``b`` are isomorphic under the hash's labels
    and build the same network (:func:`network_key`)."""
    return _digest(network_key(a)) == _digest(network_key(b)) and nx.is_isomorphic(
        a,
        b,
        node_match=lambda x, y: _node_key(x) == _node_key(y),
        edge_match=lambda x, y: _edge_key(x) == _edge_key(y),
    )


def to_json_dict(arch: nx.DiGraph) -> dict[str, Any]:
    """Networkx node-link form, loadable by ``nx.node_link_graph(d, edges="edges")``."""
    return copy.deepcopy(nx.node_link_data(arch, edges="edges"))


def _check_node_link(d: object) -> None:
    """Raise DagnasError saying what is wrong if ``d`` is not a directed node-link dict."""
    if not isinstance(d, dict):
        raise DagnasError(f"expected a JSON object (node-link graph), found {type(d).__name__}")
    for key in ("nodes", "edges"):
        if not isinstance(d.get(key), list):
            raise DagnasError(f"expected a list under '{key}', found {d.get(key)!r:.60}")
    if d.get("directed") is False or d.get("multigraph") is True:
        raise DagnasError("expected a directed, non-multi graph ('directed': true)")
    if not isinstance(d.get("graph", {}), dict):
        raise DagnasError("expected an object under 'graph'")
    ids = set()
    for i, node in enumerate(d["nodes"]):
        if not isinstance(node, dict) or "id" not in node:
            raise DagnasError(f"nodes[{i}]: expected an object with an 'id', found {node!r:.60}")
        ids.add(json.dumps(node["id"]))
    for i, edge in enumerate(d["edges"]):
        if not isinstance(edge, dict) or "source" not in edge or "target" not in edge:
            raise DagnasError(f"edges[{i}]: expected an object with 'source' and 'target'")
        for end in ("source", "target"):
            if json.dumps(edge[end]) not in ids:
                raise DagnasError(f"edges[{i}].{end}: unknown node {edge[end]!r}")


def from_json_dict(d: dict[str, Any]) -> nx.DiGraph:
    """Inverse of ``to_json_dict``; raises DagnasError on a malformed dict."""
    _check_node_link(d)
    data = {**copy.deepcopy(d), "directed": True, "multigraph": False}
    try:
        return nx.DiGraph(nx.node_link_graph(data, edges="edges"))
    except (TypeError, KeyError, ValueError, nx.NetworkXError) as e:
        raise DagnasError(f"malformed node-link graph: {e}") from e

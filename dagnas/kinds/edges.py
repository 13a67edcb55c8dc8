"""What kinds whose choices are edge ops share: their derivation rules and drawer
(:class:`EdgeOpKind`, the base of `darts_cell` and `dag`)."""

from __future__ import annotations

import logging
from typing import Any

import networkx as nx
import numpy as np
import torch

from dagnas.engine import DERIVE_RULES
from dagnas.engine.derive import Argmax, derive
from dagnas.errors import SpecError
from dagnas.graph import input_nodes, output_nodes
from dagnas.kinds.base import SpaceKind
from dagnas.ops import is_zero
from dagnas.spec.models import issue_at

log = logging.getLogger(__name__)

#: the derivation rules that read edge ops
EDGE_RULES = frozenset({"topk", "argmax", "threshold", "support", "perturbation"})


def _random_one_hot(graph: nx.DiGraph, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """Per searched edge: one op drawn uniformly, weight U[0.5, 1) on it, 0 elsewhere."""
    weights = {}
    for _, _, d in sorted(graph.edges(data=True), key=lambda e: str(e[2].get("key"))):
        if "ops" in d:
            w = torch.zeros(len(d["ops"]))
            w[int(rng.integers(len(d["ops"])))] = float(rng.uniform(0.5, 1.0))
            weights[d["key"]] = w
    return weights


def draw_ops(graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
    """Each searched edge gets one op drawn uniformly from its candidates, with a
    weight drawn uniformly from [0.5, 1); the space's own derivation rule then
    turns these one-hot weights into an Architecture (DARTS's top-k keeps the
    k strongest non-`none` edges per node, so the kept edges are a uniformly
    random subset). A rule that needs a trained supernet (``perturbation``)
    is replaced by ``argmax``."""
    rule = dict(graph.graph["derive"])
    if getattr(DERIVE_RULES.get(rule["name"]), "needs_model", False):
        log.info("derivation rule %r needs a supernet; sampling with argmax", rule["name"])
        return [Argmax()(graph, _random_one_hot(graph, rng)) for _ in range(n)]
    return [derive(graph, _random_one_hot(graph, rng)) for _ in range(n)]


def live_graph(g: nx.DiGraph) -> nx.DiGraph:
    """``g``'s edges that can compute: fixed edges, and searched edges with a
    candidate op that is not a zero op."""
    live = nx.DiGraph()
    live.add_nodes_from(g)
    live.add_edges_from(
        (u, v)
        for u, v, d in g.edges(data=True)
        if "ops" not in d or not all(is_zero(op) for op in d["ops"])
    )
    return live


def dead_outputs(g: nx.DiGraph) -> list[str]:
    """The output nodes of ``g`` no input of their cell reaches over :func:`live_graph`."""
    live = live_graph(g)
    found = []
    for t in output_nodes(g):
        cell = g.nodes[t].get("cell")
        ins = [s for s in input_nodes(g) if g.nodes[s].get("cell") == cell]
        if not any(nx.has_path(live, s, t) for s in ins):
            found.append(t)
    return found


def check_rule_fit(spec: Any, g: nx.DiGraph) -> None:
    """The derivation rule's options can be met on ``g``: ``topk``'s k is at most
    the most searched edges into a node (else it keeps every edge), and
    ``threshold`` lies in [0, 1), where mixing weights lie (else it keeps none)."""
    rule = g.graph["derive"]
    if rule["name"] == "topk":
        most = max((sum("ops" in d for *_, d in g.in_edges(v, data=True)) for v in g), default=0)
        if rule["k"] > most:
            raise issue_at(
                spec,
                ("derive", "k"),
                f"topk keeps k={rule['k']} edges per node, but no node has more than {most}"
                f" searched incoming edges, so every edge would be kept; use k <= {most}",
            )
    if rule["name"] == "threshold" and not 0 <= rule["threshold"] < 1:
        raise issue_at(
            spec,
            ("derive", "threshold"),
            f"threshold {rule['threshold']} keeps {'no' if rule['threshold'] >= 1 else 'every'}"
            " op: mixing weights lie in [0, 1]; use 0 <= threshold < 1",
        )


class EdgeOpKind(SpaceKind):
    """A kind whose searched edges choose ops: the edge-op rules, :func:`draw_ops`,
    and the checks that every output is reached by ops that compute."""

    derive_rules = EDGE_RULES

    def dead_output(self, spec: Any, g: nx.DiGraph, node: str) -> SpecError:
        """The error for output ``node`` that only zero ops reach (a kind says where)."""
        return issue_at(
            spec,
            ("edges",),
            f"only zero ops (none/zero) lead to the output node '{node}': the network would"
            " compute nothing; give an edge on a path to it an op that computes",
        )

    def check(self, spec: Any, g: nx.DiGraph) -> None:
        for node in dead_outputs(g):
            raise self.dead_output(spec, g, node)
        check_rule_fit(spec, g)

    def draw(self, graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
        return draw_ops(graph, n, rng)

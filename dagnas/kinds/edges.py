"""What kinds whose choices are edge ops share: their derivation rules, drawer
and enumerator (:class:`EdgeOpKind`, the base of `darts_cell` and `dag`)."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator
from typing import Any

import networkx as nx
import numpy as np
import torch

from dagnas.engine import DERIVE_RULES
from dagnas.engine.derive import Argmax, TopK, derive
from dagnas.errors import DagnasError, SpecError
from dagnas.graph import dead_outputs
from dagnas.kinds.base import SpaceKind
from dagnas.ops import OPS
from dagnas.spec.models import issue_at

log = logging.getLogger(__name__)

#: the derivation rules that read edge ops
EDGE_RULES = frozenset(
    {"topk", "argmax", "threshold", "threshold_sparse", "support", "perturbation"}
)


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


def check_rule_fit(spec: Any, g: nx.DiGraph) -> None:
    """The derivation rule's options can be met on ``g``: ``topk``'s (and
    ``threshold_sparse``'s) k is at most the most searched edges into a node
    (else it keeps every edge), and a ``threshold`` lies in [0, 1), where
    mixing weights lie (else it keeps none)."""
    rule = g.graph["derive"]
    if rule["name"] in ("topk", "threshold_sparse"):
        most = max((sum("ops" in d for *_, d in g.in_edges(v, data=True)) for v in g), default=0)
        if rule["k"] > most:
            raise issue_at(
                spec,
                ("derive", "k"),
                f"{rule['name']} keeps k={rule['k']} edges per node, but no node has more than"
                f" {most} searched incoming edges, so every edge would be kept; use k <= {most}",
            )
    if rule["name"] in ("threshold", "threshold_sparse") and not 0 <= rule["threshold"] < 1:
        raise issue_at(
            spec,
            ("derive", "threshold"),
            f"threshold {rule['threshold']} keeps {'no' if rule['threshold'] >= 1 else 'every'}"
            " op: mixing weights lie in [0, 1]; use 0 <= threshold < 1",
        )


#: one edge's choice in an enumeration: (edge key, op index)
Pick = tuple[str, int]


def _enumerated_rule(graph: nx.DiGraph) -> tuple[str, int]:
    """(rule name, k) of the rule an enumeration follows: ``argmax`` in place of
    a rule that needs the supernet; DagnasError for rules keeping several ops."""
    rule = dict(graph.graph["derive"])
    name = rule["name"]
    if getattr(DERIVE_RULES.get(name), "needs_model", False):
        return "argmax", 0
    if name not in ("argmax", "topk"):
        keeps = (
            "keeps one op or none on each of a node's top-k edges (a cut edge is a child"
            " of its own), which this enumeration does not list"
            if name == "threshold_sparse"
            else "may keep any subset of an edge's ops, too many architectures to list"
        )
        raise DagnasError(
            f"space '{graph.graph.get('space')}': derivation rule '{name}' {keeps};"
            " enumerate a space whose derive is argmax or topk"
        )
    return name, int(rule.get("k", 2))


def _edge_options(graph: nx.DiGraph, name: str, k: int) -> list[list[list[Pick]]]:
    """Independent groups of options, an Architecture taking one option per group.

    ``argmax``: one group per searched edge, one option per op. ``topk``: one
    group per node, one option per choice of its k kept in-edges and a non-zero
    op on each."""
    searched = [d for _, _, d in graph.edges(data=True) if "ops" in d]
    if name == "argmax":
        return [[[(d["key"], i)] for i in range(len(d["ops"]))] for d in searched]
    groups = []
    for v in graph.nodes:
        edges = sorted(
            (d for _, _, d in graph.in_edges(v, data=True) if "ops" in d), key=lambda d: d["key"]
        )
        if not edges:
            continue
        options = []
        for kept in itertools.combinations(edges, min(k, len(edges))):
            live = [[i for i, op in enumerate(d["ops"]) if not OPS.get(op).zero] for d in kept]
            live = [ops or list(range(len(d["ops"]))) for ops, d in zip(live, kept, strict=True)]
            for ops in itertools.product(*live):
                options.append([(d["key"], i) for d, i in zip(kept, ops, strict=True)])
        groups.append(options)
    return groups


class EdgeOpKind(SpaceKind):
    """A kind whose searched edges choose ops: the edge-op rules, :func:`draw_ops`,
    the checks that every output is reached by ops that compute, and an
    enumerator following the space's rule (``argmax`` or ``topk``)."""

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

    def size(self, graph: nx.DiGraph) -> int:
        return math.prod(len(g) for g in _edge_options(graph, *_enumerated_rule(graph)))

    def enumerate(self, graph: nx.DiGraph) -> Iterator[nx.DiGraph]:
        """One-hot weights for each combination of options, through the space's rule."""
        name, k = _enumerated_rule(graph)
        groups = _edge_options(graph, name, k)
        zeros = {
            d["key"]: torch.zeros(len(d["ops"])) for _, _, d in graph.edges(data=True) if "ops" in d
        }
        rule = Argmax() if name == "argmax" else TopK(k)
        for combo in itertools.product(*groups):
            weights = {key: w.clone() for key, w in zeros.items()}
            for key, i in itertools.chain.from_iterable(combo):
                weights[key][i] = 1.0
            yield rule(graph, weights)

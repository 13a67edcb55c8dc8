"""What kinds whose choices are edge ops share: their derivation rules and drawer
(:class:`EdgeOpKind`, the base of `darts_cell` and `dag`)."""

from __future__ import annotations

import logging

import networkx as nx
import numpy as np
import torch

from dagnas.engine import DERIVE_RULES
from dagnas.engine.derive import Argmax, derive
from dagnas.kinds.base import SpaceKind

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


class EdgeOpKind(SpaceKind):
    """A kind whose searched edges choose ops: the edge-op rules, :func:`draw_ops`."""

    derive_rules = EDGE_RULES

    def draw(self, graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
        return draw_ops(graph, n, rng)

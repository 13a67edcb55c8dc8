"""Draw candidate Architectures from a SearchGraph's space, without a search.

``sample_architectures(graph, n, seed)`` returns ``n`` pairwise non-isomorphic
Architectures (distinct :func:`~dagnas.graph.canonical_hash`), the same ones
for the same ``seed``. How a candidate is drawn depends on the space kind:

- `darts_cell` and `dag`: each searched edge gets one op drawn uniformly
  from its candidates, with a weight drawn uniformly from [0.5, 1); the
  space's own derivation rule then turns these one-hot weights into an
  Architecture (DARTS's top-k keeps the k strongest non-`none` edges per
  node, so the kept edges are a uniformly random subset). A rule that needs
  a trained supernet (``perturbation``) is replaced by ``argmax``.
- `dense_blocks`: each stage's ``uniform`` sampler (uniform over its
  constrained DAGs up to isomorphism, seeded per stage as a run seeds it)
  draws distinct blocks; candidate i takes block i of every stage.

Candidates whose output is not reached from an input over active edges
(every path cut by `none`/`zero` ops) are dropped: their output ignores the data.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import networkx as nx
import numpy as np
import torch

from dagnas.errors import DagnasError
from dagnas.graph import active_subgraph, canonical_hash, input_nodes, output_nodes
from dagnas.samplers import (
    MAX_ENUMERATE_VERTICES,
    DagConstraints,
    UniformSampler,
    space_size,
    stage_seed,
)
from dagnas.search.components import DERIVE_RULES
from dagnas.search.derive import Argmax, block_architecture, derive

log = logging.getLogger(__name__)

#: Draws per requested candidate (plus a floor) before giving up on finding distinct ones
TRIES_PER_CANDIDATE = 50
TRIES_FLOOR = 200

#: ``draw(graph, n, rng) -> n Architectures`` (possibly isomorphic), by space kind
Draw = Callable[[nx.DiGraph, int, np.random.Generator], list[nx.DiGraph]]


def _random_one_hot(graph: nx.DiGraph, rng: np.random.Generator) -> dict[str, torch.Tensor]:
    """Per searched edge: one op drawn uniformly, weight U[0.5, 1) on it, 0 elsewhere."""
    weights = {}
    for _, _, d in sorted(graph.edges(data=True), key=lambda e: str(e[2].get("key"))):
        if "ops" in d:
            w = torch.zeros(len(d["ops"]))
            w[int(rng.integers(len(d["ops"])))] = float(rng.uniform(0.5, 1.0))
            weights[d["key"]] = w
    return weights


def _draw_ops(graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
    """Random one-hot weights per edge, discretised by the space's derivation rule."""
    rule = dict(graph.graph["derive"])
    if getattr(DERIVE_RULES.get(rule["name"]), "needs_model", False):
        log.info("derivation rule %r needs a supernet; sampling with argmax", rule["name"])
        return [Argmax()(graph, _random_one_hot(graph, rng)) for _ in range(n)]
    return [derive(graph, _random_one_hot(graph, rng)) for _ in range(n)]


def _draw_blocks(graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
    """``n`` candidates whose stage blocks are distinct uniform draws per stage."""
    seed = int(rng.integers(2**31))
    per_stage = {}
    for s, st in enumerate(graph.graph["macro"]["stages"]):
        constraints = DagConstraints.from_dict(st["constraints"])
        size = space_size(constraints) if constraints.vertices <= MAX_ENUMERATE_VERTICES else None
        if size is not None and n > size:
            raise DagnasError(
                f"stage {st['name']} of space '{graph.graph.get('space')}' holds only {size} "
                f"distinct DAGs ({constraints}); ask for at most {size} candidates"
            )
        per_stage[st["name"]] = UniformSampler(constraints, stage_seed(seed, s)).sample(n)
    return [
        block_architecture(graph, {name: blocks[i] for name, blocks in per_stage.items()})
        for i in range(n)
    ]


DRAWS: dict[str, Draw] = {"darts_cell": _draw_ops, "dag": _draw_ops, "dense_blocks": _draw_blocks}


def reads_input(arch: nx.DiGraph) -> bool:
    """Whether every output node is reached from an input node over active edges."""
    h = active_subgraph(arch)
    ins = input_nodes(arch)
    return all(any(nx.has_path(h, i, o) for i in ins) for o in output_nodes(arch))


def sample_architectures(graph: nx.DiGraph, n: int, seed: int = 0) -> list[nx.DiGraph]:
    """``n`` non-isomorphic Architectures of SearchGraph ``graph``'s space, drawn with ``seed``.

    Each gets ``graph["run"] = "sample<seed>:<i>"``. Raises DagnasError when
    the space does not hold ``n`` distinct Architectures that can be found.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DagnasError(f"the number of candidates must be an integer >= 0, got {n!r}")
    kind = graph.graph.get("kind")
    if kind not in DRAWS:
        raise DagnasError(f"cannot sample space kind {kind!r} (known: {', '.join(sorted(DRAWS))})")
    rng = np.random.default_rng(seed)
    found: dict[str, nx.DiGraph] = {}
    budget = TRIES_PER_CANDIDATE * n + TRIES_FLOOR
    tries = 0
    while len(found) < n and tries < budget:
        batch = DRAWS[kind](graph, min(n - len(found), budget - tries), rng)
        tries += len(batch)
        for arch in batch:
            if reads_input(arch):
                found.setdefault(canonical_hash(arch), arch)
    if len(found) < n:
        raise DagnasError(
            f"found only {len(found)} distinct architectures of space "
            f"'{graph.graph.get('space')}' in {tries} draws, {n} were asked for; "
            "ask for fewer candidates"
        )
    archs = list(found.values())[:n]
    for i, arch in enumerate(archs):
        arch.graph["run"] = f"sample{seed}:{i}"
    return archs

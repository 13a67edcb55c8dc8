"""Derivation rules: final mixing weights → a discrete Architecture.

The Architecture is a networkx DiGraph with one op per kept edge (``op``,
its mixing weight ``alpha``, all candidates' ``weights``), the SearchGraph's
nodes and fixed edges, and its graph attributes plus ``run``. Which rules
apply to a space kind is the kind's ``derive_rules`` (:mod:`dagnas.kinds`).
A rule that keeps no searched edge at all (a ``threshold`` above every
weight) falls back to each edge's strongest op that is not a zero op, and
says so in the Architecture's ``derive_fallback`` attribute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

import networkx as nx
import torch
from torch import nn

from dagnas.engine.components import DERIVE_RULES
from dagnas.errors import RunError
from dagnas.export.nb201 import nb201_string
from dagnas.ops import OPS
from dagnas.registry import Strict, StrictPositiveInt
from dagnas.samplers import Block, block_from_json, block_to_json

Weights = dict[str, torch.Tensor]
log = logging.getLogger(__name__)


def _skeleton(g: nx.DiGraph, run: str | None) -> nx.DiGraph:
    arch = nx.DiGraph(**{k: v for k, v in g.graph.items()}, run=run)
    arch.add_nodes_from(g.nodes(data=True))
    arch.add_edges_from((u, v, d) for u, v, d in g.edges(data=True) if "ops" not in d)
    return arch


def _keep(arch: nx.DiGraph, u: str, v: str, d: dict[str, Any], w: torch.Tensor, op: int) -> None:
    vals = w.tolist()
    arch.add_edge(
        u,
        v,
        op=d["ops"][op],
        alpha=vals[op],
        searched=True,
        key=d["key"],
        weights=dict(zip(d["ops"], vals, strict=True)),
    )


def _best_nonzero(ops: list[str], w: torch.Tensor) -> int:
    """Index of the strongest op that is not `none`/`zero` (ties: first)."""
    live = [i for i, op in enumerate(ops) if not OPS.get(op).zero] or list(range(len(ops)))
    return max(live, key=lambda i: w[i].item())


def edge_weights(g: nx.DiGraph, weights: Weights, v: Any) -> dict[str, float]:
    """PC-DARTS's edge normalisation: ``{in-edge key: its weight}`` of node ``v``
    when the graph's ``edge_norm`` gives ``v`` a choice over its in-edges; else {}."""
    keys = g.graph.get("edge_norm", {}).get(v)
    return dict(zip(keys, weights[v].tolist(), strict=True)) if keys else {}


@DERIVE_RULES.register("topk")
class TopK:
    """DARTS: per node keep the k incoming edges whose best non-`none` op is
    strongest; each keeps that op (Liu et al. 2019). With edge normalisation
    (PC-DARTS) an edge's strength is its op's weight times the edge's weight,
    which its kept edge records as ``edge_weight``."""

    class Options(Strict):
        k: StrictPositiveInt = 2

    def __init__(self, k: int = 2):
        self.k = k

    def __call__(self, g: nx.DiGraph, weights: Weights, run: str | None = None) -> nx.DiGraph:
        arch = _skeleton(g, run)
        for v in g.nodes:
            scale = edge_weights(g, weights, v)
            for u, d in _top_edges(g, v, weights, self.k, scale):
                w = weights[d["key"]]
                _keep(arch, u, v, d, w, _best_nonzero(d["ops"], w))
                if scale:
                    arch.edges[u, v]["edge_weight"] = scale[d["key"]]
        return _finish(arch)


def _top_edges(
    g: nx.DiGraph, v: str, weights: Weights, k: int, scale: dict[str, float] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """The ``k`` searched in-edges of ``v`` whose strongest non-zero op is strongest
    (its weight times the edge's weight in ``scale``, PC-DARTS, where given)."""
    scale = scale or {}
    edges = [(u, d) for u, _, d in g.in_edges(v, data=True) if "ops" in d]
    best = {
        d["key"]: weights[d["key"]][_best_nonzero(d["ops"], weights[d["key"]])].item()
        * scale.get(d["key"], 1.0)
        for _, d in edges
    }
    return sorted(edges, key=lambda e: -best[e[1]["key"]])[:k]


@DERIVE_RULES.register("threshold_sparse")
class ThresholdSparse:
    """FairDARTS's derivation (Chu et al., ECCV 2020; xiaomi-automl/FairDARTS,
    ``utils.parse`` with its default ``threshold_sparse``): per node the k
    in-edges whose strongest op is strongest (DARTS's choice of edges), then on
    each of them its strongest op if that weight is at least ``threshold``.
    Zero ops are no candidates there (they are passed over). An edge that keeps
    no op holds `none` where that is one of its candidates (as NAS-Bench-201
    writes a cut edge; the network is the same) and is dropped otherwise.
    Every edge holds one op, so an NB201 string describes the child exactly.
    When no op anywhere reaches the threshold, the rule keeps nothing and
    :func:`derive` falls back as for ``threshold``.
    """

    class Options(Strict):
        k: StrictPositiveInt = 2
        threshold: float = 0.85

    def __init__(self, k: int = 2, threshold: float = 0.85):
        self.k, self.threshold = k, threshold

    def __call__(self, g: nx.DiGraph, weights: Weights, run: str | None = None) -> nx.DiGraph:
        arch = _skeleton(g, run)
        kept = {
            (u, v): _best_nonzero(d["ops"], weights[d["key"]])
            for v in g.nodes
            for u, d in _top_edges(g, v, weights, self.k)
        }
        kept = {e: i for e, i in kept.items() if weights[g.edges[e]["key"]][i] >= self.threshold}
        if not kept:
            return _finish(arch)
        for u, v, d in g.edges(data=True):
            zero = [i for i, op in enumerate(d.get("ops", [])) if OPS.get(op).zero]
            op = kept.get((u, v), zero[0] if zero else None)
            if op is not None:
                _keep(arch, u, v, d, weights[d["key"]], op)
        return _finish(arch)


@DERIVE_RULES.register("argmax")
class Argmax:
    """Every edge keeps its argmax op, `none` included (NAS-Bench-201)."""

    def __call__(self, g: nx.DiGraph, weights: Weights, run: str | None = None) -> nx.DiGraph:
        arch = _skeleton(g, run)
        for u, v, d in g.edges(data=True):
            if "ops" in d:
                w = weights[d["key"]]
                _keep(arch, u, v, d, w, int(torch.argmax(w)))
        return _finish(arch)


class _PerOp:
    """Every edge keeps each of its non-`none` ops that :meth:`keeps` accepts.

    An Architecture edge holds one ``op``: the strongest kept one. When
    several are kept, ``ops_kept`` lists them all, strongest first, and the
    child network sums them; an edge with none kept is dropped.
    """

    def keeps(self, w: float) -> bool:
        raise NotImplementedError

    def __call__(self, g: nx.DiGraph, weights: Weights, run: str | None = None) -> nx.DiGraph:
        arch = _skeleton(g, run)
        for u, v, d in g.edges(data=True):
            if "ops" not in d:
                continue
            w = weights[d["key"]]
            kept = [
                i
                for i, op in enumerate(d["ops"])
                if not OPS.get(op).zero and self.keeps(w[i].item())
            ]
            kept.sort(key=lambda i: -w[i].item())
            if kept:
                _keep(arch, u, v, d, w, kept[0])
            if len(kept) > 1:
                arch.edges[u, v]["ops_kept"] = [d["ops"][i] for i in kept]
        return _finish(arch)


@DERIVE_RULES.register("threshold")
class Threshold(_PerOp):
    """FairDARTS (Chu et al. 2020): keep every op whose weight exceeds ``threshold``."""

    class Options(Strict):
        threshold: float = 0.85

    def __init__(self, threshold: float = 0.85):
        self.threshold = threshold

    def keeps(self, w: float) -> bool:
        return w > self.threshold


@DERIVE_RULES.register("support")
class Support(_PerOp):
    """Sparse α (Ito 2022): keep every op whose weight is not exactly zero."""

    def keeps(self, w: float) -> bool:
        return w != 0


BlockPick = Callable[[int, str, list[Block]], tuple[int, dict[str, Any]]]


def choose_blocks(g: nx.DiGraph, weights: Weights, run: str | None, pick: BlockPick) -> nx.DiGraph:
    """The Architecture with, in each stage of a `dense_blocks` SearchGraph
    ``g``, the block ``pick(stage index, choice key, the stage's blocks)``
    names (its slot, and what to record beside it in ``graph["chosen"]``).
    The blocks are read from ``g.graph["blocks"]`` (see
    :meth:`dagnas.compile.Supernet.current_graph`)."""
    chosen, info = {}, {}
    for n, st in enumerate(g.graph["macro"]["stages"]):
        name = st["name"]
        key, w = f"{name}:blocks", weights[f"{name}:blocks"]
        blocks = [block_from_json(b) for b in g.graph["blocks"][name]]
        slot, extra = pick(n, key, blocks)
        chosen[name] = blocks[slot]
        info[name] = {"slot": slot, "alpha": w[slot].item(), "weights": w.tolist(), **extra}
    arch = block_architecture(g, chosen, run, {n: i["alpha"] for n, i in info.items()})
    for name, i in info.items():
        arch.graph["chosen"][name].update(i)
    return arch


@DERIVE_RULES.register("best_block")
class BestBlock:
    """Dense blocks (Neumeyer 2021): per stage, the block with the largest final
    mixing weight (ties: the first slot)."""

    def __call__(self, g: nx.DiGraph, weights: Weights, run: str | None = None) -> nx.DiGraph:
        def largest(_: int, key: str, __: list[Block]) -> tuple[int, dict[str, Any]]:
            return int(torch.argmax(weights[key])), {}

        return choose_blocks(g, weights, run, largest)


def block_architecture(
    g: nx.DiGraph,
    blocks: Mapping[str, Block],
    run: str | None = None,
    alpha: Mapping[str, float] | None = None,
) -> nx.DiGraph:
    """The Architecture of a `dense_blocks` space (a SearchGraph or Architecture
    ``g``) with block ``blocks[stage]`` in each stage. Edges carry the stage's
    dense op and, for searched blocks (``alpha`` given), ``alpha`` and ``key``.
    ``graph["chosen"][stage]["edges"]`` lists each stage's block."""
    attrs = {k: v for k, v in g.graph.items() if k not in ("blocks", "chosen", "run")}
    arch = nx.DiGraph(**attrs, run=run, chosen={})
    arch.add_nodes_from(g.nodes(data=True))
    for st in g.graph["macro"]["stages"]:
        name = st["name"]
        arch.graph["chosen"][name] = {"edges": block_to_json(blocks[name])}
        for i, j in blocks[name]:
            searched = {} if alpha is None else {"alpha": alpha[name], "key": f"{name}:blocks"}
            arch.add_edge(
                f"{name}:v{i}", f"{name}:v{j}", op=st["op"], searched=alpha is not None, **searched
            )
    return arch


def _finish(arch: nx.DiGraph) -> nx.DiGraph:
    s = nb201_string(arch)
    if s is not None:
        arch.graph["nb201"] = s
    return arch


def derive(
    g: nx.DiGraph,
    weights: Weights,
    run: str | None = None,
    *,
    model: Any = None,
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> nx.DiGraph:
    """Apply the SearchGraph's derivation rule (``g.graph["derive"]``).

    A rule whose class sets ``needs_model = True`` (e.g. ``perturbation``)
    also receives the trained supernet and the validation split ``(x, y)``
    as keyword arguments ``model`` and ``val``. Non-finite weights are refused
    (RunError): no architecture comes from a diverged search.
    """
    bad = sorted(k for k, w in weights.items() if not torch.isfinite(w).all())
    if bad:
        raise RunError(
            f"the mixing weights of {', '.join(bad[:3])}{' ...' * (len(bad) > 3)} are not finite;"
            " no architecture is derived from them (the search diverged)"
        )
    spec = dict(g.graph["derive"])
    name = spec.pop("name")
    rule = DERIVE_RULES.get(name)
    if not getattr(rule, "needs_model", False):
        return _unless_empty(g, weights, run, rule(**spec)(g, weights, run))
    if model is None or val is None:
        raise RunError(
            f"derivation rule '{name}' needs the trained supernet and validation data;"
            " call derive(..., model=supernet, val=(x, y))"
        )
    return _unless_empty(g, weights, run, rule(**spec)(g, weights, run, model=model, val=val))


def _unless_empty(g: nx.DiGraph, weights: Weights, run: str | None, arch: nx.DiGraph) -> nx.DiGraph:
    """``arch``, unless its rule kept no searched edge of a space that has some
    (``threshold`` above every weight): then every searched edge keeps its
    strongest op that is not a zero op, and ``graph["derive_fallback"]`` says why."""
    if "choices" in g.graph or any(d.get("searched") for *_, d in arch.edges(data=True)):
        return arch
    if not any("ops" in d for *_, d in g.edges(data=True)):
        return arch
    rule = g.graph["derive"]["name"]
    why = (
        f"rule '{rule}' kept no edge; each edge keeps its strongest op that is not a zero op"
        " instead"
    )
    log.warning("derive: %s", why)
    fallback = _skeleton(g, run)
    for u, v, d in g.edges(data=True):
        if "ops" in d:
            _keep(fallback, u, v, d, weights[d["key"]], _best_nonzero(d["ops"], weights[d["key"]]))
    fallback.graph["derive_fallback"] = why
    return _finish(fallback)


def discretize(g: nx.DiGraph, weights: Weights) -> Weights:
    """D(w): the derived architecture as one-hot mixing weights, detached.

    Each kept edge gets 1 on its op; edges the rule drops (e.g. outside
    DARTS's top-k) are all zero. Rules that need the supernet (``needs_model``)
    are replaced by the per-edge ``argmax``, which needs only ``weights``. In
    spaces whose choices are graph attributes (dense blocks, whose rule
    ``best_block`` keeps the largest weight) it is the argmax of each choice.
    """
    detached = {k: w.detach() for k, w in weights.items()}
    if "choices" in g.graph:  # choices not on edges (dense blocks): argmax per choice
        return {k: nn.functional.one_hot(w.argmax(), len(w)).to(w) for k, w in detached.items()}
    spec = dict(g.graph["derive"])
    rule = DERIVE_RULES.get(spec.pop("name"))
    if getattr(rule, "needs_model", False):
        arch = Argmax()(g, detached)
    else:
        arch = rule(**spec)(g, detached)
    ops = {d["key"]: d["ops"] for _, _, d in g.edges(data=True) if "ops" in d}
    out = {k: torch.zeros_like(w) for k, w in detached.items()}
    for _, _, d in arch.edges(data=True):
        if d.get("searched"):
            out[d["key"]][ops[d["key"]].index(d["op"])] = 1.0
    return out

"""Architectures whose ops are given: a DARTS genotype or an NB201 string
turned into an Architecture of a target space.

The macro settings (channels, layers, reductions...) come from the space and
the data's shape; the ops from the string. The space's SearchGraph gets
one-hot mixing weights (a kept edge: 1 on its op; any other edge: 1 on its
zero op) and goes through the space's own derivation rule, so the result is
exactly what :func:`dagnas.engine.derive.derive` writes for a search that
ended there. Op names other codebases spell differently are mapped
(:data:`OP_ALIASES`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import networkx as nx
import torch

from dagnas.engine.derive import derive
from dagnas.errors import DagnasError
from dagnas.export.genotype import INPUTS, Genotype, genotype
from dagnas.export.nb201 import is_nb201_shaped, parse_nb201
from dagnas.ops import OPS
from dagnas.registry import did_you_mean
from dagnas.spec.lower import lower

#: op names of other codebases → dagnas's: NNI's DARTS example, NB201/AutoDL's
#: and Zero/Identity spellings
OP_ALIASES: dict[str, str] = {
    "zero": "none",
    "Zero": "none",
    "identity": "skip_connect",
    "Identity": "skip_connect",
    "skipconnect": "skip_connect",
    "maxpool": "max_pool_3x3",
    "avgpool": "avg_pool_3x3",
    "sepconv3x3": "sep_conv_3x3",
    "sepconv5x5": "sep_conv_5x5",
    "dilconv3x3": "dil_conv_3x3",
    "dilconv5x5": "dil_conv_5x5",
}


def map_op(op: str, candidates: list[str], where: str) -> str:
    """``op`` as one of the edge's ``candidates`` (an alias mapped), or a DagnasError
    naming the op, where it is and the ops that would do."""
    for name in (op, OP_ALIASES.get(op)):
        if name in candidates:
            return name
    if op not in OPS and op not in OP_ALIASES:
        known = sorted({*OPS.names(), *OP_ALIASES})
        raise DagnasError(
            f"unknown op '{op}' at {where}{did_you_mean(op, known)} (known ops: {', '.join(known)})"
        )
    raise DagnasError(
        f"op '{op}' at {where} is not a candidate of the target space there"
        f" (candidates: {', '.join(candidates)}); choose a space that has it"
    )


def fixed_architecture(graph: nx.DiGraph, ops: Mapping[str, str], run: str | None) -> nx.DiGraph:
    """The Architecture of SearchGraph ``graph`` keeping ``ops[key]`` on each
    choice ``key`` given (ops already among the edge's candidates) and no other
    edge, derived by the space's rule. DagnasError if the rule cannot keep
    exactly these (e.g. topk with k=2 and three edges into a node)."""
    candidates = {d["key"]: d["ops"] for _, _, d in graph.edges(data=True) if "ops" in d}
    extra = sorted(set(ops) - set(candidates))
    if extra:
        raise DagnasError(
            f"edges {', '.join(extra)} are not searched edges of space"
            f" '{graph.graph['space']}' (its edges: {', '.join(sorted(candidates))})"
        )
    weights = {}
    for key, cands in candidates.items():
        w = torch.zeros(len(cands))
        zeros = [i for i, c in enumerate(cands) if OPS.get(c).zero]
        hot = [cands.index(ops[key])] if key in ops else zeros[:1]
        w[hot] = 1.0
        weights[key] = w
    arch = derive(graph, weights, run)
    kept = {d["key"]: d["op"] for _, _, d in arch.edges(data=True) if d.get("searched")}
    if kept != dict(ops):
        rule = graph.graph["derive"]
        raise DagnasError(
            f"the derivation rule {rule} of space '{graph.graph['space']}' does not keep"
            f" exactly the given edges (kept {len(kept)} of {len(ops)}); use a space whose"
            " rule can (DARTS genotypes: topk with k=2; NB201 strings: argmax)"
        )
    return arch


def _candidates(graph: nx.DiGraph, cell: str, i: int, j: int, where: str) -> list[str]:
    """The candidate ops of edge ``cell:i -> cell:j`` of the SearchGraph."""
    d = graph.get_edge_data(f"{cell}:{i}", f"{cell}:{j}")
    if d is None or "ops" not in d:
        raise DagnasError(f"{where}: space '{graph.graph['space']}' searches no edge {i}->{j}")
    return list(d["ops"])


def _space_graph(spec: Any, input_shape: tuple[int, ...], num_classes: int) -> nx.DiGraph:
    if spec.kind != "darts_cell":
        raise DagnasError(f"space '{spec.name}' is a {spec.kind} space; expected a darts_cell one")
    return lower(spec, input_shape, num_classes)


def from_genotype(
    geno: Genotype | str,
    spec: Any,
    input_shape: tuple[int, ...],
    num_classes: int,
    run: str | None = None,
) -> nx.DiGraph:
    """The Architecture of darts_cell space ``spec`` (for data of ``input_shape``
    and ``num_classes``) with the cells of ``geno``: a Genotype, a genotype
    string or a preset name (``DARTS_V2``...)."""
    g = genotype(geno) if isinstance(geno, str) else geno
    graph = _space_graph(spec, input_shape, num_classes)
    m = graph.graph["macro"]
    if (m["input_nodes"], m["output"]) != (INPUTS, "concat"):
        raise DagnasError(
            f"space '{spec.name}' has input_nodes: {m['input_nodes']}, output: {m['output']};"
            " a DARTS genotype needs input_nodes: 2 and output: concat"
        )
    ops: dict[str, str] = {}
    for cell in graph.graph["cells"]:
        edges, concat = g.cell(cell)
        nodes = list(range(INPUTS, INPUTS + m["nodes"]))
        if len(edges) != 2 * m["nodes"] or concat != nodes:
            raise DagnasError(
                f"the genotype's {cell} cell has {len(edges)} edges and concat {concat}; space"
                f" '{spec.name}' has {m['nodes']} nodes, so it needs {2 * m['nodes']} edges"
                f" (two per node) and concat {nodes}"
            )
        for n, (op, i) in enumerate(edges):
            j = INPUTS + n // 2
            key, where = f"{cell}:{i}->{j}", f"{cell}[{n}] (node {j} ← node {i})"
            if not 0 <= i < j or key in ops:
                why = "an earlier node" if key not in ops else "a node it does not already take"
                raise DagnasError(f"{where}: node {j} can only take {why}")
            ops[key] = map_op(op, _candidates(graph, cell, i, j, where), where)
    return fixed_architecture(graph, ops, run)


def from_nb201(
    text: str, spec: Any, input_shape: tuple[int, ...], num_classes: int, run: str | None = None
) -> nx.DiGraph:
    """The Architecture of NB201-shaped space ``spec`` (e.g. ``spaces/nb201.yaml``)
    with the ops of the NB201 string ``text``; ``none`` edges kept as ``none``
    where the space's rule keeps them (argmax, threshold_sparse)."""
    graph = _space_graph(spec, input_shape, num_classes)
    if not is_nb201_shaped(graph):
        m = graph.graph["macro"]
        raise DagnasError(
            f"space '{spec.name}' is not NAS-Bench-201-shaped (input_nodes: {m['input_nodes']},"
            f" nodes: {m['nodes']}, output: {m['output']}; expected 1, 3, last):"
            " use spaces/nb201.yaml"
        )
    ops: dict[str, str] = {}
    for (i, j), op in parse_nb201(text).items():
        where = f"edge {i}->{j}"
        ops[f"normal:{i}->{j}"] = map_op(op, _candidates(graph, "normal", i, j, where), where)
    if graph.graph["derive"]["name"] not in ("argmax", "threshold_sparse"):
        ops = {k: op for k, op in ops.items() if not OPS.get(op).zero}
    return fixed_architecture(graph, ops, run)

"""Derive again from a run folder, with no new search.

The run's supernet is rebuilt from its ``config.yaml`` and the model state
of its ``checkpoint.pt``; its relaxation's final weights go through a
derivation rule (the run's, or another). For a hypernet run, each λ gives
its own architecture from ``final(lam)``: the per-λ derivation of Yakovlev
et al. (2021), one search for every complexity level.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from dagnas.compile import ChildNet, Supernet
from dagnas.engine.checkpoint import CHECKPOINT, check_state_config, load_checkpoint
from dagnas.engine.components import DERIVE_RULES
from dagnas.engine.derive import derive
from dagnas.errors import RunError
from dagnas.export import write_architecture
from dagnas.graph import canonical_hash
from dagnas.kinds import kind_of
from dagnas.relax import Hypernet
from dagnas.workflows.rundir import data_shape, load_run_spec, load_search_data, run_identity
from dagnas.workflows.search import build_supernet


@dataclass
class Derived:
    """One re-derived architecture and what it was written as."""

    stem: str
    rule: str
    lam: float | None
    params: int
    hash: str
    architecture: nx.DiGraph


def load_supernet(run_dir: Path) -> tuple[Any, Supernet]:
    """The run's spec, and its supernet with the weights and α of its last checkpoint."""
    spec = load_run_spec(run_dir)
    model = build_supernet(spec, *data_shape(spec))

    def restore(state: dict[str, Any]) -> None:
        check_state_config(state, run_identity(spec))  # a hand-edited config.yaml: as --resume
        model.load_state_dict(state["model"])

    if not load_checkpoint(run_dir, restore):
        raise RunError(f"{run_dir} has no {CHECKPOINT} yet: let the search finish an epoch first")
    return spec, model


def check_rule_fits(rule: str, graph: nx.DiGraph, run_dir: Path) -> None:
    """RunError unless derivation rule ``rule`` applies to the run's space kind
    (the kind's ``derive_rules``, as the spec validator checks)."""
    kind = kind_of(graph)
    if rule not in kind.derive_rules:
        fits = ", ".join(sorted(kind.derive_rules))
        raise RunError(
            f"--rule {rule} does not apply to {run_dir}, a {kind.name} space; its rules: {fits}"
        )


def rederive(
    run_dir: Path, lams: list[float] | None = None, rule: str | None = None
) -> list[Derived]:
    """Derive and write one architecture per λ (hypernet runs) or one with ``rule``.

    A rule that needs the supernet (``perturbation``) scores it on the run's
    validation split, reloaded as the search split it.

    Files are ``architecture_<rule>.json`` / ``architecture[_<rule>]_lam1e-04.json``
    (and .graphml, .png) in ``run_dir``.
    """
    spec, model = load_supernet(run_dir)
    relax, graph = model.relaxation, model.current_graph()
    if lams and not isinstance(relax, Hypernet):
        raise RunError(
            f"--lambda needs a hypernet run; {run_dir} searched with relaxation"
            f" '{spec.search.relaxation.name}'; drop --lambda"
        )
    if rule is not None:
        DERIVE_RULES.get(rule)  # unknown names fail here, with the known ones
        check_rule_fits(rule, graph, run_dir)
        if rule != graph.graph["derive"]["name"]:
            graph.graph["derive"] = {"name": rule}
    name = graph.graph["derive"]["name"]
    needs_model = getattr(DERIVE_RULES.get(name), "needs_model", False)
    val = tuple(load_search_data(spec.search).val.tensors) if needs_model else None
    out = []
    for lam in lams or [None]:
        weights = relax.final(lam) if isinstance(relax, Hypernet) else relax.final()
        arch = derive(graph, weights, run=run_dir.name, model=model, val=val)
        parts = ["architecture"] + ([name] if rule or lam is None else [])
        stem = "_".join(parts + ([] if lam is None else [f"lam{lam:.0e}"]))
        write_architecture(arch, run_dir, stem)
        params = sum(p.numel() for p in ChildNet(arch).parameters())
        out.append(Derived(stem, name, lam, params, canonical_hash(arch), arch))
    return out

"""Look up an architecture, a run folder, or every epoch of a run in a benchmark.

Every epoch: the run's ``alpha.jsonl`` holds the mixing weights after each
epoch; each goes through the run's derivation rule (``argmax`` in place of a
rule that needs the trained supernet) and the architecture derived is looked up.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx
import torch

from dagnas.bench.nats import NatsBench
from dagnas.bench.table import Source, arch_string, load_table
from dagnas.engine.components import DERIVE_RULES
from dagnas.engine.derive import derive
from dagnas.errors import DagnasError
from dagnas.export.files import read_json
from dagnas.spec import load_space
from dagnas.spec.lower import lower

PathLike = str | os.PathLike[str]


@dataclass
class Hit:
    """One look-up: the string looked up and the benchmark's metrics (epoch for runs)."""

    arch: str
    metrics: dict[str, float]
    epoch: int | None = None


def open_source(
    source: PathLike,
    arch_column: str | None = None,
    metrics: Sequence[str] | None = None,
    dataset: str = "cifar10",
    hp: str = "200",
) -> Source:
    """A directory or ``.pickle.pbz2`` file: NATS-Bench (``dataset``, ``hp``);
    a ``.csv`` / ``.parquet`` file: a table (``arch_column``, ``metrics``)."""
    path = Path(source)
    if path.is_dir() or path.name.endswith((".pbz2", ".pickle")):
        return NatsBench(path, dataset, hp)
    return load_table(path, arch_column, metrics)


def query_architecture(source: Source, arch: nx.DiGraph) -> Hit:
    """The benchmark's metrics of Architecture ``arch``."""
    text = arch_string(arch, source.kind)
    return Hit(text, source.lookup(text))


def query_run(source: Source, run_dir: PathLike) -> Hit:
    """The metrics of the architecture a run found (its ``architecture.json``)."""
    path = Path(run_dir) / "architecture.json"
    if not path.exists():
        raise DagnasError(f"{run_dir} has no architecture.json: not a finished run folder")
    return query_architecture(source, read_json(path))


def _run_graph(run_dir: Path) -> nx.DiGraph:
    """The run's SearchGraph, from its config.yaml (which records the data's shape)."""
    config = run_dir / "config.yaml"
    if not config.exists():
        raise DagnasError(f"{run_dir} is not a run folder: config.yaml is missing")
    spec = load_space(config)
    if spec.kind != "darts_cell" or spec.input_shape is None or spec.num_classes is None:
        raise DagnasError(
            f"{config}: per-epoch look-ups need a darts_cell run whose config records"
            " input_shape and num_classes (written by `dagnas run`)"
        )
    g = lower(spec, tuple(spec.input_shape), spec.num_classes)
    if getattr(DERIVE_RULES.get(g.graph["derive"]["name"]), "needs_model", False):
        g.graph["derive"] = {"name": "argmax"}
    return g


def _epochs(path: Path) -> list[dict[str, Any]]:
    """The records of ``alpha.jsonl``; a torn last line (a killed run) is skipped."""
    if not path.exists():
        raise DagnasError(f"{path.parent} has no alpha.jsonl: no epoch has ended yet")
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for n, line in enumerate(lines, start=1):
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            if n < len(lines):
                raise DagnasError(f"{path}:{n}: not a JSON line") from None
    return out


def epoch_architectures(run_dir: PathLike) -> list[tuple[int, nx.DiGraph]]:
    """(epoch, architecture) for every epoch of the run in ``run_dir``: what its
    rule derives from that epoch's mixing weights (``argmax`` in place of a rule
    that needs the trained supernet)."""
    run_dir = Path(run_dir)
    g = _run_graph(run_dir)
    ops = {d["key"]: d["ops"] for _, _, d in g.edges(data=True) if "ops" in d}
    out = []
    for record in _epochs(run_dir / "alpha.jsonl"):
        table = record["weights"]
        try:
            weights = {k: torch.tensor([table[k][op] for op in names]) for k, names in ops.items()}
        except KeyError as e:
            raise DagnasError(
                f"{run_dir}/alpha.jsonl, epoch {record.get('epoch')}: no weight for {e};"
                " it does not belong to this run's config.yaml"
            ) from None
        out.append((record["epoch"], derive(g, weights, run=run_dir.name)))
    return out


def query_epochs(source: Source, run_dir: PathLike) -> list[Hit]:
    """One Hit per epoch of the run in ``run_dir``: the architecture its rule
    derives from that epoch's mixing weights, looked up in ``source``."""
    hits = []
    for epoch, arch in epoch_architectures(run_dir):
        hit = query_architecture(source, arch)
        hit.epoch = epoch
        hits.append(hit)
    return hits

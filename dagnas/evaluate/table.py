"""A store's evaluations of one space as a tabular benchmark: one CSV row per architecture.

Columns: ``arch`` (``hash:<canonical hash>``, the string :mod:`dagnas.bench`
looks architectures up by), ``ops`` (the architecture in words: each searched
edge's op, or each stage's block), then the metrics averaged over the seeds —
``accuracy`` (test accuracy), ``accuracy_sd`` (its standard deviation over
seeds, 0 for one), ``seeds``, ``test_loss``, ``params``, ``flops``.
``dagnas query --bench FILE`` and :func:`dagnas.bench.load_table` read it back.
"""

from __future__ import annotations

import csv
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from dagnas.analysis.store import EvalStore
from dagnas.bench.table import HASH_PREFIX
from dagnas.errors import DagnasError
from dagnas.graph import from_json_dict

COLUMNS = ("arch", "ops", "accuracy", "accuracy_sd", "seeds", "test_loss", "params", "flops")


def describe(arch: nx.DiGraph) -> str:
    """An Architecture in words: ``cell:i->j=op`` per searched edge, or
    ``stage:i-j,…`` per stage block of a `dense_blocks` space."""
    chosen = arch.graph.get("chosen")
    if chosen:
        return " ".join(
            f"{stage}:" + ",".join(f"{i}-{j}" for i, j in c["edges"])
            for stage, c in sorted(chosen.items())
        )
    edges = sorted(
        (d["key"], "+".join(d.get("ops_kept", [d["op"]])))
        for _, _, d in arch.edges(data=True)
        if d.get("searched")
    )
    return " ".join(f"{key}={op}" for key, op in edges)


def table_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Store rows (:meth:`EvalStore.rows`) of one space, dataset and budget →
    one row per architecture, metrics averaged over its seeds, best first."""
    groups = {(r["space"], r["dataset"], r["budget"]) for r in rows}
    if len(groups) > 1:
        raise DagnasError(
            f"the evaluations hold {len(groups)} (space, dataset, budget) groups; a table is"
            " one of them: filter by space, dataset and budget"
        )
    by_hash: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_hash.setdefault(r["hash"], []).append(r)
    out = []
    for h, runs in by_hash.items():
        acc = [r["accuracy"] for r in runs]
        out.append(
            {
                "arch": HASH_PREFIX + h,
                "ops": describe(from_json_dict(runs[0]["graph"])),
                "accuracy": statistics.fmean(acc),
                "accuracy_sd": statistics.stdev(acc) if len(acc) > 1 else 0.0,
                "seeds": len(runs),
                "test_loss": statistics.fmean(r["test_loss"] for r in runs),
                "params": runs[0]["params"],
                "flops": runs[0]["flops"],
            }
        )
    return sorted(out, key=lambda r: (-r["accuracy"], r["arch"]))


def write_csv(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write :func:`table_rows` output to the CSV file ``path`` (floats to 5 digits)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        for r in rows:
            writer.writerow({k: f"{v:.5g}" if isinstance(v, float) else v for k, v in r.items()})
    return path


def export_table(store: str | os.PathLike[str], path: str | os.PathLike[str], **where: Any) -> int:
    """The store's evaluations matching ``where`` (space, dataset, budget, …) as
    the CSV table ``path``; returns the number of architectures."""
    with EvalStore(store) as db:
        rows = db.rows(**{k: v for k, v in where.items() if v is not None})
    if not rows:
        raise DagnasError(f"{store}: no evaluations match {where}; nothing to export")
    table = table_rows(rows)
    write_csv(table, path)
    return len(table)

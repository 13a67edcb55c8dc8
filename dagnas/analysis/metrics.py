"""The table analysis works on: one record per architecture, its DAG metrics and accuracy.

Rows of the store that differ only in the training seed are one
architecture: its ``accuracy`` is their mean and ``seeds`` their number.
Metrics are :func:`dagnas.graph.dag_metrics` of the stored graph plus the
row's ``params`` and ``flops``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dagnas.errors import DagnasError
from dagnas.graph import dag_metrics, from_json_dict

GROUP_COLUMNS = ("dataset", "space", "epochs", "budget")
ROW_METRICS = ("params", "flops")


def architecture_table(
    rows: Sequence[dict[str, Any]], by: Sequence[str] = ("dataset",)
) -> list[dict[str, Any]]:
    """One record per (group, architecture): ``group`` (a string of the ``by``
    columns), ``hash``, mean ``accuracy``, ``seeds``, and every metric.

    Raises DagnasError when a group mixes spaces or budgets, since accuracies
    trained differently are not comparable: group by them or filter.
    """
    bad = [c for c in by if c not in GROUP_COLUMNS]
    if bad or not by:
        raise DagnasError(f"cannot group by {list(by)}; choose from {', '.join(GROUP_COLUMNS)}")
    _check_homogeneous(rows, by)
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    accs: dict[tuple[str, str], list[float]] = {}
    structure: dict[str, dict[str, float]] = {}
    for r in rows:
        group = "/".join(str(r[c]) for c in by)
        key = (group, r["hash"])
        if key not in merged:
            if r["hash"] not in structure:
                structure[r["hash"]] = dag_metrics(from_json_dict(r["graph"]))
            merged[key] = {
                "group": group,
                "hash": r["hash"],
                **structure[r["hash"]],
                **{m: float(r[m]) for m in ROW_METRICS},
            }
            accs[key] = []
        accs[key].append(float(r["accuracy"]))
    for key, record in merged.items():
        record["accuracy"] = sum(accs[key]) / len(accs[key])
        record["seeds"] = len(accs[key])
    return list(merged.values())


def _check_homogeneous(rows: Sequence[dict[str, Any]], by: Sequence[str]) -> None:
    """Every group must hold one space and one budget."""
    seen: dict[str, dict[str, set[str]]] = {}
    for r in rows:
        group = "/".join(str(r[c]) for c in by)
        for col in ("space", "budget"):
            seen.setdefault(group, {}).setdefault(col, set()).add(str(r[col]))
    for group, cols in seen.items():
        for col, values in cols.items():
            if len(values) > 1 and col not in by:
                raise DagnasError(
                    f"group '{group}' mixes {len(values)} {col}s ({', '.join(sorted(values))}); "
                    f"add {col} to --by (e.g. --by dataset,{col}) or keep one with --space/--epochs"
                )


def metric_names(records: Sequence[dict[str, Any]]) -> list[str]:
    """The metric columns of ``architecture_table`` records, in a fixed order."""
    if not records:
        return []
    skip = {"group", "hash", "accuracy", "seeds"}
    return [k for k in records[0] if k not in skip]

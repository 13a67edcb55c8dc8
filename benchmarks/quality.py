"""Search quality on tabular benchmarks of our own (benchmarks/tables/*.csv).

For every method × seed on each table: one search of the table's space with
``--bench`` (the derived architecture's table score after every epoch: the
trajectory), and the final architecture's rank in the table, the share of the
table at or above it (``top %``: 10 means the top tenth), its regret to the
table's best, and how far it fell from its best epoch (``drop``). Rows are
appended to ``--out`` (JSON lines) as they finish, and a re-run skips the rows
it holds; the summary (mean over seeds per table × method) is printed and
written beside it as ``<out>.json``.

    python -m benchmarks.quality                      # every table, method, 3 seeds
    python -m benchmarks.quality --tables nb201_tiny --methods darts,gumbel --seeds 1
    python -m benchmarks.quality --tables dense5_digits --methods dirichlet \
        --set resample.every=1 --set search.arch.lr=0.05   # a variant of the spaces' settings

With ``--set`` (the spec's dotted keys, as ``dagnas run --set``), the rows'
method reads ``dirichlet [resample.every=1 ...]``: variants are rows of their own.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.build_tables import TABLES
from benchmarks.common import grid_methods, grid_parser, grid_rows, table, write_json
from dagnas.bench import load_table
from dagnas.spaces import load_space
from dagnas.spec.overrides import apply_overrides, parse_assignment
from dagnas.workflows.methods import apply_method, resolve_method
from dagnas.workflows.search import run_search

OUT = Path(__file__).resolve().parent / "results" / "quality.jsonl"
METHODS = ["darts", "dirichlet", "gumbel", "sigmoid", "sparse_simplex", "hypernet", "crb"]
METRIC = "accuracy"
ORDER = ["nb201_tiny", "dense5_digits", "dense5_mnist", "mlp_dag"]
SUMMARY_COLUMNS = [
    "table",
    "method",
    "seeds",
    "top %",
    "regret",
    "final",
    "best epoch",
    "drop",
    "α/w steps",
]


def table_scores(name: str) -> dict[str, float]:
    """``{architecture string: mean accuracy}`` of a built table."""
    return {k: v[METRIC] for k, v in load_table(TABLES[name].csv).scores.items()}


def place(score: float, scores: list[float]) -> dict[str, float]:
    """Rank (1 = best), top % (share of the table scoring at least as well) and regret."""
    above = sum(s > score for s in scores)
    ties = sum(s == score for s in scores)
    return {
        "rank": above + 1,
        "top_pct": 100 * (above + max(ties, 1)) / len(scores),
        "regret": max(scores) - score,
    }


def search_once(
    name: str, method: str, seed: int, epochs: int, sets: Sequence[str] = ()
) -> dict[str, Any]:
    """One search of table ``name``'s space with ``method`` and the ``--set``
    assignments ``sets``; its row."""
    t = TABLES[name]
    spec = load_space(t.space)
    search = {"seed": seed, "epochs": epochs, "device": "cpu", "bench": str(t.csv)}
    spec = apply_method(spec, resolve_method(method), data_root=t.data_root, **search)
    spec = apply_overrides(spec, dict(parse_assignment(a) for a in sets), origin="--set")
    start = time.perf_counter()
    outcome = run_search(spec, None)
    key = f"bench_{METRIC}"
    trajectory = [m.get(key) for m in outcome.metrics]
    final = outcome.summary.get(key)
    scores = list(table_scores(name).values())
    row: dict[str, Any] = {
        "arch": outcome.summary.get("bench_arch"),
        "final": final,
        "trajectory": trajectory,
        "wall_time": time.perf_counter() - start,
        "val_acc": outcome.summary.get("val_acc"),
        "arch_step_ratio": outcome.summary.get("arch_step_ratio"),
        "early_stop": outcome.summary.get("early_stop"),
    }
    if final is None or None in trajectory:
        return {**row, "error": "an architecture derived is not in the table"}
    best = max(trajectory)
    return {**row, **place(final, scores), "best_epoch": best, "drop": best - trajectory[-1]}


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean over seeds per (table, method), in the order first met."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["table"], r["method"]), []).append(r)
    out = []
    for (name, method), runs in groups.items():
        ok = [r for r in runs if "error" not in r]
        line: dict[str, Any] = {"table": name, "method": method, "seeds": f"{len(ok)}/{len(runs)}"}
        for col, field in [
            ("top %", "top_pct"),
            ("regret", "regret"),
            ("final", "final"),
            ("best epoch", "best_epoch"),
            ("drop", "drop"),
            ("α/w steps", "arch_step_ratio"),
        ]:
            vals = [r[field] for r in ok if r.get(field) is not None]
            line[col] = statistics.fmean(vals) if vals else None
        out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = grid_parser(__doc__, METHODS, OUT)
    parser.add_argument("--tables", nargs="+", choices=sorted(TABLES), default=ORDER)
    args = parser.parse_args(argv)
    label = grid_methods(args)
    heads = [
        {"table": name, "method": m, "seed": seed, "epochs": args.epochs}
        for name in args.tables
        for m in label
        for seed in range(args.seeds)
    ]

    def run(head: dict[str, Any]) -> dict[str, Any]:
        name, method = head["table"], label[head["method"]]
        return search_once(name, method, head["seed"], args.epochs, args.sets)

    rows = grid_rows(args.out, heads, run, lambda row: str(row.get("top_pct", row.get("error"))))
    summary = summarise(rows)
    write_json(args.out.with_suffix(".json"), {"epochs": args.epochs, "summary": summary})
    print(table(summary, SUMMARY_COLUMNS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

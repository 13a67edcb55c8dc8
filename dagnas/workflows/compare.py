"""``dagnas compare``: several methods × seeds on one space, searched, retrained, tabled.

Each method × seed searches in ``OUT/<method>/seed<k>/`` (a normal run
folder), retrains the derived architecture from scratch, and appends one
row to ``OUT/compare.jsonl``. ``compare.md`` (per-run rows and mean ± std
per method) and ``compare.png`` (test accuracy vs parameters) are rewritten
after every row. A re-run skips rows already in ``compare.jsonl``, reuses a
finished search and resumes an interrupted one from its checkpoint.
"""

from __future__ import annotations

import logging
import statistics
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagnas.engine.callbacks import StepHook
from dagnas.io import append_jsonl, atomic_write, atomic_write_text, read_jsonl
from dagnas.training.retrain import TrainConfig, train_architecture
from dagnas.workflows.methods import Method, apply_method
from dagnas.workflows.rundir import can_resume, is_finished, load_search_data, read_result
from dagnas.workflows.search import pick_device, run_search

log = logging.getLogger(__name__)
ROWS, TABLE, PLOT = "compare.jsonl", "compare.md", "compare.png"
BarFactory = Callable[[str], AbstractContextManager[StepHook | None]]
#: (row field, column title, format) of the tables
COLUMNS = [
    ("test_acc", "test acc", "{:.4f}"),
    ("zero_fraction", "zeros", "{:.3f}"),
    ("params", "params", "{:,.0f}"),
    ("search_time", "search s", "{:.1f}"),
    ("val_acc", "supernet val acc", "{:.4f}"),
    ("arch_step_ratio", "α/w steps", "{:.3f}"),
]


@dataclass(frozen=True)
class Budget:
    """What every run of a comparison gets; None keeps the space's value."""

    epochs: int | None = None
    max_steps: int | None = None
    retrain_epochs: int = 10
    device: str | None = None


def run_compare(
    spec: Any,
    methods: list[Method],
    seeds: int,
    out: Path,
    budget: Budget = Budget(),
    bar: BarFactory | None = None,
) -> list[dict[str, Any]]:
    """Run every method × seed not yet in ``out/compare.jsonl``; return all rows."""
    out.mkdir(parents=True, exist_ok=True)
    rows = read_jsonl(out / ROWS)
    done = {(r["method"], r["seed"]) for r in rows}
    first = spec.search.seed
    for method in methods:
        for seed in range(first, first + seeds):
            if (method.name, seed) in done:
                log.info("compare: %s seed %d is done; skipped", method.name, seed)
                continue
            log.info("compare: %s (%s), seed %d", method.name, method.description, seed)
            row = compare_one(spec, method, seed, out, budget, bar)
            append_jsonl(out / ROWS, row)
            rows.append(row)
            write_report(rows, out, spec.name)
    write_report(rows, out, spec.name)
    return rows


def compare_one(
    spec: Any, method: Method, seed: int, out: Path, budget: Budget, bar: BarFactory | None
) -> dict[str, Any]:
    """Search (or reuse a finished search), retrain, and return the row."""
    run_spec = apply_method(
        spec,
        method,
        seed=seed,
        epochs=budget.epochs,
        max_steps=budget.max_steps,
        device=budget.device,
    )
    run_dir = out / method.name / f"seed{seed}"
    if is_finished(run_dir):
        summary, arch = read_result(run_dir)
    else:
        run_dir.mkdir(parents=True, exist_ok=True)
        resume = can_resume(run_dir)
        with (bar or (lambda _: nullcontext(None)))(f"{method.name} seed {seed}") as hook:
            outcome = run_search(run_spec, run_dir, resume=resume, on_step=hook)
        summary, arch = outcome.summary, outcome.architecture
    cfg = run_spec.search
    trained = train_architecture(
        arch,
        load_search_data(cfg),
        TrainConfig(epochs=budget.retrain_epochs, seed=seed),
        pick_device(cfg.device),
    )
    return {
        "method": method.name,
        "seed": seed,
        "test_acc": trained.test_acc,
        "test_loss": trained.test_loss,
        "params": trained.params,
        "retrain_time": trained.wall_time,
        "retrain_epochs": budget.retrain_epochs,
        "zero_fraction": summary["zero_fraction"],
        "search_time": summary["wall_time"],
        "val_acc": summary["val_acc"],
        "arch_step_ratio": summary.get("arch_step_ratio"),
        "steps": summary["steps"],
        "architecture_hash": summary["architecture_hash"],
        "run": str(run_dir.relative_to(out)),
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per method (first-seen order) and column: (mean, sample std; 0 for one run)."""
    by: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by.setdefault(r["method"], []).append(r)
    out: dict[str, dict[str, tuple[float, float]]] = {}
    for method, rs in by.items():
        out[method] = {}
        for key, _, _ in COLUMNS:
            vals = [float(r[key]) for r in rs if r.get(key) is not None]
            if vals:
                std = statistics.stdev(vals) if len(vals) > 1 else 0.0
                out[method][key] = (statistics.fmean(vals), std)
    return out


def markdown(rows: list[dict[str, Any]], title: str) -> str:
    """Both tables of ``compare.md``."""

    def cell(fmt: str, v: Any) -> str:
        return "–" if v is None else fmt.format(v)

    head = "| " + " | ".join(t for _, t, _ in COLUMNS) + " |"
    rule = "|" + "---|" * (len(COLUMNS) + 2)
    lines = [f"# dagnas compare: {title}", "", "| method | seed " + head, rule]
    for r in sorted(rows, key=lambda r: (r["method"], r["seed"])):
        vals = " | ".join(cell(f, r.get(k)) for k, _, f in COLUMNS)
        lines.append(f"| {r['method']} | {r['seed']} | {vals} |")
    lines += ["", "Mean ± std (sample std over seeds) per method:", ""]
    lines += ["| method | runs " + head, rule]
    counts = {m: sum(r["method"] == m for r in rows) for m in {r["method"] for r in rows}}
    for method, stats in summarise(rows).items():
        vals = " | ".join(
            f"{f.format(stats[k][0])} ± {f.format(stats[k][1])}" if k in stats else "–"
            for k, _, f in COLUMNS
        )
        lines.append(f"| {method} | {counts[method]} | {vals} |")
    lines += [
        "",
        "test acc: the derived architecture retrained from scratch on train ∪ val;"
        " zeros: share of exact zeros in the final mixing weights; params: the derived"
        " network's; α/w steps: architecture steps per weight step over the search.",
    ]
    return "\n".join(lines) + "\n"


def write_report(rows: list[dict[str, Any]], out: Path, title: str) -> None:
    """Rewrite ``compare.md`` and ``compare.png`` from ``rows``."""
    atomic_write_text(out / TABLE, markdown(rows, title))
    if rows:
        atomic_write(out / PLOT, lambda f: plot(rows, title, f))


def plot(rows: list[dict[str, Any]], title: str, f: Any) -> None:
    """Test accuracy vs derived parameters, one colour per method, means with ±std bars."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4.5), dpi=100)
    ax = fig.add_subplot()
    for i, (method, stats) in enumerate(summarise(rows).items()):
        color = f"C{i % 10}"
        pts = [(r["params"], r["test_acc"]) for r in rows if r["method"] == method]
        ax.scatter(*zip(*pts, strict=True), color=color, alpha=0.45, s=22)
        (px, sx), (ay, sy) = stats["params"], stats["test_acc"]
        ax.errorbar(px, ay, xerr=sx, yerr=sy, fmt="o", color=color, ms=8, capsize=3, label=method)
    ax.set_xlabel("derived architecture parameters")
    ax.set_ylabel("test accuracy (retrained)")
    ax.set_title(f"dagnas compare: {title}")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(f, format="png")

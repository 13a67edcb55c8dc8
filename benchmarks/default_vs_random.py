"""Does the default search end on a decision? Its architectures against random ones.

The default ``dagnas run`` (the ``nb201_tiny`` space and its ``search:``
settings; ``--space`` another) is searched with several seeds; each derived
architecture and ``--random`` architectures drawn uniformly from the same space
(distinct up to isomorphism) are retrained from scratch the same way (the plain
protocol of ``dagnas train`` at the searched size, on the search's data; by
default the budget the ``nb201_tiny`` table was built with: 6 epochs, batch 64,
lr 0.05; ``--train-seeds`` seeds each). The random ones are
kept in a cache beside ``--out`` and reused by runs that change only the
search settings. Reported per searched architecture: its mean test accuracy,
its rank among the random ones, whether it beats their median, the search's
choice margins (the chosen op's lead over the runner-up per edge) and how many
final epochs derived its architecture (``held_epochs``).
Writes JSON and prints a table:

    PYTHONPATH=. python -m benchmarks.default_vs_random --threads 1
    PYTHONPATH=. python -m benchmarks.default_vs_random --space darts_digits --epochs 5 \
        --batch-size 128 --set search.arch.lr=0.01
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import networkx as nx

import dagnas
from benchmarks.common import machine, set_threads, table, write_json
from dagnas.data import load_dataset
from dagnas.evaluate.candidates import sample_architectures
from dagnas.export.margins import derivation_margins
from dagnas.graph import canonical_hash
from dagnas.spaces import DEFAULT_SPACE
from dagnas.spec.overrides import apply_overrides, parse_assignment
from dagnas.workflows.methods import apply_method, resolve_method


def retrained(arch: nx.DiGraph, data: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Mean and per-seed test accuracy of ``arch`` retrained with every train seed."""
    accs = []
    for seed in range(args.train_seeds):
        result = dagnas.retrain(
            arch,
            data,
            epochs=args.epochs,
            batch_size=args.batch_size,
            lr=args.lr,
            seed=seed,
            device="cpu",
        )
        accs.append(result["test_acc"])
    params = result["params"]
    return {"mean": statistics.mean(accs), "accs": accs, "params": params}


def searched(spec: Any, seed: int, data: Any, args: argparse.Namespace) -> dict[str, Any]:
    """One search of ``spec`` with ``seed``; its architecture retrained and its margins."""
    start = time.perf_counter()
    outcome = dagnas.search(spec, seed=seed)
    margins = sorted(derivation_margins(outcome.architecture).values())
    row = {
        "seed": seed,
        "search_s": time.perf_counter() - start,
        "hash": canonical_hash(outcome.architecture),
        "margin_median": margins[len(margins) // 2],
        "margin_min": margins[0],
        "near_uniform": outcome.summary.get("near_uniform"),
        "held_epochs": outcome.summary.get("held_epochs"),
        "val_acc": outcome.summary.get("val_acc"),
    }
    return {**row, **retrained(outcome.architecture, data, args)}


def random_rows(spec: Any, data: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The random architectures retrained, read from a cache beside ``--out`` when a
    run with the same space, data, count, epochs and train seeds made it before
    (the search settings do not change them)."""
    key = f"{args.space}-{spec.search.data}-n{args.random}-t{args.train_seeds}"
    key += f"-e{args.epochs}-b{args.batch_size}-lr{args.lr}"
    cache = Path(args.out).with_name(f"random-{key}.json")
    if cache.exists():
        return json.loads(cache.read_text())
    graph = dagnas.lower(spec, data.input_shape, data.num_classes)
    rows = []
    for i, arch in enumerate(sample_architectures(graph, args.random, seed=0)):
        rows.append({"random": i, "hash": canonical_hash(arch), **retrained(arch, data, args)})
        print(f"random {i}: {rows[-1]['mean']:.4f}", flush=True)
    write_json(cache, rows)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--space", default=DEFAULT_SPACE)
    p.add_argument("--method", help="a method preset (dagnas run --method): darts, beta_darts...")
    p.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2], help="search seeds")
    p.add_argument("--random", type=int, default=10, help="random architectures")
    p.add_argument("--train-seeds", type=int, default=3)
    p.add_argument("--epochs", type=int, default=6, help="retraining epochs")
    p.add_argument("--batch-size", type=int, default=64, help="retraining batch")
    p.add_argument("--lr", type=float, default=0.05, help="retraining SGD lr (cosine)")
    p.add_argument("--threads", type=int)
    p.add_argument("--out", default="benchmarks/results/default_vs_random.json")
    args = p.parse_args()
    set_threads(args.threads)
    sets = dict(parse_assignment(text) for text in args.sets)
    spec = apply_overrides(dagnas.load_space(args.space), sets)
    if args.method:
        spec = apply_method(spec, resolve_method(args.method))
    data = load_dataset(spec.search.data, seed=0)
    randoms = random_rows(spec, data, args)
    median = statistics.median(r["mean"] for r in randoms)
    rows = []
    for seed in args.seeds:
        row = searched(spec, seed, data, args)
        row["beats_median"] = row["mean"] > median
        row["random_below"] = sum(r["mean"] < row["mean"] for r in randoms)
        rows.append(row)
        print(f"search seed {seed}: {row['mean']:.4f} (random median {median:.4f})", flush=True)
    summary: dict[str, Any] = {
        "random_median": median,
        "random_best": max(r["mean"] for r in randoms),
        "random_worst": min(r["mean"] for r in randoms),
    }
    if rows:
        summary["searched_mean"] = statistics.mean(r["mean"] for r in rows)
        summary["beats_median"] = f"{sum(r['beats_median'] for r in rows)}/{len(rows)}"
        summary["margin_median"] = statistics.median(r["margin_median"] for r in rows)
    names = ("space", "method", "sets", "epochs", "batch_size", "lr", "train_seeds")
    settings = {k: getattr(args, k) for k in names}
    write_json(
        args.out,
        {
            "machine": machine(),
            "settings": settings,
            "summary": summary,
            "searched": rows,
            "random": randoms,
        },
    )
    columns = ["seed", "mean", "random_below", "beats_median", "margin_median", "held_epochs"]
    if rows:
        print(table(rows, [*columns, "search_s"]))
    print(table([summary], list(summary)))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

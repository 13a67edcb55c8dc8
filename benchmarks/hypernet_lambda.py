"""The hypernetwork's claim (Yakovlev et al. 2021): one search, an architecture per λ.

Searches the CPU-sized DARTS space on digits once with the ``hypernet``
relaxation, λ drawn log-uniformly over [min λ, max λ], and derives at each λ
with no new search. Then, per λ, a search at that λ alone: the same
relaxation with the range collapsed to the one λ (``log_min = log_max =
log10 λ``), which is DARTS with the complexity term λ·Σ w_o·c_o. Every
architecture found is retrained from scratch with one budget over the
``--train-seeds``. The claim holds when the one search gives at least 3
distinct architectures whose parameter counts strictly decrease as λ grows,
each within 1 point of test accuracy of the architecture searched at its λ
alone. ``--jobs`` runs the searches, then the retrainings, side by side in
that many processes. Writes JSON; prints a table.

    python -m benchmarks.hypernet_lambda --lams 1e-4,1e-3,1e-2,1e-1 --jobs 5 --out hypernet.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import statistics
from multiprocessing import get_context
from multiprocessing.pool import Pool
from pathlib import Path
from typing import Any

import networkx as nx
import torch

import dagnas
from benchmarks.common import table, write_json
from dagnas.compile import ChildNet
from dagnas.graph import canonical_hash
from dagnas.workflows.rundir import load_search_data
from dagnas.workflows.search import RunOutcome

SPACE = Path(__file__).resolve().parent.parent / "spaces" / "darts_digits.yaml"
COLUMNS = ["λ", "params", "acc", "alone params", "alone acc", "gap"]


def describe(arch: nx.DiGraph) -> dict[str, Any]:
    """Parameters, canonical hash and searched ops of a derived architecture."""
    return {
        "params": sum(q.numel() for q in ChildNet(arch).parameters()),
        "hash": canonical_hash(arch),
        "ops": sorted(d["op"] for _, _, d in arch.edges(data=True) if d.get("searched")),
    }


def search(options: dict[str, Any], a: argparse.Namespace) -> RunOutcome:
    """One hypernet search of the space with ``options``, the budget of ``a``."""
    relaxation = {"name": "hypernet", **options}
    arch = {"lr": a.arch_lr}
    return dagnas.search(
        SPACE, seed=a.seed, epochs=a.epochs, relaxation=relaxation, arch=arch, device="cpu"
    )


def family(options: dict[str, Any], lams: list[float], a: argparse.Namespace) -> dict[str, Any]:
    """One hypernet search over the whole range; the architecture at each λ."""
    out = search(options, a)
    model = out.supernet
    rows = []
    for lam in lams:
        weights = model.relaxation.final(lam)
        costs = model.relaxation.costs
        cost = sum(float((w * torch.tensor(costs[k])).sum()) for k, w in weights.items())
        arch = dagnas.derive(model.graph, weights, run=f"hypernet-{lam:g}")
        rows.append({"lam": lam, "expected_cost": cost, "graph": arch, **describe(arch)})
        print(f"λ {lam:g}: {rows[-1]['params']} params, Σw·c {cost:.3f}", flush=True)
    summary = {k: out.summary[k] for k in ("wall_time", "val_acc")}
    options = out.spec.search.relaxation.options
    return {"options": options, "search": out.spec.search, "summary": summary, "derived": rows}


def alone(options: dict[str, Any], lam: float, a: argparse.Namespace) -> dict[str, Any]:
    """A search at ``lam`` alone: the hypernet with its λ range one point wide."""
    log = math.log10(lam)
    out = search({**options, "log_min": log, "log_max": log, "final_lam": lam}, a)
    print(f"λ {lam:g} alone: {describe(out.architecture)['params']} params", flush=True)
    return {"lam": lam, "graph": out.architecture, **describe(out.architecture)}


def retrained(arch: nx.DiGraph, search_cfg: Any, seed: int, epochs: int) -> float:
    """Test accuracy of ``arch`` retrained from scratch on the search's data."""
    data = load_search_data(search_cfg)
    return dagnas.retrain(arch, data, epochs=epochs, seed=seed, device="cpu")["test_acc"]


def verdict(rows: list[dict[str, Any]], tolerance: float) -> dict[str, Any]:
    """The claim's three parts, read off the per-λ rows (in λ order): how many
    distinct architectures; whether each change of architecture as λ grows
    lowers the parameter count (and none comes back); the largest shortfall
    of the one search's architecture against the one searched at its λ alone."""
    hashes = [r["hash"] for r in rows]
    changes = [(x, y) for x, y in itertools.pairwise(rows) if x["hash"] != y["hash"]]
    gaps = [r["alone_acc"] - r["acc"] for r in rows]
    parts = {
        "distinct": len(set(hashes)),
        "strictly_decreasing": len(changes) + 1 == len(set(hashes))
        and all(x["params"] > y["params"] for x, y in changes),
        "max_gap": max(gaps),
        "within_tolerance": max(gaps) <= tolerance,
    }
    holds = parts["distinct"] >= 3 and parts["strictly_decreasing"] and parts["within_tolerance"]
    return parts | {"holds": holds}


def run_all(pool: Pool, options: dict[str, Any], lams: list[float], a: argparse.Namespace):
    """The one search and the searches at each λ alone side by side in ``pool``,
    then every distinct architecture retrained once per train seed; the family,
    the per-λ rows and the scores by hash."""
    one = pool.apply_async(family, (options, lams, a))
    singles = pool.starmap(alone, [(options, lam, a) for lam in lams])
    fam = one.get()
    archs = {r["hash"]: r["graph"] for r in fam["derived"] + singles}
    seeds = [int(s) for s in a.train_seeds.split(",")]
    jobs = [(h, s) for h in archs for s in seeds]
    accs = pool.starmap(
        retrained, [(archs[h], fam["search"], s, a.retrain_epochs) for h, s in jobs]
    )
    scores: dict[str, dict[str, Any]] = {}
    for (h, _), acc in zip(jobs, accs, strict=True):
        scores.setdefault(h, {"test_acc": []})["test_acc"].append(acc)
    for v in scores.values():
        v["mean"] = statistics.fmean(v["test_acc"])
    rows = []
    for r, single in zip(fam["derived"], singles, strict=True):
        row = {k: v for k, v in r.items() if k != "graph"}
        row |= {f"alone_{k}": single[k] for k in ("params", "hash", "ops")}
        row |= {"acc": scores[r["hash"]]["mean"], "alone_acc": scores[single["hash"]]["mean"]}
        rows.append(row)
    return fam, rows, scores


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--lams", default="1e-4,1e-3,1e-2,1e-1")
    p.add_argument("--range", default="1e-4,1e-1", help="min λ, max λ of the one search")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=0, help="seed of every search")
    p.add_argument("--train-seeds", default="0,1", help="seeds of each retraining")
    p.add_argument("--retrain-epochs", type=int, default=10)
    p.add_argument("--arch-lr", type=float, default=0.01, help="Adam lr (hypernet default)")
    p.add_argument("--options", default="{}", help="more hypernet options, as JSON")
    p.add_argument("--jobs", type=int, default=1, help="processes (one thread each)")
    p.add_argument("--out", default="hypernet.json")
    a = p.parse_args()
    lams = sorted(float(v) for v in a.lams.split(","))
    low, high = (math.log10(float(v)) for v in a.range.split(","))
    options = {"log_min": low, "log_max": high, **json.loads(a.options)}
    with get_context("spawn").Pool(
        a.jobs, initializer=torch.set_num_threads, initargs=(1,)
    ) as pool:
        one, rows, scores = run_all(pool, options, lams, a)
    claim = verdict(rows, 0.01)
    printed = [
        {
            "λ": f"{r['lam']:g}",
            "params": r["params"],
            "acc": f"{r['acc']:.4f}",
            "alone params": r["alone_params"],
            "alone acc": f"{r['alone_acc']:.4f}",
            "gap": f"{r['alone_acc'] - r['acc']:+.4f}",
        }
        for r in rows
    ]
    print(table(printed, COLUMNS))
    print(json.dumps(claim))
    report = {
        "options": one["options"],
        "epochs": a.epochs,
        "retrain_epochs": a.retrain_epochs,
        "train_seeds": a.train_seeds,
        "search_time": one["summary"]["wall_time"],
        "val_acc": one["summary"]["val_acc"],
    }
    write_json(a.out, report | {"derived": rows, "retrained": scores, "claim": claim})


if __name__ == "__main__":
    main()

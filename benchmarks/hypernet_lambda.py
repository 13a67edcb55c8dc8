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
alone. Writes JSON; prints a table.

    python benchmarks/hypernet_lambda.py --lams 1e-4,1e-3,1e-2,1e-1 --out hypernet.json
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
from pathlib import Path
from typing import Any

import networkx as nx
import torch

import dagnas
from benchmarks.common import retrain_seeds, table, write_json
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
    return {"options": out.spec.search.relaxation.options, "outcome": out, "derived": rows}


def alone(options: dict[str, Any], lam: float, a: argparse.Namespace) -> dict[str, Any]:
    """A search at ``lam`` alone: the hypernet with its λ range one point wide."""
    log = math.log10(lam)
    out = search({**options, "log_min": log, "log_max": log, "final_lam": lam}, a)
    return {"lam": lam, "graph": out.architecture, **describe(out.architecture)}


def verdict(rows: list[dict[str, Any]], tolerance: float) -> dict[str, Any]:
    """The claim's three parts, read off the per-λ rows (in λ order): how many
    distinct architectures; whether each change of architecture as λ grows
    lowers the parameter count (and none comes back); the largest shortfall
    of the one search's architecture against the one searched at its λ alone."""
    hashes = [r["hash"] for r in rows]
    changes = [(x, y) for x, y in itertools.pairwise(rows) if x["hash"] != y["hash"]]
    gaps = [r["alone_acc"] - r["acc"] for r in rows]
    return {
        "distinct": len(set(hashes)),
        "strictly_decreasing": len(changes) + 1 == len(set(hashes))
        and all(x["params"] > y["params"] for x, y in changes),
        "max_gap": max(gaps),
        "within_tolerance": max(gaps) <= tolerance,
    }


def compare(one: dict[str, Any], options: dict[str, Any], a: argparse.Namespace):
    """Per λ: the search at λ alone, and both architectures retrained over the
    train seeds (each distinct architecture once); the rows and the scores."""
    data = load_search_data(one["outcome"].spec.search)
    seeds = [int(s) for s in a.train_seeds.split(",")]
    scores: dict[str, dict[str, Any]] = {}

    def score(arch: nx.DiGraph, h: str) -> float:
        if h not in scores:
            scores[h] = retrain_seeds(arch, data, seeds, a.retrain_epochs)
        return scores[h]["mean"]

    rows = []
    for r in one["derived"]:
        single = alone(options, r["lam"], a)
        row = {k: v for k, v in r.items() if k != "graph"} | {
            f"alone_{k}": single[k] for k in ("params", "hash", "ops")
        }
        row["acc"] = score(r["graph"], r["hash"])
        row["alone_acc"] = score(single["graph"], single["hash"])
        rows.append(row)
        print(f"λ {r['lam']:g}: alone {row['alone_params']} params", flush=True)
    return rows, scores


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
    p.add_argument("--out", default="hypernet.json")
    a = p.parse_args()
    torch.set_num_threads(1)
    lams = sorted(float(v) for v in a.lams.split(","))
    low, high = (math.log10(float(v)) for v in a.range.split(","))
    options = {"log_min": low, "log_max": high, **json.loads(a.options)}
    one = family(options, lams, a)
    rows, scores = compare(one, options, a)
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
        "search_time": one["outcome"].summary["wall_time"],
        "val_acc": one["outcome"].summary["val_acc"],
    }
    write_json(a.out, report | {"derived": rows, "retrained": scores, "claim": claim})


if __name__ == "__main__":
    main()

"""Collapse on CIFAR-10: what each method's NB201 cell is made of, epoch by epoch.

No table of the NB201 space on CIFAR-10 can be built here (15 625 cells), so
this benchmark measures the failure the tables cannot show at this scale: the
collapse to parameter-free cells. It searches the NAS-Bench-201 space at a
CPU proxy size (C=8, 5 cells: one normal cell per stage, 25 epochs, the
4000-image CIFAR-10 subset of ``../shared/data`` split 2000/2000) with every
method × seed, and reads the cell each epoch's mixing weights derive. In
NAS-Bench-201 a cell's accuracy grows with its convolutions (Dong & Yang, ICLR
2020: the all-skip cell that DARTS collapses to scores 54.3 on CIFAR-10, the
best cells hold four or five 3×3 convolutions), so a cell is counted as
**collapsed** when at most two of its six edges hold a convolution.

Per run: the final cell, its convolutions (``conv``: 1×1 and 3×3;
``conv3``: 3×3), its ``skip``/``pool``/``none`` edges, ``changes`` (how many of
the last ten epochs derived a different cell from the epoch before) and the
supernet's validation accuracy. Rows go to ``--out`` (JSON lines, a re-run
skips the rows it holds); the summary (means over seeds, collapsed runs
counted) is printed and written beside it as ``<out>.json``.

    python -m benchmarks.collapse                               # default methods, 2 seeds
    python -m benchmarks.collapse --methods beta_darts,darts --seeds 3
"""

from __future__ import annotations

import argparse
import itertools
import logging
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import torch

from benchmarks.common import ROOT, table, write_json
from dagnas.bench import epoch_architectures
from dagnas.errors import DagnasError
from dagnas.export.nb201 import nb201_string
from dagnas.io import append_jsonl, read_jsonl
from dagnas.spaces import load_space
from dagnas.spec.overrides import apply_overrides
from dagnas.workflows.methods import apply_method, resolve_method
from dagnas.workflows.search import run_search

OUT = Path(__file__).resolve().parent / "results" / "collapse.jsonl"
METHODS = ["beta_darts", "dirichlet", "darts", "gumbel", "sigmoid", "crb"]
PROXY = {"channels": 8, "layers": 5, "reductions": [1, 3]}
COLLAPSED = 2  # a cell with at most this many convolutions among its 6 edges
COLUMNS = ["method", "seeds", "collapsed", "conv", "conv3", "skip", "pool", "none", "changes"]


def cell_ops(text: str) -> list[str]:
    """The six ops of an NB201 string, in its order."""
    return [part.split("~")[0] for part in text.strip("|").replace("+", "").split("|") if part]


def counts(text: str) -> dict[str, int]:
    """Convolutions (``conv``, ``conv3``) and the other ops of an NB201 cell."""
    ops = Counter(cell_ops(text))
    conv3 = ops["nor_conv_3x3"]
    return {
        "conv": conv3 + ops["nor_conv_1x1"],
        "conv3": conv3,
        "skip": ops["skip_connect"],
        "pool": ops["avg_pool_3x3"],
        "none": ops["none"],
    }


def search_once(
    method: str, seed: int, epochs: int, data_root: Path, limit: int | None = None
) -> dict[str, Any]:
    """One proxy search on the first ``limit`` images (all: None); its row (the
    cells per epoch and the final one's counts)."""
    spec = apply_overrides(load_space("nb201"), PROXY, origin="benchmarks.collapse")
    search = {"seed": seed, "epochs": epochs, "device": "cpu", "data": "cifar10"}
    search["data_limit"] = limit
    spec = apply_method(spec, resolve_method(method), data_root=str(data_root), **search)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_search(spec, Path(tmp) / "run")
        cells = [nb201_string(arch) for _, arch in epoch_architectures(Path(tmp) / "run")]
    final = nb201_string(outcome.architecture)
    if final is None or None in cells:
        raise DagnasError(f"{method}: a derived cell has no NB201 string")
    last = cells[-11:]
    return {
        "cell": final,
        **counts(final),
        "collapsed": counts(final)["conv"] <= COLLAPSED,
        "cells": cells,
        "changes": sum(a != b for a, b in itertools.pairwise(last)),
        "val_acc": outcome.summary.get("val_acc"),
        "wall_time": time.perf_counter() - start,
    }


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Means over seeds per method; ``collapsed``: runs collapsed / runs."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["method"], []).append(r)
    out = []
    for method, runs in groups.items():
        line: dict[str, Any] = {
            "method": method,
            "seeds": len(runs),
            "collapsed": f"{sum(r['collapsed'] for r in runs)}/{len(runs)}",
        }
        for col in ["conv", "conv3", "skip", "pool", "none", "changes"]:
            line[col] = statistics.fmean(r[col] for r in runs)
        out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--data-limit", type=int, help="the first N images (smoke runs)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    torch.set_num_threads(1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    done = {(r["method"], r["seed"], r["epochs"]) for r in read_jsonl(args.out)}
    for method in methods:
        for seed in range(args.seeds):
            if (method, seed, args.epochs) in done:
                continue
            row = search_once(method, seed, args.epochs, args.data_root, args.data_limit)
            append_jsonl(args.out, {"method": method, "seed": seed, "epochs": args.epochs} | row)
            print(f"{method} seed {seed}: {row['cell']} (conv {row['conv']})", flush=True)
    rows = [
        r
        for r in read_jsonl(args.out)
        if r["epochs"] == args.epochs and r["method"] in methods and r["seed"] < args.seeds
    ]
    rows.sort(key=lambda r: (methods.index(r["method"]), r["seed"]))
    summary = summarise(rows)
    write_json(args.out.with_suffix(".json"), {"epochs": args.epochs, "summary": summary})
    print(table(summary, COLUMNS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

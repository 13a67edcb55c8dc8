"""Collapse on CIFAR-10: the NB201 (or DARTS normal) cell each method derives, epoch by epoch.

No table of the NB201 space on CIFAR-10 can be built here (15 625 cells), so
this benchmark measures the failure the tables cannot show at this scale: the
collapse to parameter-free cells. It searches the NAS-Bench-201 space at a
CPU proxy size (C=8, 5 cells: one normal cell per stage, 25 epochs, the
4000-image CIFAR-10 subset of ``../shared/data`` split 2000/2000) with every
method × seed, and reads the cell each epoch's mixing weights derive. In
NAS-Bench-201 a cell's accuracy grows with its convolutions (Dong & Yang, ICLR
2020: the all-skip cell that DARTS collapses to scores 54.3 on CIFAR-10, the
best cell holds five 3×3 convolutions and a skip), so a cell is counted as
**collapsed** when at most two of its six edges hold a convolution. The
space's search settings hold, its crop-and-flip of both halves included
(``--set search.augment=none`` searches without it).

``--space darts_cifar10`` searches the DARTS space at the same proxy size and
counts the same in its derived normal cell (8 edges: two into each of its 4
nodes). DARTS's own published cells hold 5 (first order) and 6 (second order)
convolutions there and 2–3 skips; the collapse Zela et al. (ICLR 2020) and
DARTS+ describe fills the cell with skips, so a normal cell is counted as
collapsed when at most half of its edges hold a convolution.

Per run: the final cell, its convolutions (``conv``: 1×1 and 3×3, in the DARTS
space separable and dilated; ``conv3``: NB201's 3×3), its
``skip``/``pool``/``none`` edges, ``changes`` (how many of the last ten epochs
derived a different cell from the epoch before) and the supernet's validation
accuracy. Rows go to ``--out`` (JSON lines, a re-run
skips the rows it holds); the summary (means over seeds, collapsed runs
counted) is printed and written beside it as ``<out>.json``.

    python -m benchmarks.collapse                               # 4 methods, 3 seeds
    python -m benchmarks.collapse --methods sigmoid,crb --seeds 2
    python -m benchmarks.collapse --methods beta_darts --set search.regularizers.0.lam=5
    python -m benchmarks.collapse --space darts_cifar10 --methods dirichlet,beta_darts --seeds 1

With ``--set`` (the spec's dotted keys, as ``dagnas run --set``) the rows'
method reads ``beta_darts [search.regularizers.0.lam=5]``.
"""

from __future__ import annotations

import itertools
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import networkx as nx

from benchmarks.common import ROOT, grid_methods, grid_parser, grid_rows, table, write_json
from dagnas.bench import epoch_architectures
from dagnas.errors import DagnasError
from dagnas.export.nb201 import nb201_string, parse_nb201
from dagnas.spaces import load_space
from dagnas.spec.overrides import apply_overrides, parse_assignment
from dagnas.workflows.methods import apply_method, resolve_method
from dagnas.workflows.search import run_search

OUT = Path(__file__).resolve().parent / "results" / "collapse.jsonl"
METHODS = ["beta_darts", "dirichlet", "darts", "gumbel"]
PROXY = {"channels": 8, "layers": 5, "reductions": [1, 3]}
#: A cell with at most this many convolutions is collapsed: 2 of NB201's 6 edges,
#: 4 of the 8 edges of a DARTS normal cell.
COLLAPSED = {"nb201": 2, "darts_cifar10": 4}
#: The DARTS ops, shortened for a cell's line: s3 = sep_conv_3x3, d5 = dil_conv_5x5...
SHORT = {"skip_connect": "S", "max_pool_3x3": "M", "avg_pool_3x3": "P", "none": "N"}
COLUMNS = ["method", "seeds", "collapsed", "conv", "conv3", "skip", "pool", "none", "changes"]


def counts(text: str) -> dict[str, int]:
    """Convolutions (``conv``, ``conv3``) and the other ops of an NB201 cell."""
    ops = Counter(parse_nb201(text).values())
    conv3 = ops["nor_conv_3x3"]
    return {
        "conv": conv3 + ops["nor_conv_1x1"],
        "conv3": conv3,
        "skip": ops["skip_connect"],
        "pool": ops["avg_pool_3x3"],
        "none": ops["none"],
    }


def normal_cell(arch: nx.DiGraph) -> str:
    """A DARTS-space architecture's normal cell, node by node: ``s3~0 s3~1 | ...``
    (each kept edge's op, shortened, and its source)."""
    nodes: dict[int, list[str]] = {}
    for _, _, d in arch.edges(data=True):
        key = str(d.get("key", ""))
        if d.get("searched") and key.startswith("normal:"):
            src, dst = (int(n) for n in key.removeprefix("normal:").split("->"))
            op = str(d["op"])
            nodes.setdefault(dst, []).append(f"{SHORT.get(op, op[0] + op[-1])}~{src}")
    return " | ".join(" ".join(sorted(nodes[n])) for n in sorted(nodes))


def darts_counts(cell: str) -> dict[str, int]:
    """Convolutions and the other ops of a :func:`normal_cell` line."""
    ops = Counter(edge.split("~")[0] for edge in cell.replace("|", " ").split())
    named = {"skip": ops["S"], "pool": ops["M"] + ops["P"], "none": ops["N"]}
    return {"conv": sum(ops.values()) - sum(named.values()), **named}


#: Per space: a derived architecture's cell line, and the counts of one.
CELLS = {"nb201": (nb201_string, counts), "darts_cifar10": (normal_cell, darts_counts)}


def search_once(
    method: str,
    seed: int,
    epochs: int,
    data_root: Path,
    limit: int | None = None,
    sets: Sequence[str] = (),
    space: str = "nb201",
) -> dict[str, Any]:
    """One proxy search of ``space`` on the first ``limit`` images (all: None)
    with the ``--set`` assignments ``sets``; its row (the cells per epoch and the
    final one's counts)."""
    spec = apply_overrides(load_space(space), PROXY, origin="benchmarks.collapse")
    search = {
        "seed": seed,
        "epochs": epochs,
        "device": "cpu",
        "data": "cifar10",
        "data_limit": limit,
    }
    spec = apply_method(spec, resolve_method(method), data_root=str(data_root), **search)
    spec = apply_overrides(spec, dict(parse_assignment(a) for a in sets), origin="--set")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        outcome = run_search(spec, Path(tmp) / "run")
        line, count = CELLS[space]
        cells = [line(arch) for _, arch in epoch_architectures(Path(tmp) / "run")]
    final = line(outcome.architecture)
    if final is None or None in cells:
        raise DagnasError(f"{method}: a derived cell has no {space} cell line")
    last, made = cells[-11:], count(final)
    return {
        "cell": final,
        **made,
        "collapsed": made["conv"] <= COLLAPSED[space],
        "cells": cells,
        "changes": sum(a != b for a, b in itertools.pairwise(last)),
        "val_acc": outcome.summary.get("val_acc"),
        "wall_time": time.perf_counter() - start,
    }


def summarise(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Means over the seeds that ran per method (``seeds``: ran / asked);
    ``collapsed``: runs collapsed / runs that ran."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["method"], []).append(r)
    out = []
    for method, runs in groups.items():
        ok = [r for r in runs if "error" not in r]
        line: dict[str, Any] = {
            "method": method,
            "seeds": f"{len(ok)}/{len(runs)}",
            "collapsed": f"{sum(r['collapsed'] for r in ok)}/{len(ok)}",
        }
        for col in ["conv", "conv3", "skip", "pool", "none", "changes"]:
            values = [r[col] for r in ok if col in r]
            line[col] = statistics.fmean(values) if values else None
        out.append(line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = grid_parser(__doc__, METHODS, OUT)
    parser.add_argument("--data-root", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--data-limit", type=int, help="the first N images (smoke runs)")
    parser.add_argument("--space", choices=sorted(CELLS), default="nb201")
    args = parser.parse_args(argv)
    if args.space != "nb201" and args.out == OUT:  # each space's rows in a file of its own
        args.out = OUT.with_name(f"collapse_{args.space}.jsonl")
    label = grid_methods(args)
    heads = [
        {"method": m, "seed": seed, "epochs": args.epochs}
        for m in label
        for seed in range(args.seeds)
    ]

    def run(head: dict[str, Any]) -> dict[str, Any]:
        method, seed = label[head["method"]], head["seed"]
        limit, sets = args.data_limit, args.sets
        return search_once(method, seed, args.epochs, args.data_root, limit, sets, args.space)

    def show(row: dict[str, Any]) -> str:
        return row.get("error") or f"{row['cell']} (conv {row['conv']})"

    rows = grid_rows(args.out, heads, run, show)
    summary = summarise(rows)
    report = {"space": args.space, "epochs": args.epochs, "summary": summary}
    write_json(args.out.with_suffix(".json"), report)
    print(table(summary, COLUMNS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How finely can a table's top be told apart? The best a perfect selector reaches.

A search is scored by the table rank of what it picks, but a table's scores are
means over a few trainings, each of which scatters (the ``accuracy_sd``
column). A selector that saw, for every architecture of the table, ``n`` fresh
trainings with the table's budget and picked the best of their means would
still pick by noise where the top lies within that scatter. This benchmark
draws such selectors (each architecture's mean plus normal noise of sd
``accuracy_sd / sqrt(n)``) and reports the top % (the share of the table at or
above the pick, as ``benchmarks.quality`` counts it) they reach on average and
how often they reach the top 10 %: a ceiling for any search whose evidence is
no better than ``n`` retrainings of every architecture.

    python -m benchmarks.table_resolution                       # every table, n = 1, 3
    python -m benchmarks.table_resolution --tables dense5_digits --retrains 1 3 10
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.build_tables import TABLES
from benchmarks.common import table, write_json
from benchmarks.quality import ORDER, place
from dagnas.bench import load_table

OUT = Path(__file__).resolve().parent / "results" / "table_resolution.json"


def selector_ceiling(
    means: Sequence[float], sds: Sequence[float], retrains: int, draws: int, seed: int = 0
) -> dict[str, float]:
    """Mean top % and the share of draws in the top 10 % of a selector that picks
    the largest of ``means`` + N(0, sd²/retrains) noise, over ``draws`` draws."""
    mu, sd = np.asarray(means, dtype=float), np.asarray(sds, dtype=float)
    rng = np.random.default_rng(seed)
    noisy = mu + rng.standard_normal((draws, mu.size)) * sd / np.sqrt(retrains)
    scores = mu.tolist()
    tops = np.array([place(scores[int(i)], scores)["top_pct"] for i in noisy.argmax(1)])
    return {"top_pct": float(tops.mean()), "p_top10": float((tops <= 10).mean())}


def resolution(name: str, retrains: Sequence[int], draws: int) -> dict[str, Any]:
    """The table's spread at its top and the selector ceilings for each ``retrains``."""
    scores = load_table(TABLES[name].csv, metrics=["accuracy", "accuracy_sd"]).scores
    mu = [s["accuracy"] for s in scores.values()]
    sd = [s["accuracy_sd"] for s in scores.values()]
    ranked = sorted(mu, reverse=True)
    cut = ranked[max(int(np.ceil(0.1 * len(ranked))) - 1, 0)]
    row: dict[str, Any] = {
        "table": name,
        "architectures": len(mu),
        "best": ranked[0],
        "top-10 % cut": cut,
        "median sd": float(np.median(sd)),
        "within 1 sd of best": sum(m >= ranked[0] - float(np.median(sd)) for m in mu),
    }
    for n in retrains:
        c = selector_ceiling(mu, sd, n, draws)
        row[f"top % (n={n})"] = c["top_pct"]
        row[f"P(top 10 %) (n={n})"] = c["p_top10"]
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", choices=sorted(TABLES), default=ORDER)
    parser.add_argument("--retrains", nargs="+", type=int, default=[1, 3])
    parser.add_argument("--draws", type=int, default=4000)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if min(args.retrains) < 1 or args.draws < 1:
        parser.error("--retrains and --draws must be at least 1")
    rows = [resolution(name, args.retrains, args.draws) for name in args.tables]
    write_json(args.out, {"draws": args.draws, "rows": rows})
    print(table(rows, list(rows[0])))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

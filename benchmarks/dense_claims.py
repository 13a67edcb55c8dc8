"""The masked dense building blocks' open questions (Neumeyer 2021), measured.

Four parts, each a small experiment on the tables of benchmarks/tables/:

- ``sampler``: the density sampler with α feedback (the spaces' default) against
  the uniform sampler, at equal budget (same epochs, resample schedule and
  number of blocks): search-quality rows (:mod:`benchmarks.quality`) on
  dense5_digits and dense5_mnist;
- ``arch_data``: ``search.arch_data: val`` (the default) against ``train``,
  the same way;
- ``size``: how large the space must be: k blocks searched at a time × l
  vertices; l = 5 has a table, the others do not, so every found block is
  scored by retraining it (the digits table's budget, 3 seeds);
- ``chain``: the dense chain (the path block 0→1→…→l−1: a plain MLP) and the
  complete block of each depth l, retrained the same way, beside the blocks
  the ``size`` part found.

    python -m benchmarks.dense_claims                 # all parts, 3 seeds
    python -m benchmarks.dense_claims --parts size chain --seeds 2

Prints one table per part and writes them to ``--out`` (JSON). The
searches of the first two parts are :mod:`benchmarks.quality` rows, read from
and added to ``--rows`` (its ``--out``), so a search either has run is not
run again.
"""

from __future__ import annotations

import argparse
import logging
import statistics
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from benchmarks.build_tables import TABLES
from benchmarks.common import table, write_json
from benchmarks.quality import search_once
from dagnas.engine.derive import block_architecture
from dagnas.evaluate.table import describe
from dagnas.io import append_jsonl, read_jsonl
from dagnas.samplers import make_block
from dagnas.spaces import load_space
from dagnas.spec.lower import lower
from dagnas.spec.overrides import apply_overrides
from dagnas.training.retrain import train_architecture
from dagnas.workflows.methods import apply_method, resolve_method
from dagnas.workflows.search import run_search

OUT = Path(__file__).resolve().parent / "results" / "dense_claims.json"
ROWS = OUT.parent / "quality.jsonl"  # benchmarks.quality's rows: searches done are reused
PARTS = ("sampler", "arch_data", "size", "chain")
METHOD = "dirichlet"  # the spaces' default
SPACE = "dense5_digits"  # the size and chain parts search and retrain on digits
VARIANTS = {
    "sampler": {"density (α feedback)": [], "uniform": ["sampler.name=uniform"]},
    "arch_data": {"val": [], "train": ["search.arch_data=train"]},
}
SIZES = {"blocks": (2, 4, 8), "vertices": (4, 5, 6)}


def mean(xs: list[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


def quality_rows(
    name: str, sets: list[str], seeds: int, epochs: int, cache: Path
) -> list[dict[str, Any]]:
    """:mod:`benchmarks.quality` rows of table ``name`` with ``sets``, read from
    ``cache`` (its JSON lines, the same as ``quality --out``) or searched and added."""
    label = METHOD + (f" [{' '.join(sets)}]" if sets else "")
    have = {
        r["seed"]: r
        for r in read_jsonl(cache)
        if (r["table"], r["method"], r["epochs"]) == (name, label, epochs)
    }
    for seed in range(seeds):
        if seed not in have:
            row = search_once(name, METHOD, seed, epochs, sets)
            have[seed] = {"table": name, "method": label, "seed": seed, "epochs": epochs, **row}
            append_jsonl(cache, have[seed])
    return [have[s] for s in range(seeds)]


def quality_part(part: str, seeds: int, epochs: int, cache: Path) -> list[dict[str, Any]]:
    """Per table × variant: mean top %, final and drop over ``seeds`` searches."""
    out = []
    for name in ("dense5_digits", "dense5_mnist"):
        for label, sets in VARIANTS[part].items():
            runs = quality_rows(name, sets, seeds, epochs, cache)
            rows = [r for r in runs if "error" not in r]
            out.append(
                {
                    "table": name,
                    part: label,
                    "seeds": f"{len(rows)}/{len(runs)}",
                    "top %": mean([r["top_pct"] for r in rows]),
                    "final": mean([r["final"] for r in rows]),
                    "drop": mean([r["drop"] for r in rows]),
                    "blocks": [r.get("arch") for r in runs],
                }
            )
    return out


def space_of(blocks: int, vertices: int) -> Any:
    """The digits dense-block space with ``blocks`` searched at a time over ``vertices``."""
    return apply_overrides(
        load_space(SPACE), {"stages.0.blocks": blocks, "stages.0.vertices": vertices}
    )


def retrained(arch: Any, seeds: int) -> float:
    """Mean test accuracy of ``arch`` trained from scratch with the digits table's budget."""
    data, cfg = TABLES[SPACE].data_ref.load(), TABLES[SPACE].train
    return mean(
        [train_architecture(arch, data, replace(cfg, seed=s)).test_acc for s in range(seeds)]
    )


def size_part(seeds: int, epochs: int) -> list[dict[str, Any]]:
    """Per (k, l): the block each search seed finds, each retrained over ``seeds``."""
    out = []
    for vertices in SIZES["vertices"]:
        for blocks in SIZES["blocks"]:
            spec = space_of(blocks, vertices)
            found, scores = [], []
            for s in range(seeds):
                run = apply_method(
                    spec, resolve_method(METHOD), seed=s, epochs=epochs, device="cpu"
                )
                arch = run_search(run, None).architecture
                found.append(describe(arch))
                scores.append(retrained(arch, seeds))
            out.append(
                {
                    "vertices": vertices,
                    "k blocks": blocks,
                    "retrained": mean(scores),
                    "worst seed": min(scores),
                    "found": found,
                }
            )
    return out


def fixed_block(vertices: int, edges: list[tuple[int, int]], seeds: int) -> float:
    """A block given by its edges, in the digits space with ``vertices``, retrained."""
    data = TABLES[SPACE].data_ref.load()
    graph = lower(space_of(8, vertices), data.input_shape, data.num_classes)
    return retrained(block_architecture(graph, {"s0": make_block(edges)}), seeds)


def chain_part(seeds: int, size: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per depth l: the chain and the complete block, and the best searched block."""
    out = []
    for vertices in SIZES["vertices"]:
        chain = [(i, i + 1) for i in range(vertices - 1)]
        complete = [(i, j) for i in range(vertices) for j in range(i + 1, vertices)]
        searched = [r for r in size if r["vertices"] == vertices]
        best = max(searched, key=lambda r: r["retrained"]) if searched else None
        out.append(
            {
                "vertices": vertices,
                "chain": fixed_block(vertices, chain, seeds),
                "complete": fixed_block(vertices, complete, seeds),
                "searched (best k)": best["retrained"] if best else None,
                "k": best["k blocks"] if best else None,
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", nargs="+", choices=PARTS, default=list(PARTS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=25, help="search epochs")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument(
        "--rows", type=Path, default=ROWS, help="search rows, shared with quality --out"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    torch.set_num_threads(1)
    results: dict[str, Any] = {"seeds": args.seeds, "epochs": args.epochs}
    for part in ("sampler", "arch_data"):
        if part in args.parts:
            results[part] = quality_part(part, args.seeds, args.epochs, args.rows)
    if "size" in args.parts or "chain" in args.parts:
        results["size"] = size_part(args.seeds, args.epochs)
    if "chain" in args.parts:
        results["chain"] = chain_part(args.seeds, results["size"])
    for part in PARTS:
        if part in results:
            rows = [
                {k: v for k, v in r.items() if k not in ("blocks", "found")} for r in results[part]
            ]
            print(f"\n{part}\n" + table(rows, list(rows[0])))
    write_json(args.out, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

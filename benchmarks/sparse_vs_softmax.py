"""Sparse simplex α (Ito 2022) against softmax DARTS on the CPU-sized DARTS space.

Per method and seed: one search on digits, the fraction of exactly-zero
mixing weights at the end, step time per epoch. Step time: per epoch from the
search's metrics, and the final α's forward+backward cost over the initial
α's, timed alternately after the search. Then the claim at matched size: the
sparse search's ``support`` architecture (every op not exactly zero) against
softmax DARTS's ``topk`` architecture of the same seed, k (edges kept per
node) chosen so that its parameter count is the nearest to the support's;
both retrained from scratch with one budget and that seed. λ defaults to
0.1, the top of the thesis's grid: at 0.01 too few weights reach zero for the
support to be matched by any top-k cell. Writes JSON; prints a line per run
and a table of the pairs.

    python -m benchmarks.sparse_vs_softmax --seeds 0,1,2 --out sparse_vs_softmax.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import networkx as nx
import torch

import dagnas
from benchmarks.common import table, write_json
from dagnas.compile import ChildNet, Supernet
from dagnas.relax import Mixing
from dagnas.workflows.rundir import load_search_data
from dagnas.workflows.search import seed_all

SPACE = Path(__file__).resolve().parent.parent / "spaces" / "darts_digits.yaml"
MAX_K = 4  # incoming edges of the space's last node: topk keeps every edge
COLUMNS = ["seed", "support_params", "support_acc", "k", "topk_params", "topk_acc", "size_ratio"]


def step_cost(model: Supernet, mixing: Mixing, batch: tuple[torch.Tensor, ...]) -> float:
    """Seconds of one forward + backward pass of the supernet under ``mixing``."""
    start = time.perf_counter()
    loss = torch.nn.functional.cross_entropy(model(batch[0], mixing), batch[1])
    loss.backward()
    model.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def step_cost_ratio(model: Supernet, start: Mixing, end: Mixing, batch, repeats: int = 7) -> float:
    """Median step time under the final mixing over that under the initial one,
    timed alternately on one batch so the machine's load hits both alike."""
    first, last = [], []
    for _ in range(repeats):
        first.append(step_cost(model, start, batch))
        last.append(step_cost(model, end, batch))
    return statistics.median(last) / statistics.median(first)


def search(method: dict[str, Any], arch: dict[str, Any], seed: int, epochs: int):
    """One search on digits; its outcome and its figures (zeros, step times)."""
    spec = dagnas.load_space(SPACE)
    out = dagnas.search(spec, seed=seed, epochs=epochs, relaxation=method, arch=arch, device="cpu")
    cfg, model, metrics = out.spec.search, out.supernet, out.metrics
    data = load_search_data(cfg)
    seed_all(seed)  # as the search did: the supernet before its first step
    initial = dagnas.build_supernet(out.spec, data.input_shape, data.num_classes)
    steps = [m["step_time"] for m in metrics]
    batch = tuple(t[: cfg.batch_size] for t in data.train.tensors)
    row = {
        "method": method["name"],
        "options": cfg.relaxation.options,
        "arch": cfg.arch.model_dump(),
        "seed": seed,
        "zero_fraction": metrics[-1]["zero_fraction"],
        "zero_fraction_by_epoch": [m["zero_fraction"] for m in metrics],
        "step_time_by_epoch": steps,
        "late_over_first_step_time": (sum(steps[-3:]) / 3) / steps[0],
        "final_over_initial_step_cost": step_cost_ratio(
            model, initial.relaxation.final(), model.relaxation.final(), batch
        ),
        "search_val_acc": metrics[-1]["val_acc"],
        "search_time": out.summary["wall_time"],
    }
    return out, data, row


def derived(model: Supernet, rule: dict[str, Any]) -> tuple[nx.DiGraph, int]:
    """The architecture ``rule`` derives from ``model``'s final α; its parameters."""
    graph = model.graph.copy()
    graph.graph["derive"] = rule
    arch = dagnas.derive(graph, model.relaxation.final())
    return arch, sum(p.numel() for p in ChildNet(arch).parameters())


def searched_ops(arch: nx.DiGraph) -> list[str]:
    """Every op the architecture keeps on its searched edges."""
    edges = [d for _, _, d in arch.edges(data=True) if d.get("searched")]
    return sorted(op for d in edges for op in d.get("ops_kept", [d["op"]]))


def matched(sparse: Supernet, softmax: Supernet, data, seed: int, retrain: int) -> dict[str, Any]:
    """The support architecture and the topk one nearest in size, retrained."""
    support, size = derived(sparse, {"name": "support"})
    tops = [derived(softmax, {"name": "topk", "k": k}) for k in range(1, MAX_K + 1)]
    k = min(range(len(tops)), key=lambda i: abs(tops[i][1] - size)) + 1
    top = tops[k - 1][0]
    runs = [
        dagnas.retrain(a, data, epochs=retrain, seed=seed, device="cpu") for a in (support, top)
    ]
    return {
        "seed": seed,
        "support_params": runs[0]["params"],
        "support_acc": runs[0]["test_acc"],
        "support_ops": searched_ops(support),
        "k": k,
        "topk_params_by_k": [t[1] for t in tops],
        "topk_params": runs[1]["params"],
        "topk_acc": runs[1]["test_acc"],
        "topk_ops": searched_ops(top),
        "size_ratio": runs[0]["params"] / runs[1]["params"],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--retrain-epochs", type=int, default=10)
    p.add_argument("--lam", type=float, default=0.1)
    p.add_argument("--sparse-lr", type=float, default=0.1)
    p.add_argument("--out", default="sparse_vs_softmax.json")
    a = p.parse_args()
    torch.set_num_threads(1)
    runs = {
        "softmax": ({"name": "softmax"}, {}),
        "sparse_simplex": ({"name": "sparse_simplex", "lam": a.lam}, {"lr": a.sparse_lr}),
    }
    rows, pairs = [], []
    for seed in (int(s) for s in a.seeds.split(",")):
        found = {}
        for name, (method, arch) in runs.items():
            out, data, row = search(method, arch, seed, a.epochs)
            found[name] = out.supernet
            rows.append(row)
            print(
                f"{name:15s} seed {seed}: zeros {row['zero_fraction']:.3f}"
                f"  step time late/first {row['late_over_first_step_time']:.2f}"
                f" (alternating: {row['final_over_initial_step_cost']:.2f})"
                f"  search {row['search_time']:.0f}s",
                flush=True,
            )
        pairs.append(
            matched(found["sparse_simplex"], found["softmax"], data, seed, a.retrain_epochs)
        )
        print(json.dumps(pairs[-1]), flush=True)
    print(table(pairs, COLUMNS))
    mean = {c: statistics.fmean(r[c] for r in pairs) for c in ("support_acc", "topk_acc")}
    print(f"mean test acc: support {mean['support_acc']:.4f}, topk {mean['topk_acc']:.4f}")
    write_json(
        a.out, {"lam": a.lam, "epochs": a.epochs, "runs": rows, "matched": pairs, "mean": mean}
    )


if __name__ == "__main__":
    main()

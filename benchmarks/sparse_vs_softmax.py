"""Sparse simplex α (Ito 2022) against softmax DARTS on the CPU-sized DARTS space.

Per method and seed: one search on digits, the fraction of exactly-zero
mixing weights at the end, step time per epoch, the derived architecture
(the space's rule, top-2) retrained from scratch with one budget, its test
accuracy. Step time: per epoch from the search's metrics, and the final α's
forward+backward cost over the initial α's, timed alternately after the
search. Writes JSON; prints a line per run.

    python benchmarks/sparse_vs_softmax.py --seeds 0,1,2 --out sparse_vs_softmax.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import torch

import dagnas
from dagnas.compile import Supernet
from dagnas.relax import Mixing
from dagnas.workflows.rundir import load_search_data
from dagnas.workflows.search import seed_all

SPACE = Path(__file__).resolve().parent.parent / "spaces" / "darts_digits.yaml"


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


def one(method: dict[str, Any], arch: dict[str, Any], seed: int, epochs: int, retrain: int):
    spec = dagnas.load_space(SPACE)
    out = dagnas.search(spec, seed=seed, epochs=epochs, relaxation=method, arch=arch, device="cpu")
    cfg, model, metrics = out.spec.search, out.supernet, out.metrics
    data = load_search_data(cfg)
    seed_all(seed)  # as the search did: the supernet before its first step
    initial = dagnas.build_supernet(out.spec, data.input_shape, data.num_classes)
    trained = dagnas.retrain(out.architecture, data, epochs=retrain, seed=seed, device="cpu")
    steps = [m["step_time"] for m in metrics]
    batch = tuple(t[: cfg.batch_size] for t in data.train.tensors)
    final = model.relaxation.final()
    return {
        "method": method["name"],
        "options": cfg.relaxation.options,
        "arch": cfg.arch.model_dump(),
        "seed": seed,
        "zero_fraction": metrics[-1]["zero_fraction"],
        "zero_fraction_by_epoch": [m["zero_fraction"] for m in metrics],
        "step_time_by_epoch": steps,
        "late_over_first_step_time": (sum(steps[-3:]) / 3) / steps[0],
        "final_over_initial_step_cost": step_cost_ratio(
            model, initial.relaxation.final(), final, batch
        ),
        "search_val_acc": metrics[-1]["val_acc"],
        "search_time": out.summary["wall_time"],
        "derived_params": trained["params"],
        "test_acc": trained["test_acc"],
        "ops": sorted(
            d["op"] for _, _, d in out.architecture.edges(data=True) if d.get("searched")
        ),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--retrain-epochs", type=int, default=10)
    p.add_argument("--lam", type=float, default=1e-2)
    p.add_argument("--sparse-lr", type=float, default=0.1)
    p.add_argument("--methods", default="softmax,sparse_simplex")
    p.add_argument("--out", default="sparse_vs_softmax.json")
    a = p.parse_args()
    runs = {
        "softmax": ({"name": "softmax"}, {}),
        "sparse_simplex": ({"name": "sparse_simplex", "lam": a.lam}, {"lr": a.sparse_lr}),
    }
    rows = []
    for name in a.methods.split(","):
        for seed in (int(s) for s in a.seeds.split(",")):
            row = one(*runs[name], seed, a.epochs, a.retrain_epochs)
            rows.append(row)
            print(
                f"{name:15s} seed {seed}: zeros {row['zero_fraction']:.3f}"
                f"  step time late/first {row['late_over_first_step_time']:.2f}"
                f" (alternating: {row['final_over_initial_step_cost']:.2f})"
                f"  search {row['search_time']:.0f}s  params {row['derived_params']}"
                f"  test acc {row['test_acc']:.4f}",
                flush=True,
            )
    Path(a.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()

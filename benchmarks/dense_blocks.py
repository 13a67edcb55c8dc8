"""Batched dense blocks vs the plain per-block, per-edge loop on the same weights.

One stage of k=8 blocks over l=6 vertices of width 256 (input width 256),
blocks drawn uniformly from the connected DAGs. For batch 32 and 256 and for
mixing weights that are all positive or 75% exactly zero, it first checks
that both give the same output (float32, 1e-5), then times forward and
forward+backward after a warm-up. Loop and batched runs alternate, so both
see the same load on a shared machine; ``ratio`` is loop time / batched time
per alternated pair (median, min, max over the pairs).

    PYTHONPATH=. python benchmarks/dense_blocks.py [--repeats 30] [--threads N]

Writes ``benchmarks/results/dense_blocks.json`` and prints a table.
"""

from __future__ import annotations

import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import torch

from dagnas.compile.dense import DenseStage, loop_forward
from dagnas.samplers import DagConstraints, make_sampler

K, VERTICES, WIDTH = 8, 6, 256
Run = Callable[[], None]


def make_case(batch: int, zero_fraction: float, seed: int) -> tuple[DenseStage, Any, Any]:
    """The stage, an input batch and mixing weights π (a ``zero_fraction`` of them 0)."""
    torch.manual_seed(seed)
    c = DagConstraints(VERTICES)
    blocks = make_sampler("uniform", c, seed).sample(K)
    stage = DenseStage(WIDTH, WIDTH, VERTICES, c.allowed_edges(), blocks)
    x = torch.randn(batch, WIDTH)
    pi = torch.softmax(torch.randn(K), 0)
    pi[: round(zero_fraction * K)] = 0.0
    return stage, x, pi


def runner(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x, pi, backward: bool) -> Run:
    def run() -> None:
        p = pi.clone().requires_grad_(backward)
        out = fn(x, p)
        if backward:
            out.square().mean().backward()

    return run


def alternate(loop: Run, batched: Run, repeats: int, warmup: int) -> dict[str, Any]:
    """Time the two alternately; seconds and loop/batched ratios per pair."""
    for _ in range(warmup):
        loop()
        batched()
    t_loop, t_batched = [], []
    for _ in range(repeats):
        for run, times in ((loop, t_loop), (batched, t_batched)):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
    ratios = [a / b for a, b in zip(t_loop, t_batched, strict=True)]

    def stats(v: list[float]) -> dict[str, float]:
        return {"median": statistics.median(v), "min": min(v), "max": max(v)}

    return {"loop_s": stats(t_loop), "batched_s": stats(t_batched), "ratio": stats(ratios)}


def bench_case(batch: int, zero_fraction: float, repeats: int, warmup: int) -> dict[str, Any]:
    stage, x, pi = make_case(batch, zero_fraction, seed=0)
    ref, out = loop_forward(stage, x, pi), stage(x, pi)
    err = (out - ref).abs().max().item()
    if not torch.allclose(out, ref, rtol=1e-5, atol=1e-5):
        raise SystemExit(f"batched and loop outputs differ by {err:.3g} (batch {batch})")
    loop_fn = lambda x_, p: loop_forward(stage, x_, p)  # noqa: E731
    result: dict[str, Any] = {
        "batch": batch,
        "zero_fraction": zero_fraction,
        "max_abs_diff": err,
        "edges_in_blocks": sum(len(b) for b, v in zip(stage.blocks, pi, strict=True) if v != 0),
        "pairs_computed": len(stage.plan(tuple(int(i) for i in pi.nonzero())).pairs),
    }
    for name, backward in (("forward", False), ("forward_backward", True)):
        result[name] = alternate(
            runner(loop_fn, x, pi, backward),
            runner(stage, x, pi, backward),
            repeats,
            warmup,
        )
    return result


@click.command()
@click.option("--repeats", default=30, show_default=True, help="Timed runs of each.")
@click.option("--warmup", default=5, show_default=True)
@click.option("--threads", type=int, help="torch threads (default: torch's choice).")
@click.option("--out", default="benchmarks/results/dense_blocks.json", show_default=True)
def main(repeats: int, warmup: int, threads: int | None, out: str) -> None:
    """Benchmark batched dense blocks against the per-block loop."""
    if threads:
        torch.set_num_threads(threads)
    cases = [bench_case(b, z, repeats, warmup) for b in (32, 256) for z in (0.0, 0.75)]
    report = {
        "k": K,
        "vertices": VERTICES,
        "width": WIDTH,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "machine": platform.processor() or platform.machine(),
        "cases": cases,
    }
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(report, indent=2) + "\n")
    click.echo(f"k={K} l={VERTICES} width={WIDTH}, {report['threads']} threads; ms median")
    click.echo(f"{'batch':>5} {'zero':>5} {'pass':>17} {'loop':>8} {'batched':>8} {'ratio':>6}")
    for c in cases:
        for name in ("forward", "forward_backward"):
            r = c[name]
            click.echo(
                f"{c['batch']:>5} {c['zero_fraction']:>5.2f} {name:>17} "
                f"{1e3 * r['loop_s']['median']:>8.2f} {1e3 * r['batched_s']['median']:>8.2f} "
                f"{r['ratio']['median']:>6.2f}"
            )
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()

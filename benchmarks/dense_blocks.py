"""Batched dense blocks vs the plain per-block, per-edge loop on the same weights.

One stage of k=8 blocks over l=6 vertices of width 256 (input width 256),
blocks drawn uniformly from the connected DAGs. For each batch and each
fraction of mixing weights that are exactly zero it first checks that both
give the same output (float32, 1e-5), then times forward and
forward+backward after a warm-up. Loop and batched runs take turns
(:func:`benchmarks.common.interleaved_times`), so both see the same load on a
shared machine; ``ratio`` is batched time / loop time per round (median, min,
max over the rounds). The forward rounds also time a 2048³ float32 matmul,
the machine's measured peak: ``gflops`` is the batched forward's matmul
FLOPs (counted from its plan, :func:`plan_flops`) per second, and
``peak_fraction`` that over the matmul's GFLOP/s in the same round.

    PYTHONPATH=. python -m benchmarks.dense_blocks [--batches 32,256] [--repeats 30]

Prints a table; ``--result FILE`` writes the JSON.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any

import torch

from benchmarks.common import (
    interleaved_times,
    pick_device,
    ratios,
    set_threads,
    stats,
    table,
    write_json,
)
from benchmarks.peak import PEAK_N, matmul
from dagnas.compile.dense import DenseStage, loop_forward
from dagnas.compile.dense_plan import StagePlan
from dagnas.samplers import DagConstraints, make_sampler

K, VERTICES, WIDTH = 8, 6, 256
Run = Callable[[], None]


def make_case(
    batch: int,
    zero_fraction: float,
    seed: int = 0,
    k: int = K,
    vertices: int = VERTICES,
    width: int = WIDTH,
    device: str = "cpu",
) -> tuple[DenseStage, torch.Tensor, torch.Tensor]:
    """The stage, an input batch and mixing weights π (a ``zero_fraction`` of them 0)."""
    torch.manual_seed(seed)
    c = DagConstraints(vertices)
    blocks = make_sampler("uniform", c, seed).sample(k)
    stage = DenseStage(width, width, vertices, c.allowed_edges(), blocks)
    x = torch.randn(batch, width)
    pi = torch.softmax(torch.randn(k), 0)
    pi[: round(zero_fraction * k)] = 0.0
    return stage.to(device), x.to(device), pi.to(device)


def plan_flops(plan: StagePlan, batch: int, in_width: int, width: int) -> int:
    """The matmul FLOPs of the plan's edge terms at ``batch`` rows of input.

    Each source i→j multiplies the selected nodes at vertex i (all of them
    when ``select`` is None), ``batch`` rows each, by W_ij (d_in × width):
    2·rows·d_in·width. Biases, activations and the combine steps are not counted.
    """
    nodes = {0: 1}
    flops = 0
    for st in plan.steps:
        for src in st.sources:
            picked = nodes[src.vertex] if src.select is None else len(src.select)
            d_in = in_width if src.vertex == 0 else width
            flops += 2 * batch * picked * d_in * width
        nodes[st.vertex] = st.nodes
    return flops


def runner(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], x, pi, backward: bool) -> Run:
    def run() -> None:
        p = pi.clone().requires_grad_(backward)
        out = fn(x, p)
        if backward:
            out.square().mean().backward()

    return run


def bench_case(
    batch: int,
    zero_fraction: float,
    repeats: int,
    warmup: int,
    device: str = "cpu",
    k: int = K,
    vertices: int = VERTICES,
    width: int = WIDTH,
    peak_n: int = PEAK_N,
) -> dict[str, Any]:
    """Check, then time loop and batched (and the peak matmul) in turns."""
    stage, x, pi = make_case(batch, zero_fraction, 0, k, vertices, width, device)
    ref, out = loop_forward(stage, x, pi), stage(x, pi)
    err = (out - ref).abs().max().item()
    if not torch.allclose(out, ref, rtol=1e-5, atol=1e-5):
        raise RuntimeError(f"batched and loop outputs differ by {err:.3g} (batch {batch})")
    plan = stage.plan(tuple(b for b, v in enumerate(pi.tolist()) if v != 0))
    flops = plan_flops(plan, batch, stage.in_width, stage.width)
    loop_fn = lambda x_, p: loop_forward(stage, x_, p)  # noqa: E731
    mm, mm_flops = matmul(device, peak_n)
    result: dict[str, Any] = {
        "batch": batch,
        "zero_fraction": zero_fraction,
        "k": k,
        "vertices": vertices,
        "width": width,
        "max_abs_diff": err,
        "edges_in_blocks": sum(len(b) for b, v in zip(stage.blocks, pi, strict=True) if v != 0),
        "pairs_computed": len(plan.pairs),
        "forward_flops": flops,
    }
    for name, backward in (("forward", False), ("forward_backward", True)):
        fns = {"loop": runner(loop_fn, x, pi, backward), "batched": runner(stage, x, pi, backward)}
        if not backward:
            fns["matmul"] = mm
        t = interleaved_times(fns, repeats, warmup, device)
        r = {
            "loop_s": stats(t["loop"]),
            "batched_s": stats(t["batched"]),
            "ratio": ratios(t["batched"], t["loop"]),
        }
        if not backward:  # (flops / batched) / (mm_flops / matmul), per round
            r["gflops"] = stats([flops / 1e9 / s for s in t["batched"]])
            r["peak_gflops"] = stats([mm_flops / 1e9 / s for s in t["matmul"]])
            r["peak_fraction"] = ratios(
                [flops * s for s in t["matmul"]], [mm_flops * s for s in t["batched"]]
            )
            r["peak_n"] = peak_n
        result[name] = r
    return result


def run(
    batches: Sequence[int],
    zeros: Sequence[float],
    repeats: int,
    warmup: int,
    device: str = "cpu",
    peak_n: int = PEAK_N,
    **sizes: int,
) -> dict[str, Any]:
    """Every (batch, zero fraction) case; the report the runner and the CLI write."""
    cases = [
        bench_case(b, z, repeats, warmup, device, peak_n=peak_n, **sizes)
        for b in batches
        for z in zeros
    ]
    return {
        "k": sizes.get("k", K),
        "vertices": sizes.get("vertices", VERTICES),
        "width": sizes.get("width", WIDTH),
        "device": device,
        "threads": torch.get_num_threads(),
        "cases": cases,
    }


def report_table(report: dict[str, Any]) -> str:
    rows = []
    for c in report["cases"]:
        for name in ("forward", "forward_backward"):
            r = c[name]
            rows.append(
                {
                    "batch": c["batch"],
                    "zeros": c["zero_fraction"],
                    "pass": name,
                    "loop ms": 1e3 * r["loop_s"]["median"],
                    "batched ms": 1e3 * r["batched_s"]["median"],
                    "batched/loop": r["ratio"]["median"],
                    "GFLOP/s": r.get("gflops", {}).get("median"),
                    "of peak": r.get("peak_fraction", {}).get("median"),
                }
            )
    return table(rows, list(rows[0]))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Benchmark batched dense blocks against the per-block loop."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.dense_blocks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--batches", default="32,256")
    p.add_argument("--zeros", default="0,0.75", help="fractions of π exactly zero")
    p.add_argument("--repeats", type=int, default=30, help="timed rounds")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--width", type=int, default=WIDTH)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--result", help="write the JSON result here")
    args = p.parse_args(argv)
    set_threads(args.threads)
    report = run(
        [int(b) for b in args.batches.split(",")],
        [float(z) for z in args.zeros.split(",")],
        args.repeats,
        args.warmup,
        pick_device(args.device),
        width=args.width,
    )
    print(f"k={report['k']} l={report['vertices']} width={report['width']}, "
          f"{report['threads']} threads; medians")  # fmt: skip
    print(report_table(report))
    if args.result:
        write_json(args.result, report)
    return report


if __name__ == "__main__":
    main()

"""Search speed on a shared machine: quiet, and beside one busy process.

For the ``darts_digits`` supernet (on digits, its batch) and
a DARTS CIFAR-shaped supernet (C=8, 5 cells, batch 16), each in a fresh
process: the median time of a search step with 1 and with 2 intra-op
threads, on a quiet machine and with one pure-Python spin loop running
beside it; and the multiply-accumulates of one step's forward, which the
thread policy (``dagnas.training.threads``) reads. Then the default
``dagnas run`` end to end, with the policy's thread count, quiet and busy.

    python -m benchmarks.load [--steps 8] [--out benchmarks/results/load.json]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

import dagnas
from benchmarks.common import ROOT, in_subprocess, load, machine, table, timed, write_json
from benchmarks.darts_step import DartsCase, darts_graph, searcher, step_fn
from dagnas.compile import compile_supernet
from dagnas.engine.loop import Searcher
from dagnas.measure.flops import count_macs
from dagnas.workflows.rundir import load_search_data
from dagnas.workflows.search import build_supernet

CASES = ("darts_digits", "darts_c8")
SPIN = "while True: pass"


@contextmanager
def busy(on: bool) -> Iterator[None]:
    """One pure-Python spin loop in another process for the block (when ``on``)."""
    proc = subprocess.Popen([sys.executable, "-c", SPIN]) if on else None
    try:
        time.sleep(0.5 if on else 0)
        yield
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()


def build_case(case: str) -> tuple[Searcher, tuple[int, ...], int]:
    """A Searcher on the case's supernet, the input shape and the batch size."""
    if case == "darts_digits":
        spec = dagnas.load_space("darts_digits")
        data = load_search_data(spec.search)
        torch.manual_seed(0)
        model = build_supernet(spec, data.input_shape, data.num_classes)
        s = Searcher(model, data.train.tensors, data.val.tensors, spec.search)
        return s, data.input_shape, spec.search.batch_size
    darts = DartsCase(channels=8, layers=5, batch=16)
    torch.manual_seed(0)
    return searcher(compile_supernet(darts_graph(darts)), darts, "cpu"), (3, 32, 32), darts.batch


def one_case(case: str, threads: int, spin: bool, steps: int) -> dict[str, Any]:
    """Median step time of ``case`` with ``threads`` threads, beside a spin loop or not."""
    torch.set_num_threads(threads)
    s, shape, batch = build_case(case)
    macs = count_macs(s.model, shape) * batch
    step = step_fn(s)
    for _ in range(2):
        step()
    with busy(spin):
        times = [timed(step, "cpu") for _ in range(steps)]
    return {"case": case, "threads": threads, "busy": spin, "step_s": statistics.median(times),
            "step_macs": macs, "times": times}  # fmt: skip


def default_run(threads: int | None, spin: bool) -> dict[str, Any]:
    """Wall seconds of the default ``dagnas run`` (``--threads``, or the policy)."""
    with tempfile.TemporaryDirectory() as tmp, busy(spin):
        cmd = [sys.executable, "-m", "dagnas", "run", "--quiet", "--out", str(Path(tmp) / "r")]
        cmd += ["--threads", str(threads)] if threads else []
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        return {"threads": threads or "policy", "busy": spin, "wall_s": time.perf_counter() - start}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--no-run", action="store_true", help="Skip the end-to-end default run.")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "load.json"))
    p.add_argument("--result", help=argparse.SUPPRESS)
    p.add_argument("--one", nargs=3, help=argparse.SUPPRESS)  # case threads busy
    args = p.parse_args(argv)
    if args.one:
        case, threads, spin = args.one
        result = one_case(case, int(threads), spin == "1", args.steps)
        write_json(args.result, result)
        return result
    report: dict[str, Any] = {"machine": machine(), "load_before": load(), "steps": []}
    for case in CASES:
        for threads in (1, 2):
            for spin in (False, True):
                one = ["--one", case, str(threads), str(int(spin)), "--steps", str(args.steps)]
                report["steps"].append(in_subprocess("load", one))
    if not args.no_run:
        report["runs"] = [default_run(None, spin) for spin in (False, True)]
    report["load_after"] = load()
    write_json(args.out, report)
    rows = [{k: r[k] for k in ("case", "threads", "busy", "step_s", "step_macs")}
            for r in report["steps"]]  # fmt: skip
    print(table(rows, ["case", "threads", "busy", "step_s", "step_macs"]))
    if "runs" in report:
        print(table(report["runs"], ["threads", "busy", "wall_s"]))
    print(f"load average before/after: {report['load_before']:.2f}/{report['load_after']:.2f}")
    return report


if __name__ == "__main__":
    main()

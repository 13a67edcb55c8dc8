"""The benchmark suite (issue #6): every part, one JSON each, one summary table.

    PYTHONPATH=. python -m benchmarks            # the issue's configs
    PYTHONPATH=. python -m benchmarks --quick    # C=8 5 cells batch 16, few steps

Parts (``--only``, comma-separated):

- ``peak``: this machine's float32 matmul GFLOP/s (2048³).
- ``darts``: the DARTS space, dagnas beside the textbook reference
  (benchmarks/reference.py), same weights, α, data and seed. Per config, a
  float64 check that both give the same logits and gradients (every weight
  and α), then both search steps timed in turns in one process (ratios per
  round), then for first-order configs each impl's peak memory (VmHWM; the
  GPU's peak on a GPU) over one search step in a fresh process of its own.
  Full: C=16 8 cells batch 64 first and second order, C=8 5 cells batch 16
  and 64 first order; quick: C=8 5 cells batch 16.
- ``dense``: dense blocks (k=8, l=6, width 256) batched vs the per-block
  loop at batch 32 and 256, and the batched forward's GFLOP/s as a fraction
  of a 2048³ matmul's, timed in the same rounds.
- ``sparse``: dagnas's DARTS step as the fraction of exactly-zero mixing
  weights grows (0, 50%, 75%, 90%); C=8 5 cells batch 64 (quick: batch 16).
- ``run``: ``python -m dagnas run --quiet`` end to end, wall clock.

Every figure is the median of ``--steps`` steps after ``--warmup``, with min
and max. Each part writes ``OUT/PART.json``; the suite writes
``OUT/suite.json`` and prints one table: case, dagnas, reference or baseline,
ratio (dagnas / baseline), target, met. A part that fails is reported and
the others still run; the exit status is 1 when a part failed (not when a
target is missed). No target is checked anywhere but in this table.

DARTS steps are slow on a small CPU, the reference's C=16 batch 64 steps
most of all, and far slower when other jobs share the cores: the suite's
own wall time is measured, not promised here (the README's Benchmarks
section gives one measured run); ``--only`` and ``--steps`` trim it.
``--threads 1`` keeps a shared machine from thrashing; the load average at
the start and end of each part is in the JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from benchmarks import darts_step, dense_blocks
from benchmarks.common import (
    ROOT,
    in_subprocess,
    load,
    machine,
    pick_device,
    set_threads,
    table,
    write_json,
)
from benchmarks.peak import PEAK_N, matmul_peak

PARTS = ("peak", "darts", "dense", "sparse", "run")
COLUMNS = ["case", "dagnas", "reference", "ratio", "target", "met"]

#: DARTS configs of the issue's table.
HEADLINE = {"channels": 16, "layers": 8, "batch": 64}
SMALL = {"channels": 8, "layers": 5, "batch": 16}
SMALL_64 = {"channels": 8, "layers": 5, "batch": 64}

#: (op, bound) on the median ratio dagnas / baseline.
Target = tuple[str, float]
DARTS_TIME: dict[tuple, Target] = {
    (16, 8, 64, "first"): ("<=", 0.6),
    (16, 8, 64, "second"): ("<=", 0.6),
}
DARTS_MEMORY: dict[tuple, Target] = {(16, 8, 64, "first"): ("<=", 0.5)}
DENSE_RATIO: dict[int, Target] = {32: ("<=", 0.5), 256: ("<=", 1.0)}  # batched / loop
DENSE_PEAK: dict[int, Target] = {256: (">=", 0.6)}
SPARSE: dict[float, Target] = {0.75: ("<=", 0.4)}
RUN_LIMIT_S = 180.0


@dataclass
class Config:
    """What each part runs; :func:`config` gives the full and the quick one."""

    darts: list[dict[str, Any]]
    darts_steps: int = 3
    darts_warmup: int = 1
    check_batch: int = 4
    memory_orders: list[str] = field(default_factory=lambda: ["first"])
    memory_steps: int = 1
    memory_warmup: int = 0
    dense_batches: list[int] = field(default_factory=lambda: [32, 256])
    dense_zeros: list[float] = field(default_factory=lambda: [0.0, 0.75])
    dense_repeats: int = 30
    dense_warmup: int = 5
    dense_sizes: dict[str, int] = field(default_factory=dict)
    peak_steps: int = 10
    peak_n: int = PEAK_N
    sparse_case: dict[str, Any] = field(default_factory=lambda: {**SMALL_64, "order": "first"})
    sparse_fractions: list[float] = field(default_factory=lambda: [0.0, 0.5, 0.75, 0.9])
    sparse_steps: int = 3
    sparse_warmup: int = 1
    run_args: list[str] = field(default_factory=list)
    run_timeout: float = 1800.0
    subprocess_timeout: float = 3600.0


def config(quick: bool = False, steps: int | None = None, warmup: int | None = None) -> Config:
    """The issue's configs, or (``quick``) small ones with few steps."""
    if quick:
        cfg = Config(
            darts=[{**SMALL, "order": "first"}],
            darts_steps=2,
            darts_warmup=1,
            check_batch=2,
            dense_zeros=[0.0],
            dense_repeats=10,
            dense_warmup=3,
            peak_steps=5,
            sparse_case={**SMALL, "order": "first"},
            sparse_steps=2,
            sparse_warmup=1,
            run_timeout=600.0,
        )
    else:
        cfg = Config(
            darts=[
                {**HEADLINE, "order": "first"},
                {**HEADLINE, "order": "second"},
                {**SMALL, "order": "first"},
                {**SMALL_64, "order": "first"},
            ]
        )
    if steps is not None:
        cfg.darts_steps = cfg.sparse_steps = cfg.dense_repeats = steps
    if warmup is not None:
        cfg.darts_warmup = cfg.sparse_warmup = cfg.dense_warmup = warmup
    return cfg


# ---------------------------------------------------------------- parts


def _case_argv(case: dict[str, Any]) -> list[str]:
    return [f"--{k}={v}" for k, v in case.items()]


def part_peak(cfg: Config, device: str, threads: int | None) -> dict[str, Any]:
    return {"matmul": matmul_peak(device, cfg.peak_n, cfg.peak_steps)}


def part_darts(cfg: Config, device: str, threads: int | None) -> dict[str, Any]:
    """Per config: check and side-by-side timing here, each impl's memory in a fresh process."""
    extra = [f"--device={device}"] + ([f"--threads={threads}"] if threads else [])
    cases, errors = [], []
    for case in cfg.darts:
        name = darts_step.DartsCase(**case).name
        try:
            r = darts_step.side_by_side(
                case, device, cfg.darts_steps, cfg.darts_warmup, cfg.check_batch
            )
            if case["order"] in cfg.memory_orders:
                argv = [
                    *_case_argv(case),
                    f"--steps={cfg.memory_steps}",
                    f"--warmup={cfg.memory_warmup}",
                    *extra,
                ]
                mem = {
                    impl: in_subprocess(
                        "darts_step",
                        ["memory", *argv, f"--impl={impl}"],
                        timeout=cfg.subprocess_timeout,
                    )
                    for impl in ("dagnas", "reference")
                }
                r["memory"] = mem
                r["memory_ratio"] = mem["dagnas"]["peak_rss_mb"] / mem["reference"]["peak_rss_mb"]
                if mem["dagnas"]["gpu_peak_mb"] is not None:
                    r["gpu_memory_ratio"] = (
                        mem["dagnas"]["gpu_peak_mb"] / mem["reference"]["gpu_peak_mb"]
                    )
            cases.append(r)
        except Exception as e:
            errors.append(f"{name}: {type(e).__name__}: {e}")
            cases.append({"case": case, "name": name, "error": traceback.format_exc()})
    return {"cases": cases, "errors": errors}


def part_dense(cfg: Config, device: str, threads: int | None) -> dict[str, Any]:
    return dense_blocks.run(
        cfg.dense_batches,
        cfg.dense_zeros,
        cfg.dense_repeats,
        cfg.dense_warmup,
        device,
        peak_n=cfg.peak_n,
        **cfg.dense_sizes,
    )


def part_sparse(cfg: Config, device: str, threads: int | None) -> dict[str, Any]:
    return darts_step.sparse(
        cfg.sparse_case, device, cfg.sparse_fractions, cfg.sparse_steps, cfg.sparse_warmup
    )


def part_run(cfg: Config, device: str, threads: int | None) -> dict[str, Any]:
    """``python -m dagnas run --quiet --out TMP`` in a subprocess, wall clock.

    A run still going after ``cfg.run_timeout`` is stopped and counts as that
    long (its target missed; the part did not fail).
    """
    shown = ["python", "-m", "dagnas", "run", "--quiet", "--out", "TMP", *cfg.run_args]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "dagnas", "run", "--quiet", "--out", str(out), *cfg.run_args]
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        if threads:
            env["OMP_NUM_THREADS"] = str(threads)  # torch's default thread count there
        start = time.perf_counter()
        try:
            done = subprocess.run(
                cmd, cwd=tmp, env=env, timeout=cfg.run_timeout, capture_output=True, text=True
            )
        except subprocess.TimeoutExpired:
            wall = time.perf_counter() - start
            return {"command": " ".join(shown), "wall_s": wall, "timed_out": True, "summary": {}}
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr[-3000:]}")
        summary = json.loads((out / "summary.json").read_text())
    return {"command": " ".join(shown), "wall_s": wall, "timed_out": False, "summary": summary}


PART_FNS: dict[str, Callable[[Config, str, int | None], dict[str, Any]]] = {
    "peak": part_peak,
    "darts": part_darts,
    "dense": part_dense,
    "sparse": part_sparse,
    "run": part_run,
}


# ---------------------------------------------------------------- rows


def _time(s: dict[str, float]) -> str:
    """A step time's median [min, max], in s or ms."""
    scale, unit = (1.0, "s") if s["median"] >= 1 else (1e3, "ms")
    return f"{scale * s['median']:.3g} {unit} [{scale * s['min']:.3g}, {scale * s['max']:.3g}]"


def _ratio(s: dict[str, float] | float) -> str:
    if isinstance(s, dict):
        return f"{s['median']:.2f} [{s['min']:.2f}, {s['max']:.2f}]"
    return f"{s:.2f}"


def _met(value: float, target: Target | None) -> str:
    if target is None:
        return ""
    op, bound = target
    ok = {"<=": value <= bound, ">=": value >= bound, "<": value < bound}[op]
    return "yes" if ok else "no"


def row(case: str, dagnas: str, reference: str, ratio: Any, target: Target | None) -> dict:
    """One line of the summary: ``ratio`` is stats (its median is judged) or a number."""
    value = ratio["median"] if isinstance(ratio, dict) else ratio
    return {
        "case": case,
        "dagnas": dagnas,
        "reference": reference,
        "ratio": "" if ratio is None else _ratio(ratio),
        "target": "" if target is None else f"{target[0]} {target[1]:g}",
        "met": "" if ratio is None else _met(value, target),
        "value": value,
    }


def rows_of(part: str, result: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary lines of one part's result."""
    out = []
    if part == "peak":
        m = result["matmul"]
        gf = f"{m['median']:.1f} GFLOP/s [{m['min']:.1f}, {m['max']:.1f}]"
        out.append(row(f"float32 matmul peak ({m['n']}³)", "", gf, None, None))
    elif part == "darts":
        for c in result["cases"]:
            if "error" in c:
                out.append({**row(f"DARTS {c['name']}", "", "", None, None), "met": "FAILED"})
                continue
            key = tuple(c["case"][k] for k in ("channels", "layers", "batch", "order"))
            t = c["step_time"]
            out.append(
                row(
                    f"DARTS {c['name']}: step",
                    _time(t["dagnas"]),
                    _time(t["reference"]),
                    c["ratio"],
                    DARTS_TIME.get(key),
                )
            )
            for label, field, ratio in (
                ("peak RSS", "peak_rss_mb", "memory_ratio"),
                ("GPU peak", "gpu_peak_mb", "gpu_memory_ratio"),
            ):
                if ratio in c:
                    m = c["memory"]
                    out.append(
                        row(
                            f"DARTS {c['name']}: {label}",
                            f"{m['dagnas'][field]:.0f} MB",
                            f"{m['reference'][field]:.0f} MB",
                            c[ratio],
                            DARTS_MEMORY.get(key),
                        )
                    )
    elif part == "dense":
        size = f"k={result['k']} l={result['vertices']} width={result['width']}"
        for c in result["cases"]:
            z = c["zero_fraction"]
            zs = f", {z:.0%} π=0" if z else ""
            for name, label in (("forward", "fwd"), ("forward_backward", "fwd+bwd")):
                r = c[name]
                out.append(
                    row(
                        f"dense {size} batch {c['batch']}{zs}: {label} vs loop",
                        _time(r["batched_s"]),
                        _time(r["loop_s"]),
                        r["ratio"],
                        None if z else DENSE_RATIO.get(c["batch"]),
                    )
                )
            r = c["forward"]
            g, p = r["gflops"], r["peak_gflops"]
            out.append(
                row(
                    f"dense {size} batch {c['batch']}{zs}: fwd GFLOP/s vs matmul",
                    f"{g['median']:.1f} [{g['min']:.1f}, {g['max']:.1f}]",
                    f"{p['median']:.1f} [{p['min']:.1f}, {p['max']:.1f}]",
                    r["peak_fraction"],
                    None if z else DENSE_PEAK.get(c["batch"]),
                )
            )
    elif part == "sparse":
        rows = result["rows"]
        for r in rows[1:]:
            out.append(
                row(
                    f"sparse α {result['name']}: {r['zeros']:.0%} zeros vs {rows[0]['zeros']:.0%}",
                    _time(r["step_time"]),
                    _time(rows[0]["step_time"]),
                    r["vs_dense"],
                    SPARSE.get(r["zeros"]),
                )
            )
    elif part == "run":
        wall = result["wall_s"]
        inner = result["summary"].get("wall_time")
        case = f"`{result['command']}`: wall clock"
        if inner is not None:
            case += f" (summary.json wall_time {inner:.0f} s)"
        stopped = result.get("timed_out", False)
        shown = f"> {wall:.0f} s (stopped)" if stopped else f"{wall:.0f} s"
        r = row(case, shown, f"{RUN_LIMIT_S:.0f} s", wall / RUN_LIMIT_S, ("<", 1.0))
        out.append({**r, "met": "no"} if stopped else r)  # it never finished
    return out


# ---------------------------------------------------------------- runner


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_suite(
    parts: list[str], cfg: Config, device: str, out: Path, threads: int | None = None
) -> dict[str, Any]:
    """Run ``parts``; write each part's JSON and suite.json under ``out``; the suite."""
    started, load_start, t0 = time.strftime("%Y-%m-%dT%H:%M:%S"), load(), time.perf_counter()
    info = machine()
    status: dict[str, Any] = {}
    rows: list[dict[str, Any]] = []
    for part in parts:
        log(f"[{part}] running (load {load():.2f})")
        p0, l0 = time.perf_counter(), load()
        result, error = None, None
        try:
            result = PART_FNS[part](cfg, device, threads)
        except Exception:
            error = traceback.format_exc()
        if result is not None and result.get("errors"):
            error = "\n".join(result["errors"])
        seconds = time.perf_counter() - p0
        doc = {
            "part": part,
            "machine": info,
            "device": device,
            "load": {"start": l0, "end": load()},
            "seconds": seconds,
            "error": error,
            "result": result,
        }
        path = write_json(out / f"{part}.json", doc)
        part_rows: list[dict[str, Any]] = []
        if result is not None:
            try:
                part_rows = rows_of(part, result)
            except Exception:
                error = (error or "") + traceback.format_exc()
        if error is not None:
            log(f"[{part}] FAILED after {seconds:.0f} s:\n{error}")
            part_rows.append({**row(f"{part}: part failed", "", "", None, None), "met": "FAILED"})
        else:
            log(f"[{part}] done in {seconds:.0f} s")
        rows += part_rows
        status[part] = {"ok": error is None, "seconds": seconds, "error": error, "file": str(path)}
    suite = {
        "started": started,
        "machine": info,
        "device": device,
        "config": asdict(cfg),
        "load": {"start": load_start, "end": load()},
        "seconds": time.perf_counter() - t0,
        "parts": status,
        "rows": rows,
    }
    write_json(out / "suite.json", suite)
    return suite


def summary(suite: dict[str, Any]) -> str:
    """The printed report: machine, load, the table."""
    m = suite["machine"]
    head = (
        f"{m['cpu']}, {m['cores']} cores, {m['threads']} torch threads, torch {m['torch']}"
        + (f", {m['gpu']}" if "gpu" in m else "")
        + f"; device {suite['device']}; load average {suite['load']['start']:.2f} at start, "
        f"{suite['load']['end']:.2f} at end; {suite['seconds']:.0f} s"
    )
    note = "ratio = dagnas / reference (median [min, max] over rounds); target on the median"
    return "\n".join([head, note, table(suite["rows"], COLUMNS)])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    p.add_argument("--quick", action="store_true", help="small configs, few steps")
    p.add_argument("--only", help=f"comma list of parts: {','.join(PARTS)} (default: all)")
    p.add_argument("--steps", type=int, help="timed steps/rounds per figure")
    p.add_argument("--warmup", type=int, help="untimed steps before them")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"), help="JSON folder")
    args = p.parse_args(argv)
    parts = list(PARTS) if not args.only else [s.strip() for s in args.only.split(",")]
    unknown = set(parts) - set(PARTS)
    if unknown:
        p.error(f"unknown parts {sorted(unknown)}; choose from {', '.join(PARTS)}")
    set_threads(args.threads)
    device = pick_device(args.device)
    if torch.device(device).type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False  # the figures are float32's
    cfg = config(args.quick, args.steps, args.warmup)
    suite = run_suite(parts, cfg, device, Path(args.out), args.threads)
    print(summary(suite))
    print(f"wrote {Path(args.out) / 'suite.json'} and one JSON per part")
    return 0 if all(s["ok"] for s in suite["parts"].values()) else 1

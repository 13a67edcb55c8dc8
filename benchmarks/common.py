"""Pieces every benchmark shares: timing, peak memory, subprocess cases, JSON, tables."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch

from dagnas.errors import DagnasError
from dagnas.io import append_jsonl, atomic_write_json, read_jsonl

ROOT = Path(__file__).resolve().parent.parent


def sync(device: torch.device | str) -> None:
    """Wait for queued GPU work, so a timer sees it finish."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


def stats(times: Sequence[float]) -> dict[str, float]:
    """Median, min and max of some seconds, and how many."""
    return {
        "median": statistics.median(times),
        "min": min(times),
        "max": max(times),
        "n": len(times),
    }


def timed(fn: Callable[[], Any], device: torch.device | str) -> float:
    """Seconds one call of ``fn`` takes, GPU work included."""
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def interleaved_times(
    fns: dict[str, Callable[[], Any]], steps: int, warmup: int, device: torch.device | str
) -> dict[str, list[float]]:
    """Seconds of each of ``fns``, ``steps`` times after ``warmup`` calls, taking turns.

    Each round runs every function once, in an order that rotates, so a
    burst of load from elsewhere on the machine hits them all alike; the
    i-th time of each function comes from the same round.
    """
    names = list(fns)
    times: dict[str, list[float]] = {n: [] for n in names}
    for r in range(warmup + steps):
        order = names[r % len(names) :] + names[: r % len(names)]
        for n in order:
            t = timed(fns[n], device)
            if r >= warmup:
                times[n].append(t)
    return times


def interleaved(
    fns: dict[str, Callable[[], Any]], steps: int, warmup: int, device: torch.device | str
) -> dict[str, dict[str, float]]:
    """:func:`stats` of :func:`interleaved_times`: median, min, max per function."""
    return {n: stats(t) for n, t in interleaved_times(fns, steps, warmup, device).items()}


def ratios(num: Sequence[float], den: Sequence[float]) -> dict[str, float]:
    """:func:`stats` of ``num[i] / den[i]``: per-round ratios of two interleaved timings."""
    return stats([a / b for a, b in zip(num, den, strict=True)])


def peak_rss_mb() -> float:
    """This process's peak resident memory (MB).

    On Linux this is VmHWM from /proc/self/status: ``ru_maxrss`` keeps the
    high-water mark across ``execve``, so a child forked from a big process
    (the suite, after timing a network) would report its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes there, KiB here


def peak_memory(device: torch.device | str) -> dict[str, float | None]:
    """This process's peak resident memory (MB), and the GPU's peak if on one."""
    gpu = None
    if torch.device(device).type == "cuda":
        gpu = torch.cuda.max_memory_allocated() / 2**20
    return {"peak_rss_mb": peak_rss_mb(), "gpu_peak_mb": gpu}


def set_threads(threads: int | None) -> None:
    """Use ``threads`` intra-op threads (None: leave torch's choice)."""
    if threads:
        torch.set_num_threads(threads)


def pick_device(name: str) -> str:
    """``name`` if this machine has it; asking for cuda without a GPU is an error."""
    if torch.device(name).type == "cuda" and not torch.cuda.is_available():
        raise SystemExit(f"--device {name}: no GPU here")
    return name


def load() -> float:
    """The machine's one-minute load average (others' jobs show up here)."""
    return os.getloadavg()[0]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name()
    return info


def in_subprocess(module: str, args: Sequence[str], timeout: float | None = None) -> Any:
    """Run ``python -m benchmarks.<module> ARGS --result FILE``; its JSON result.

    Each case gets a fresh process, so its peak memory is its own.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, "-m", f"benchmarks.{module}", *args, "--result", str(out)]
        env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
        done = subprocess.run(cmd, cwd=ROOT, env=env, timeout=timeout, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stderr.decode()[-3000:]}")
        return json.loads(out.read_text())


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as JSON atomically (dagnas's own atomic write)."""
    return atomic_write_json(path, data)


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """A plain text table of ``rows`` (dicts), one column per key in ``columns``."""

    def cell(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3g}" if abs(v) < 1000 else f"{v:.0f}"
        return "" if v is None else str(v)

    body = [[cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(b[i]) for b in body)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(b, widths, strict=True)) for b in body]
    return "\n".join(lines)


Row = dict[str, Any]


def grid_rows(
    out: Path, heads: list[Row], run: Callable[[Row], Row], show: Callable[[Row], str]
) -> list[Row]:
    """The rows of a grid of runs, resumable: for each of ``heads`` (dicts of the
    same keys, e.g. method, seed, epochs) not yet in ``out`` (JSON lines), ``run(head)``
    is appended as ``head | row`` and ``show(row)`` printed after the head. Returns
    ``out``'s rows of the grid, in the order of ``heads``."""
    fields = list(heads[0]) if heads else []

    def key(r: Row) -> tuple[Any, ...]:
        return tuple(r.get(k) for k in fields)

    done = {key(r) for r in read_jsonl(out)}
    for head in heads:
        if key(head) in done:
            continue
        try:
            row = run(head)
        except DagnasError as e:
            row = {"error": str(e)}
        append_jsonl(out, head | row)
        print(" ".join(f"{k} {v}" for k, v in head.items()) + f": {show(row)}", flush=True)
    order = {key(h): i for i, h in enumerate(heads)}
    return sorted((r for r in read_jsonl(out) if key(r) in order), key=lambda r: order[key(r)])


def grid_parser(doc: str, methods: Sequence[str], out: Path) -> argparse.ArgumentParser:
    """The options of a methods × seeds study: --methods, --seeds, --epochs, --out, --set."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--methods", default=",".join(methods))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--out", type=Path, default=out)
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE")
    return parser


def grid_methods(args: argparse.Namespace) -> dict[str, str]:
    """Row label → method of a study parsed by :func:`grid_parser` (a label carries
    the ``--set`` assignments: ``dirichlet [resample.every=1]``); readies its
    ``--out`` folder, one torch thread and warnings-only logging."""
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    extra = f" [{' '.join(args.sets)}]" if args.sets else ""
    return {m.strip() + extra: m.strip() for m in args.methods.split(",") if m.strip()}

"""Real ``python -m dagnas`` processes on a tiny space, for faults that need them
(signals, locks, permissions, disks)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

#: A dag space on 64 digits: a few ms a step, a checkpoint after each; 100 epochs,
#: so a run goes on until a test stops it (or passes --epochs / --max-steps).
SPACE = """\
kind: dag
name: tiny
nodes: [{name: x, role: input}, {name: h, width: 8}, {name: out, role: output}]
edges:
  - {from: x, to: h, ops: [linear_relu, zero]}
  - {from: h, to: out, ops: [linear, zero]}
search: {epochs: 100, batch_size: 32, data_limit: 64, checkpoint_every: 1}
"""


def dagnas(*args: str, **popen: object) -> subprocess.Popen:
    """``python -m dagnas ARGS`` on one thread, output (both streams) in a pipe."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path.cwd())}
    cmd = [sys.executable, "-m", "dagnas", *args]
    return subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen
    )


def wait_for(ready: Callable[[], bool], proc: subprocess.Popen, timeout: float = 120) -> None:
    """Poll until ``ready()``; fails if ``proc`` ends first or time runs out."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert proc.poll() is None, f"ended early ({proc.returncode}): {proc.communicate()[0]}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def handles(proc: subprocess.Popen, signum: int) -> bool:
    """Whether ``proc`` has a handler for ``signum`` (its SigCgt mask in /proc)."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) >> (signum - 1) & 1)
    return False


def finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    out = proc.communicate(timeout=timeout)[0]
    return proc.returncode, out

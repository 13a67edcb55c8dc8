"""Runs that survive: SIGKILL at several points and ``--resume`` give bitwise the
uninterrupted run's α, weights, histories and architecture; Ctrl-C stops cleanly.

Every search here runs in a child process on one torch thread: the same
thread count in every process makes CPU reductions add in the same order,
which bitwise equality needs. Children are forked from the test process
(no second ``import torch``), except the Ctrl-C test, which runs the real
``python -m dagnas`` command.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from dagnas.engine.checkpoint import CHECKPOINT, KILL_ENV

pytestmark = pytest.mark.slow

# 96 training examples, batch 16: 6 steps an epoch, 18 in all. Checkpoint writes
# of a fresh run: #1 step 0, #2 step 4, #3 step 6 (end of epoch 1), #4 step 8,
# #5 step 12, #6 step 12 (end of epoch 2), #7 step 16, #8 step 18 (the end).
SPACE = """\
kind: darts_cell
name: tiny
channels: 4
layers: 2
reductions: [1]
stem_multiplier: 1
nodes: 2
ops: [none, skip_connect, max_pool_3x3, sep_conv_3x3]
search: {epochs: 3, batch_size: 16, data_limit: 192, checkpoint_every: 4, seed: 5}
"""
TIMINGS = {"step_time", "epoch_time"}
FORK = multiprocessing.get_context("fork")


def _child(args: list[str], env: dict[str, str]) -> None:
    torch.set_num_threads(1)
    os.environ.update(env)
    from dagnas.cli import main

    main(["run", "-q", *args])


def start(args: list[str], **env: str) -> multiprocessing.Process:
    proc = FORK.Process(target=_child, args=(args, env))
    proc.start()
    return proc


def finish(proc: multiprocessing.Process, code: int = 0) -> None:
    proc.join(120)
    assert proc.exitcode == code, f"exit code {proc.exitcode}, expected {code}"


def kill_when(proc: multiprocessing.Process, ready: Callable[[], bool]) -> None:
    """SIGKILL ``proc`` as soon as ``ready()``; fails if it ends first."""
    deadline = time.monotonic() + 120
    while not ready():
        assert proc.is_alive(), "the run ended before the kill point"
        assert time.monotonic() < deadline
        time.sleep(0.002)
    proc.kill()
    finish(proc, -signal.SIGKILL)


def lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def mtime(path: Path) -> float:
    return path.stat().st_mtime_ns if path.exists() else 0


@pytest.fixture(scope="module")
def space(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("space") / "tiny.yaml"
    path.write_text(SPACE)
    return path


@pytest.fixture(scope="module")
def reference(space, tmp_path_factory) -> Callable[[], Path]:
    """The uninterrupted run (folder name ``run``, as every run compared with it),
    searching beside the test until the test asks for its folder."""
    out = tmp_path_factory.mktemp("reference") / "run"
    proc = start([str(space), "--out", str(out)])

    def done() -> Path:
        finish(proc)
        return out

    return done


def assert_same_run(run: Path, reference: Callable[[], Path]) -> None:
    """Bitwise the same weights, α, optimizer and RNG state; same histories and architecture."""
    ref = reference()
    a = torch.load(run / CHECKPOINT, weights_only=True)
    b = torch.load(ref / CHECKPOINT, weights_only=True)
    assert a["step"] == b["step"] == 18
    for name, tensor in b["model"].items():
        assert torch.equal(a["model"][name], tensor), name
    for key in ("rng_torch", "rng_numpy", "rng_python", "components", "train", "val"):
        assert str(a[key]) == str(b[key]), key
    assert (run / "alpha.jsonl").read_text() == (ref / "alpha.jsonl").read_text()

    def untimed(path: Path) -> list[dict]:
        rows = [json.loads(x) for x in path.read_text().splitlines()]
        return [{k: v for k, v in r.items() if k not in TIMINGS} for r in rows]

    assert untimed(run / "metrics.jsonl") == untimed(ref / "metrics.jsonl")
    assert len(untimed(ref / "metrics.jsonl")) == 3
    arch_a = json.loads((run / "architecture.json").read_text())
    assert arch_a == json.loads((ref / "architecture.json").read_text())
    summary = json.loads((run / "summary.json").read_text())
    assert summary["partial"] is False and summary["steps"] == 18
    assert not list(run.glob(".*.tmp"))


def test_killed_five_times_resumes_to_the_same_run(space, reference, tmp_path):
    out = tmp_path / "run"
    ckpt, metrics = out / CHECKPOINT, out / "metrics.jsonl"
    resume = ["--resume", str(out)]
    # 1. during the very first checkpoint write: nothing to resume from but a temp file
    finish(start([str(space), "--out", str(out)], **{KILL_ENV: "1"}), -signal.SIGKILL)
    assert not ckpt.exists() and list(out.glob(f".{CHECKPOINT}.*.tmp"))
    # 2. during the end-of-epoch-1 checkpoint (write #3): metrics.jsonl is one epoch ahead
    finish(start(resume, **{KILL_ENV: "3"}), -signal.SIGKILL)
    assert lines(metrics) == 1
    assert torch.load(ckpt, weights_only=True)["step"] == 4
    # 3. anywhere in the step after the next checkpoint lands
    before = mtime(ckpt)
    kill_when(start(resume), lambda: mtime(ckpt) != before)
    # 4. around the end of epoch 2: after its metrics line, before or after its checkpoint
    kill_when(start(resume), lambda: lines(metrics) >= 2)
    # 5. during a checkpoint write late in the run (the 2nd write of this process)
    finish(start(resume, **{KILL_ENV: "2"}), -signal.SIGKILL)
    assert torch.load(ckpt, weights_only=True)["step"] >= 12
    finish(start(resume))
    assert_same_run(out, reference)


def test_ctrl_c_stops_with_a_checkpoint_and_resumes_to_the_same_run(space, reference, tmp_path):
    out = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path.cwd())}
    cmd = [sys.executable, "-m", "dagnas", "run", str(space), "--out", str(out), "-q"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while lines(out / "metrics.jsonl") < 1:  # into epoch 2
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.002)
    proc.send_signal(signal.SIGINT)
    output = proc.communicate(timeout=120)[0].decode()
    assert proc.returncode == 130, output
    assert f"dagnas run --resume {out}" in output and "Traceback" not in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["partial"] is True and 6 < summary["steps"] < 18
    stopped = torch.load(out / CHECKPOINT, weights_only=True)
    assert stopped["step"] == summary["steps"]  # the checkpoint is where it stopped
    assert (out / "architecture.json").exists()
    finish(start(["--resume", str(out)]))
    assert_same_run(out, reference)

"""Ctrl-C (SIGINT) and SIGTERM at any moment of a run: exit status 130 / 143, one
line, no traceback: at the very start, mid-run, and a second signal later."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from procs import dagnas, finish, handles, wait_for

pytestmark = pytest.mark.slow


def clean(output: str) -> bool:
    return "Traceback" not in output and "Aborted!" not in output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_the_very_start_exits_128_plus_it(space, tmp_path, signum):
    proc = dagnas("run", str(space), "--out", str(tmp_path / "run"), "-q")
    wait_for(lambda: handles(proc, signal.SIGTERM), proc)  # the command's handler is in
    proc.send_signal(signum)  # long before the search (torch is still loading)
    code, output = finish(proc)
    assert code == 128 + signum, output
    name = signal.Signals(signum).name
    assert output.strip() == f"dagnas: interrupted by {name}; stopped (exit status {code})"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_run_stops_after_the_step_with_128_plus_it(space, tmp_path, signum):
    out = tmp_path / "run"
    proc = dagnas("run", str(space), "--out", str(out), "-q")
    wait_for(lambda: (out / "metrics.jsonl").exists(), proc)
    proc.send_signal(signum)
    code, output = finish(proc)
    assert code == 128 + signum and clean(output), output
    assert f"dagnas run --resume {out}" in output


def test_a_second_ctrl_c_aborts_at_once_with_130(space, tmp_path):
    out = tmp_path / "run"
    proc = dagnas("run", str(space), "--out", str(out), "-q")
    wait_for(lambda: (out / "metrics.jsonl").exists(), proc)
    proc.send_signal(signal.SIGINT)
    time.sleep(1.2)  # past the window in which repeats are the same request
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    code, output = finish(proc)
    assert code == 130 and clean(output), output


def test_the_handlers_are_in_before_torch_loads(space, tmp_path):
    """A signal while the commands load (torch: seconds) is handled like one later,
    not a KeyboardInterrupt traceback: the handlers come first."""
    proc = dagnas("run", str(space), "--out", str(tmp_path / "run"), "-q")
    wait_for(lambda: handles(proc, signal.SIGTERM), proc)
    maps = Path(f"/proc/{proc.pid}/maps").read_text()
    proc.send_signal(signal.SIGINT)
    code, output = finish(proc)
    assert "libtorch" not in maps  # the signal below came while torch was loading
    assert code == 130 and clean(output), output

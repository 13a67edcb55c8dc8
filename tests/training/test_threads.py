"""The thread policy: a request wins; else one thread per share of work, at most the cores."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from dagnas.errors import DagnasError
from dagnas.training import threads
from dagnas.training.threads import (
    ENV,
    MACS_PER_THREAD,
    available_cores,
    choose_threads,
    use_threads,
)


def test_small_work_gets_one_thread_and_large_work_the_cores(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setattr(threads, "busy_cores", lambda: 0.0)
    assert choose_threads() == 1
    assert choose_threads(step_macs=MACS_PER_THREAD / 10) == 1
    assert choose_threads(step_macs=MACS_PER_THREAD * 1e6) == available_cores()


def test_busy_cores_are_left_to_the_processes_using_them(monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    cores = available_cores()
    monkeypatch.setattr(threads, "busy_cores", lambda: cores - 1.0)
    assert choose_threads(step_macs=MACS_PER_THREAD * 1e6) == 1
    monkeypatch.setattr(threads, "busy_cores", lambda: cores + 5.0)
    assert choose_threads(step_macs=MACS_PER_THREAD * 1e6) == 1


def test_a_request_wins_and_the_option_beats_the_environment(monkeypatch):
    monkeypatch.setenv(ENV, "3")
    assert choose_threads(step_macs=1.0) == 3
    assert choose_threads(2, step_macs=MACS_PER_THREAD * 1e6) == 2


@pytest.mark.parametrize("text", ["0", "-1", "two", "1.5"])
def test_a_bad_environment_value_is_named(monkeypatch, text):
    monkeypatch.setenv(ENV, text)
    with pytest.raises(DagnasError, match=f"{ENV}='{text}'"):
        choose_threads()


def test_a_bad_option_is_named():
    with pytest.raises(DagnasError, match="--threads 0"):
        choose_threads(0)


def test_use_threads_sets_torch(monkeypatch):
    before = torch.get_num_threads()
    try:
        assert use_threads(2) == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_the_cores_are_the_affinity_not_the_machine():
    code = (
        "import os; os.sched_setaffinity(0, {next(iter(os.sched_getaffinity(0)))});"
        "from dagnas.training.threads import choose_threads, MACS_PER_THREAD;"
        "print(choose_threads(step_macs=MACS_PER_THREAD * 1e6))"
    )
    env = {k: v for k, v in os.environ.items() if k != ENV}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_the_threads_option_reaches_the_policy(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from dagnas.cli import main

    monkeypatch.delenv(ENV, raising=False)
    seen: list[int] = []
    monkeypatch.setattr(torch, "set_num_threads", seen.append)
    args = ["run", "mlp_dag", "--max-steps", "2", "--epochs", "1", "--threads", "3"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "r"), "-q"])
    assert result.exit_code == 0, result.output
    assert os.environ[ENV] == "3" and seen and set(seen) == {3}
    result = CliRunner().invoke(main, ["train", "--help"])
    assert "--threads" in result.output


@pytest.mark.skipif(not threads.LOADAVG.exists(), reason="no /proc/loadavg here")
def test_a_spinning_process_counts_as_busy():
    quiet = threads.busy_cores()
    spin = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        busy = max(threads.busy_cores() for _ in range(3))
    finally:
        spin.kill()
        spin.wait()
    assert busy >= min(quiet + 1, 1)


def test_a_run_records_its_thread_counts(monkeypatch, tmp_path):
    """A seed reproduces a search only at the same thread counts: each epoch's
    record and the summary say which were used."""
    import json

    from click.testing import CliRunner

    from dagnas.cli import main

    monkeypatch.delenv(ENV, raising=False)
    before = torch.get_num_threads()
    out = tmp_path / "r"
    try:
        args = ["run", "mlp_dag", "--epochs", "2", "--threads", "1"]
        result = CliRunner().invoke(main, [*args, "--out", str(out), "-q"])
    finally:
        torch.set_num_threads(before)
    assert result.exit_code == 0, result.output
    lines = (out / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["threads"] for line in lines] == [1, 1]
    assert json.loads((out / "summary.json").read_text())["threads"] == [1]

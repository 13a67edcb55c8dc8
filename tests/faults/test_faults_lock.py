"""One process per folder: a second run into a folder, or a resume of a run that is
still going, stops at once naming the holder's pid; a killed holder blocks nothing."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path

import pytest
from click.testing import CliRunner
from procs import dagnas, finish, wait_for

from dagnas.cli import main
from dagnas.errors import RunError
from dagnas.workflows.rundir import LOCK, claim

pytestmark = pytest.mark.slow


def in_use(output: str, folder: Path, pid: int) -> bool:
    return f"{folder} is in use by another dagnas process (pid {pid})" in output


def test_two_runs_started_at_once_one_stops_naming_the_other(space, tmp_path):
    out = tmp_path / "run"
    procs = [dagnas("run", str(space), "--out", str(out), "-q") for _ in range(2)]
    wait_for(lambda: any(p.poll() is not None for p in procs), procs[0], timeout=120)
    loser = next(p for p in procs if p.poll() is not None)
    winner = next(p for p in procs if p is not loser)
    code, output = finish(loser)
    assert code == 1 and in_use(output, out, winner.pid), output
    assert len(output.strip().splitlines()) == 1 and "Traceback" not in output
    wait_for(lambda: (out / "metrics.jsonl").exists(), winner)
    winner.send_signal(signal.SIGTERM)
    assert finish(winner)[0] == 128 + signal.SIGTERM
    epochs = [json.loads(x)["epoch"] for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert epochs == list(range(1, len(epochs) + 1))  # one run's history
    assert not (out / LOCK).exists()  # released with the run


def test_resume_of_a_live_run_is_refused_and_of_a_killed_one_goes_on(space, tmp_path):
    out = tmp_path / "run"
    holder = dagnas("run", str(space), "--out", str(out), "-q")
    wait_for(lambda: (out / "metrics.jsonl").exists(), holder)
    busy = CliRunner().invoke(main, ["run", "--resume", str(out), "-q"])
    assert busy.exit_code == 1 and in_use(busy.output, out, holder.pid), busy.output
    holder.kill()
    assert finish(holder)[0] == -signal.SIGKILL
    assert (out / LOCK).read_text().strip() == str(holder.pid)  # stale, and harmless
    done = CliRunner().invoke(main, ["run", "--resume", str(out), "-q", "--epochs", "3"])
    assert done.exit_code == 0, done.output
    assert json.loads((out / "summary.json").read_text())["epochs"] == 3


def _hold(folder: Path, ready: multiprocessing.Event) -> None:  # type: ignore[valid-type]
    with claim(folder):
        ready.set()
        signal.pause()


@pytest.fixture
def held_folder(tmp_path):
    """A folder another process holds; yields (folder, its pid)."""
    folder = tmp_path / "held"
    folder.mkdir()
    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    proc = ctx.Process(target=_hold, args=(folder, ready))
    proc.start()
    assert ready.wait(30)
    yield folder, proc.pid
    proc.kill()
    proc.join()


def test_claim_names_the_holder_and_frees_the_folder_on_exit(held_folder, tmp_path):
    folder, pid = held_folder
    busy = rf"in use by another dagnas process \(pid {pid}\)"
    with pytest.raises(RunError, match=busy), claim(folder):
        pass
    mine = tmp_path / "mine"
    mine.mkdir()
    with claim(mine):
        assert (mine / LOCK).read_text().strip() == str(os.getpid())
    assert not (mine / LOCK).exists()


@pytest.mark.parametrize(
    "args",
    [
        ["compare", "mlp_dag", "--seeds", "1", "--max-steps", "1"],
        ["train", "--genotype", "DARTS_V2", "--space", "darts_cifar10", "--data-limit", "64"],
    ],
    ids=["compare", "train"],
)
def test_compare_and_train_folders_are_held_too(held_folder, args):
    folder, pid = held_folder
    result = CliRunner().invoke(main, [*args, "--out", str(folder)])
    assert result.exit_code == 1 and in_use(result.output, folder, pid), result.output

"""`dagnas run --resume` on a damaged run folder: a history that is not JSON lines
of records, or fewer --epochs than the run has done, is one "Error:" line
naming the file (and line) and the fix, never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dagnas.cli import main
from tests.cli_errors import assert_one_error
from tests.faults.procs import SPACE


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture(scope="module")
def done(tmp_path_factory) -> Path:
    """A finished 3-epoch run of the faults' tiny space (copied by each test)."""
    root = tmp_path_factory.mktemp("done")
    (root / "tiny.yaml").write_text(SPACE)
    out = root / "run"
    result = invoke("run", str(root / "tiny.yaml"), "--out", str(out), "-q", "--epochs", "3")
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture
def run(done, tmp_path) -> Path:
    return shutil.copytree(done, tmp_path / "run")


@pytest.mark.parametrize("history", ["metrics.jsonl", "alpha.jsonl"])
@pytest.mark.parametrize(
    ("line", "line_no", "said"),
    [
        (b"[1, 2]", 2, "a JSON array, not a record"),
        (b"5", 2, "a JSON number, not a record"),
        (b'{"epoch": "1", "val_acc": 0.5}', 2, 'epoch is "1", not a whole number'),
        (b'{"epoch": null}', 2, "epoch is null, not a whole number"),
        (b'{"epoch": 1}\x9c\xff\xfe', 2, "not UTF-8 text"),
    ],
)
def test_a_damaged_history_line_is_named(run, history, line, line_no, said):
    path = run / history
    lines = path.read_bytes().splitlines()
    path.write_bytes(b"\n".join([*lines[:1], line, *lines[1:]]) + b"\n")
    result = invoke("run", "--resume", str(run), "-q")
    assert_one_error(result, f"{path}:{line_no}: {said}", "fix or delete it")


def test_random_bytes_appended_are_named_at_their_line(run):
    path = run / "metrics.jsonl"
    with open(path, "ab") as f:
        f.write(b"\x80\x81\xfe\xff garbage")
    result = invoke("run", "--resume", str(run), "-q")
    assert_one_error(result, f"{path}:4: not UTF-8 text; fix or delete it")


def test_a_history_that_is_a_directory_is_named(run):
    path = run / "metrics.jsonl"
    path.unlink()
    path.mkdir()
    result = invoke("run", "--resume", str(run), "-q")
    assert_one_error(result, f"{path} is a directory, not a JSON-lines file")


def test_fewer_epochs_than_done_are_refused_and_nothing_is_rewritten(run):
    config = (run / "config.yaml").read_text()
    result = invoke("run", "--resume", str(run), "-q", "--epochs", "1")
    assert_one_error(
        result, f"--epochs 1 is fewer than the 3 epochs {run} has done; give at least 3"
    )
    assert (run / "config.yaml").read_text() == config
    assert yaml.safe_load(config)["search"]["epochs"] == 3
    assert json.loads((run / "summary.json").read_text())["epochs"] == 3


def test_as_many_epochs_as_done_are_accepted(run):
    result = invoke("run", "--resume", str(run), "-q", "--epochs", "3")
    assert result.exit_code == 0, result.output
    assert json.loads((run / "summary.json").read_text())["epochs"] == 3

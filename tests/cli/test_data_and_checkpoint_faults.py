"""A file that is not what its name says (an .npz, a checkpoint) or labels of one
class: one error naming the file, what it should be and how to go on, never
torch's or NumPy's advice to load it unsafely."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner, Result

from dagnas.cli import main
from dagnas.engine.checkpoint import CHECKPOINT
from tests.conftest import TINY_DAG

UNSAFE = ("allow_pickle", "pickled", "weights_only", "arbitrary code")


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["run", *args, "--max-steps", "1", "-q"])


def failed(result: Result) -> str:
    """The one-line error of a command that had to fail with exit status 1."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not any(word in result.output for word in UNSAFE), result.output
    return result.output


@pytest.mark.parametrize("content", [b"hi\n", os.urandom(400)], ids=["text", "random"])
def test_a_file_that_is_not_an_npz_says_so(tmp_path, content):
    path = tmp_path / "t.npz"
    path.write_bytes(content)
    output = failed(run("mlp_dag", "--data", str(path), "--out", str(tmp_path / "r")))
    assert output.startswith(f"Error: {path}: not a NumPy .npz archive of arrays")
    assert "x_train, y_train, x_test, y_test" in output


def test_labels_of_one_class_name_the_file(tmp_path):
    path = tmp_path / "one.npz"
    x = np.random.default_rng(0).random((20, 5)).astype("float32")
    np.savez(path, x_train=x, y_train=np.zeros(20, int), x_test=x[:8], y_test=np.zeros(8, int))
    output = failed(run("mlp_dag", "--data", str(path), "--out", str(tmp_path / "r")))
    assert output.startswith(f"Error: {path}: key 'y_train': the labels hold one class")
    assert "at least two" in output


@pytest.fixture
def run_dir(tmp_path) -> Path:
    """A finished one-step run of a tiny dag."""
    space = tmp_path / "tiny.yaml"
    space.write_text(TINY_DAG)
    out = tmp_path / "run"
    result = run(str(space), "--data-limit", "64", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out


def test_a_damaged_or_foreign_checkpoint_says_so(run_dir):
    path = run_dir / CHECKPOINT
    path.write_bytes(os.urandom(1000))
    output = failed(CliRunner().invoke(main, ["run", "--resume", str(run_dir), "-q"]))
    assert output.startswith(f"Error: {path} is damaged or not a dagnas checkpoint (")
    assert "restore it from a copy, or start a new run" in output
    torch.save({"model": print}, path)  # a torch file, but holding a function
    output = failed(CliRunner().invoke(main, ["run", "--resume", str(run_dir), "-q"]))
    assert output.startswith(f"Error: {path} is damaged or not a dagnas checkpoint (it holds")

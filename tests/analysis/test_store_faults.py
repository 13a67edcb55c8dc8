"""A store that cannot be written, and rows edited by hand: clean errors naming the
store (and the row and column), before any training and never a traceback."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagnas.analysis.store import EvalStore
from dagnas.cli import main
from dagnas.errors import DagnasError
from tests.analysis.writers import evaluation
from tests.faults.procs import SPACE

EVALUATE = ["--sample", "1", "--data-limit", "64", "-q"]


@pytest.fixture
def space(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SPACE)
    return path


@pytest.fixture
def read_only_store(tmp_path) -> Iterator[Path]:
    """A store holding one row, in a folder made read-only after it was written: a
    read-only remount as root (who ignores file modes), else modes 444 and 555."""
    where = tmp_path / "ro"
    where.mkdir()
    mount = os.geteuid() == 0 and shutil.which("mount") is not None
    mount = mount and subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(where)]).returncode == 0
    with EvalStore(where / "s.sqlite") as db:
        db.add(evaluation("a"))
    if mount:
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
    else:
        (where / "s.sqlite").chmod(0o444)
        where.chmod(0o555)
        if os.access(where / "s.sqlite", os.W_OK):
            pytest.skip("cannot make a read-only store here")
    yield where / "s.sqlite"
    if mount:
        subprocess.run(["umount", str(where)], check=True)
    else:
        where.chmod(0o755)


@pytest.mark.parametrize("name", ["s.sqlite", "new.sqlite", "sub/new.sqlite"])
def test_an_unwritable_store_is_refused_when_opened(read_only_store, name):
    path = read_only_store.parent / name
    with pytest.raises(DagnasError, match=f"^cannot write the store {path}: .*; give a --store"):
        EvalStore(path)


def test_evaluate_into_an_unwritable_store_fails_before_training(space, read_only_store):
    args = ["evaluate", str(space), *EVALUATE, "--seeds", "2", "--store", str(read_only_store)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: cannot write the store {read_only_store}: ")
    assert "Traceback" not in result.output


@pytest.fixture
def evaluated(space, tmp_path) -> Path:
    """A store holding the tiny space's one candidate, trained for real."""
    store = tmp_path / "s.sqlite"
    result = CliRunner().invoke(main, ["evaluate", str(space), *EVALUATE, "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


@pytest.mark.parametrize(
    "command",
    [["analyze"], ["predict", "fit"], ["evaluate", "SPACE", *EVALUATE, "--csv", "t.csv"]],
    ids=["analyze", "predict-fit", "evaluate-csv"],
)
@pytest.mark.parametrize(
    ("column", "value", "found"),
    [("graph", "{bad", "not JSON"), ("accuracy", "abc", "expected a number, found 'abc'")],
)
def test_a_hand_edited_row_is_named_with_its_column(
    evaluated, space, tmp_path, monkeypatch, command, column, value, found
):
    con = sqlite3.connect(evaluated)
    con.execute(f"UPDATE evaluations SET {column} = ? WHERE id = 1", (value,))
    con.commit()
    con.close()
    args = [str(space) if a == "SPACE" else a for a in command]
    args += ["--store", str(evaluated)] if command[0] == "evaluate" else [str(evaluated)]
    monkeypatch.chdir(tmp_path)  # where the commands would write their outputs
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.output.startswith(
        f"Error: {evaluated}: evaluations row 1, column {column}: {found}"
    )
    assert "delete the row" in result.output and "Traceback" not in result.output

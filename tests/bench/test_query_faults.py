"""`dagnas query` on sources that are not what they claim: one clean error
naming the file (and the row and column), never a traceback or a dropped column."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from tests.bench.runs import CONV, SKIP, write_csv


def query(source: Path, target: str) -> str:
    """The output of a `dagnas query` that must fail with exit status 1."""
    result = CliRunner().invoke(main, ["query", str(source), target])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def test_a_binary_file_named_csv_is_not_a_table(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(bytes(range(128, 256)) * 3)
    assert query(path, CONV).startswith(f"Error: {path}: not a UTF-8 CSV table (")


def test_a_word_among_a_columns_numbers_is_an_error_naming_its_row(tmp_path):
    path = write_csv(tmp_path / "t.csv", [(CONV, 94.0, 91.0, 0), (SKIP, "abc", 9.0, 0)])
    assert query(path, CONV).startswith(
        f"Error: {path}: row 2, column test_acc: 'abc' is not a number; correct the cell"
    )


def test_a_folder_that_is_not_nats_bench_says_what_it_lacks(tmp_path):
    pytest.importorskip("nats_bench")
    folder = tmp_path / "somedir"
    folder.mkdir()
    output = query(folder, CONV)
    assert output.startswith(f"Error: {folder}: not a NATS-Bench topology folder: it has no")
    assert "meta.pickle.pbz2 (" in output and ".pbz2.pbz2" not in output

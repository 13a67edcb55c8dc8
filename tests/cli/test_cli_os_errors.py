"""An error the file system raises (a path through a file, a folder the user
cannot write) ends a command with one line naming the path, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from dagnas.cli import main
from dagnas.cli.main import os_error
from tests.bench.runs import MIXED, write_run


def test_a_path_through_a_file_is_one_line_naming_it(tmp_path: Path) -> None:
    run = write_run(tmp_path / "run", [MIXED])
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "sub"
    result = CliRunner().invoke(main, ["export", str(run), "--to", "dot", "--out", str(out)])
    assert result.exit_code == 1
    assert (
        result.output.strip()
        == f"Error: {out}: Not a directory; check the path and its permissions"
    )
    assert isinstance(result.exception, SystemExit)  # a message, not an escaped error


def test_the_message_names_both_paths_of_a_rename() -> None:
    e = PermissionError(13, "Permission denied", "/a/x.tmp", None, "/a/x")
    assert os_error(e) == "/a/x.tmp -> /a/x: Permission denied; check the path and its permissions"
    assert os_error(OSError("no file involved")) == "no file involved"

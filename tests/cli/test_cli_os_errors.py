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
    written = out / "architecture-dot.dot"  # the file it was to write
    assert result.output.strip() == (
        f"Error: {written}: Not a directory; check the path and its permissions"
    )
    assert isinstance(result.exception, SystemExit)  # a message, not an escaped error


def test_the_message_names_both_paths_of_a_rename() -> None:
    e = PermissionError(13, "Permission denied", "/a/x.tmp", None, "/a/x")
    assert os_error(e) == "/a/x.tmp -> /a/x: Permission denied; check the path and its permissions"
    assert os_error(OSError("no file involved")) == "no file involved"


def test_an_unwritable_folder_names_the_file_not_its_temp_file(tmp_path: Path) -> None:
    from dagnas.io import atomic_write_text

    (tmp_path / "afile").write_text("x")
    target = tmp_path / "afile" / "summary.json"  # its folder is a file: no temp file either
    try:
        atomic_write_text(target, "{}")
    except OSError as e:
        assert e.filename == str(target) and ".tmp" not in os_error(e)
    else:
        raise AssertionError("wrote through a file")

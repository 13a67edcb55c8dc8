"""A run that fails before writing anything leaves no empty folder of its own behind;
a folder the user had, or one with a file in it, is kept."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.errors import DataError
from dagnas.spaces import load_space
from dagnas.workflows.rundir import run_folder


@pytest.fixture
def garbage(tmp_path):
    path = tmp_path / "t.npz"
    path.write_text("not an archive")
    return path


def run(*args: str):
    return CliRunner().invoke(main, ["run", "mlp_dag", "-q", *args])


@pytest.mark.parametrize("bad", [["--data", "t.npz"], ["--seed", "-1"]])
def test_a_run_failing_on_its_input_removes_the_folder_it_made(tmp_path, garbage, bad):
    out = tmp_path / "R"
    result = run(*[str(garbage) if a == "t.npz" else a for a in bad], "--out", str(out))
    # a bad npz fails when read (1), a negative seed when the spec is checked (2)
    assert result.exit_code in (1, 2) and "Traceback" not in result.output, result.output
    assert not out.exists()


def test_a_folder_the_user_had_is_kept(tmp_path, garbage):
    out = tmp_path / "R"
    out.mkdir()
    result = run("--data", str(garbage), "--out", str(out))
    assert result.exit_code == 1, result.output
    assert out.is_dir() and not any(out.iterdir())


def test_a_folder_with_a_file_in_it_is_kept(tmp_path):
    out = tmp_path / "R"
    with pytest.raises(DataError), run_folder(load_space("mlp_dag"), out) as folder:
        (folder / "config.yaml").write_text("kind: dag\n")
        raise DataError("the data went bad after the config was written")
    assert [p.name for p in out.iterdir()] == ["config.yaml"]

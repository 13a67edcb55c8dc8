"""``dagnas validate`` refuses a data file or image folder that is not there, as the
run would, naming ``search.data`` and the path; a dataset's name is not looked up."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.errors import SpecError
from dagnas.spec import parse_spec
from dagnas.spec.check import check_spec

CELL = "kind: darts_cell\nchannels: 2\nlayers: 2\nops: [skip_connect]\n"


def validate(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


@pytest.mark.parametrize(
    "data, shown", [("missing.npz", "missing.npz: no such .npz file"), ("folder:pics", "pics")]
)
def test_a_missing_data_path_in_the_spec_is_refused(tmp_path, monkeypatch, data, shown):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(CELL + f"search: {{data: '{data}'}}\n")
    result = validate("s.yaml")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: s.yaml:5: search.data: {shown}"), result.output


def test_a_missing_data_path_by_set_is_refused():
    result = validate("mlp_dag", "--set", "search.data=/nonexistent.npz")
    assert result.exit_code == 2, result.output
    assert "search.data: /nonexistent.npz: no such .npz file" in result.output


def test_an_existing_data_path_passes(tmp_path, monkeypatch):
    x, y = np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1])
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    (tmp_path / "pics").mkdir()
    monkeypatch.chdir(tmp_path)
    for data in ("d.npz", f"{tmp_path}/d.npz", "folder:pics", f"folder:{tmp_path}/pics"):
        check_spec(parse_spec(CELL + f"search: {{data: '{data}'}}\n", "s.yaml"))


def test_an_npz_is_found_in_data_root_as_the_run_finds_it(tmp_path, monkeypatch):
    x, y = np.zeros((4, 3), np.float32), np.array([0, 1, 0, 1])
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    monkeypatch.chdir(tmp_path.parent)
    text = CELL + f"search: {{data: d.npz, data_root: '{tmp_path}'}}\n"
    check_spec(parse_spec(text, "s.yaml"))
    with pytest.raises(SpecError, match=r"s.yaml:5: search.data: d.npz: no such .npz file"):
        check_spec(parse_spec(CELL + "search: {data: d.npz}\n", "s.yaml"))


@pytest.mark.parametrize("data", ["mnist", "cifar10", "folder"])
def test_a_dataset_name_is_not_looked_for(tmp_path, monkeypatch, data):
    monkeypatch.chdir(tmp_path)  # no data here: the run finds it from --data-root
    check_spec(parse_spec(CELL + f"search: {{data: {data}}}\n", "s.yaml"))

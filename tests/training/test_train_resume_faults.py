"""`dagnas train --resume` on a cut retraining: a damaged config.json is one
"Error:" line naming it and the field; options that would change the training
are refused; --train-epochs extends it (recorded), but never below the epochs done."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.data import load_dataset
from dagnas.export import read_json
from dagnas.training import get_protocol
from dagnas.training.retrain import retrain
from tests.cli.test_cli_evaluate import arch_file
from tests.cli_errors import assert_one_error

SOURCE = {"name": "digits", "root": None, "seed": 0, "limit": 200}


class Cut(Exception):
    pass


def invoke(*args: str):
    return CliRunner().invoke(main, [*args, "--device", "cpu"])


@pytest.fixture(scope="module")
def cut(tmp_path_factory) -> Path:
    """A retraining of 3 epochs cut after its second (copied by each test)."""
    root = tmp_path_factory.mktemp("cut")
    arch = read_json(arch_file(root))

    def stop(record):
        if record["epoch"] == 2:
            raise Cut

    with pytest.raises(Cut):
        protocol = get_protocol("quick", epochs=3, batch_size=32)
        retrain(arch, load_dataset(**SOURCE), root / "t", protocol, source=SOURCE, on_epoch=stop)
    return root / "t"


@pytest.fixture
def folder(cut, tmp_path) -> Path:
    return shutil.copytree(cut, tmp_path / "t")


def epochs_of(folder: Path) -> list[int]:
    return [json.loads(x)["epoch"] for x in (folder / "metrics.jsonl").read_text().splitlines()]


def edit(config: dict, change: str) -> object:
    """``config`` damaged as ``change`` says."""
    if change == "list":
        return [1]
    if change == "no protocol":
        return {k: v for k, v in config.items() if k != "protocol"}
    key, value = change.split("=")
    return {**config, "protocol": {**config["protocol"], key: json.loads(value)}}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ("list", "Input should be an object"),
        ("no protocol", "protocol: Field required"),
        ('lr="abc"', "protocol.lr: Input should be a valid number"),
        ("batch_size=-4", "protocol.batch_size: Input should be greater than 0"),
    ],
)
def test_a_damaged_config_names_the_file_and_field(folder, change, said):
    path = folder / "config.json"
    path.write_text(json.dumps(edit(json.loads(path.read_text()), change)))
    result = invoke("train", "--resume", str(folder))
    assert_one_error(result, f"{path}: {said}", "restore it, or start a new training")


def test_a_config_that_is_not_json_names_the_file(folder):
    path = folder / "config.json"
    path.write_text("{")
    result = invoke("train", "--resume", str(folder))
    assert_one_error(result, f"{path}: Invalid JSON", "line 1", "restore it")


@pytest.mark.parametrize(
    "given",
    [
        ["--data", "d.npz"],
        ["--lr", "5"],
        ["--batch-size", "7"],
        ["--seed", "3"],
        ["--protocol", "nb201"],
        ["--data-limit", "50"],
        ["ARCH"],
    ],
)
def test_what_resume_cannot_change_is_refused(folder, given):
    config = (folder / "config.json").read_text()
    args = [str(folder / "architecture.json")] if given == ["ARCH"] else given
    result = invoke("train", "--resume", str(folder), *args)
    assert result.exit_code == 2, result.output
    assert f"{given[0]} cannot change it (only --train-epochs" in result.output
    assert (folder / "config.json").read_text() == config and epochs_of(folder) == [1, 2]


def test_options_as_recorded_are_no_change(folder):
    result = invoke("train", "--resume", str(folder), "--batch-size", "32", "--data-limit", "200")
    assert result.exit_code == 0, result.output
    assert epochs_of(folder) == [1, 2, 3]


def test_train_epochs_extend_the_training_and_are_recorded(folder):
    result = invoke("train", "--resume", str(folder), "--train-epochs", "4")
    assert result.exit_code == 0, result.output
    assert epochs_of(folder) == [1, 2, 3, 4]
    assert json.loads((folder / "config.json").read_text())["protocol"]["epochs"] == 4
    assert json.loads((folder / "result.json").read_text())["protocol"]["epochs"] == 4


def test_fewer_train_epochs_than_done_are_refused(folder):
    config = (folder / "config.json").read_text()
    result = invoke("train", "--resume", str(folder), "--train-epochs", "1")
    assert_one_error(
        result, f"--train-epochs 1 is fewer than the 2 epochs {folder} has done; give at least 2"
    )
    assert (folder / "config.json").read_text() == config and epochs_of(folder) == [1, 2]

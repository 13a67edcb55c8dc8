"""Resume mismatches: an edited config.yaml is named in one line; a folder with no
checkpoint says so; what --resume may change (--epochs...) is recorded, the rest refused."""

from __future__ import annotations

import json
import logging

import pytest
import yaml
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.engine.checkpoint import CHECKPOINT


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def finished(space, tmp_path):
    """A finished 1-epoch run of the tiny space."""
    out = tmp_path / "run"
    result = invoke("run", str(space), "--out", str(out), "-q", "--epochs", "1")
    assert result.exit_code == 0, result.output
    return out


def test_an_edited_config_is_named_in_one_line(finished):
    config = yaml.safe_load((finished / "config.yaml").read_text())
    config["nodes"][1]["width"] = 16
    config["name"] = "other"
    (finished / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    result = invoke("run", "--resume", str(finished), "-q", "--epochs", "2")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "the config differs from the one the checkpoint was saved with" in result.output
    assert "name: 'tiny' → 'other'" in result.output and "width: 8 → 16" in result.output


def test_resume_without_a_checkpoint_warns_and_starts_over(finished, caplog):
    (finished / CHECKPOINT).unlink()
    with caplog.at_level(logging.WARNING):
        result = invoke("run", "--resume", str(finished), "-q")
    assert result.exit_code == 0, result.output
    assert "holds no checkpoint yet: the run starts from the beginning" in caplog.text


def test_epochs_extend_a_finished_run_and_are_recorded(finished):
    result = invoke("run", "--resume", str(finished), "-q", "--epochs", "2")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((finished / "config.yaml").read_text())["search"]["epochs"] == 2
    lines = (finished / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2]


@pytest.mark.parametrize(
    "given", [["--data", "mnist"], ["--seed", "3"], ["--batch-size", "8"], ["mlp_dag"]]
)
def test_what_resume_cannot_change_is_refused(finished, given):
    result = invoke("run", "--resume", str(finished), "-q", *given)
    assert result.exit_code == 2
    flag = given[0] if given[0].startswith("--") else "SPACE"
    assert f"{flag} cannot change it (only --epochs, --max-steps" in result.output

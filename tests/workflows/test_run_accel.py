"""``search.accel`` end to end: ``dagnas run --set search.accel.precision=bf16``
searches in bf16 and records it (config.yaml, the checkpoint's config, its loss
scalers); a resume under another setting is refused by name; ``validate``
refuses fp16 where it cannot run, at the field's line."""

from __future__ import annotations

import json

import pytest
import torch
import yaml
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.engine.checkpoint import CHECKPOINT
from tests.cli.test_cli_run import TINY, invoke


def test_a_bf16_run_records_its_setting_and_refuses_a_resume_under_another(tmp_path):
    tiny_yaml = tmp_path / "tiny.yaml"
    tiny_yaml.write_text(TINY)
    out = tmp_path / "run"
    bf16 = ["--set", "search.accel.precision=bf16"]
    result = invoke("run", str(tiny_yaml), *bf16, "--out", str(out), "-q", "--max-steps", "2")
    assert result.exit_code == 0, result.output
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["search"]["accel"] == {
        "precision": "bf16",
        "channels_last": False,
        "compile": False,
    }
    state = torch.load(out / CHECKPOINT, weights_only=True)
    assert json.loads(state["config"])["search"]["accel"]["precision"] == "bf16"
    assert set(state["scalers"]) == {"w", "a"}

    config["search"]["accel"]["precision"] = "fp32"  # the run folder edited by hand
    (out / "config.yaml").write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["run", "--resume", str(out), "-q"])
    assert result.exit_code != 0
    assert "search.accel.precision: 'bf16' → 'fp32'" in result.output


@pytest.mark.skipif(torch.cuda.is_available(), reason="fp16 runs where there is a GPU")
def test_validate_and_run_refuse_fp16_without_a_gpu(tmp_path):
    tiny_yaml = tmp_path / "tiny.yaml"
    tiny_yaml.write_text(TINY)
    fp16 = ["--set", "search.accel.precision=fp16"]
    result = CliRunner().invoke(main, ["validate", str(tiny_yaml), *fp16])
    assert result.exit_code == 2
    # blamed on the --set that asked for it, not on the file's line of the value it replaced
    assert "--set search.accel.precision: fp16 autocast needs a CUDA device" in result.output
    assert "use precision bf16 on a CPU" in result.output
    result = CliRunner().invoke(main, ["run", str(tiny_yaml), *fp16, "--out", str(tmp_path / "r")])
    assert result.exit_code != 0 and "fp16 autocast needs a CUDA device" in result.output

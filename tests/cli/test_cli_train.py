"""dagnas train --protocol / --resume: a kept model, never overwritten, continued."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.data import load_dataset
from dagnas.export import read_json
from dagnas.training import get_protocol, load_model
from dagnas.training.retrain import retrain
from tests.cli.test_cli_evaluate import arch_file

ARGS = ["--data-limit", "200", "--device", "cpu"]


def invoke(*args: str):
    return CliRunner().invoke(main, [*args, *ARGS])


def test_a_protocol_retrain_keeps_its_model_and_is_never_overwritten(tmp_path):
    arch, out = str(arch_file(tmp_path)), str(tmp_path / "r")
    res = invoke("train", arch, "--protocol", "quick", "--train-epochs", "1", "--out", out)
    assert res.exit_code == 0, res.output
    result = json.loads((tmp_path / "r" / "result.json").read_text())
    assert result["protocol"]["epochs"] == 1 and result["protocol"]["augment"]["flip"]
    assert result["protocol"]["batch_size"] == 64  # the preset's, not overridden
    data = load_dataset("digits", limit=200)
    sizes = {"train": len(data.train), "val": len(data.val), "test": len(data.test)}
    assert result["splits"] == sizes
    assert load_model(out)(data.test.tensors[0][:2]).shape == (2, 10)
    res = invoke("train", arch, "--protocol", "quick", "--out", out)
    assert res.exit_code == 1 and f"continue it with `dagnas train --resume {out}`" in res.output
    res = invoke("train", "--resume", out)
    assert res.exit_code == 1 and "has finished" in res.output


def test_resume_continues_a_cut_retraining(tmp_path):
    arch = read_json(arch_file(tmp_path))
    source = {"name": "digits", "root": None, "seed": 0, "limit": 200}

    def cut(record):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        retrain(
            arch,
            load_dataset(**source),
            tmp_path / "c",
            get_protocol("quick", epochs=2),
            source=source,
            on_epoch=cut,
        )
    res = invoke("train", "--resume", str(tmp_path / "c"))
    assert res.exit_code == 0, res.output
    lines = (tmp_path / "c" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["epoch"] for x in lines] == [1, 2]


def test_an_unknown_protocol_names_the_presets(tmp_path):
    res = invoke("train", str(arch_file(tmp_path)), "--protocol", "darts")
    assert res.exit_code == 1 and "presets: darts_cifar10, nb201, quick" in res.output


def test_eval_every_scores_the_test_split_less_often(tmp_path):
    arch, out = str(arch_file(tmp_path)), str(tmp_path / "r")
    args = ["train", arch, "--train-epochs", "3", "--eval-every", "2", "--out", out]
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    assert ["test_acc" in r for r in lines] == [False, True, True]
    assert json.loads((tmp_path / "r" / "result.json").read_text())["protocol"]["eval_every"] == 2
    res = invoke("train", arch, "--eval-every", "0", "--out", str(tmp_path / "z"))
    assert res.exit_code == 2 and "--eval-every" in res.output

"""Retraining into a folder: the kept model, resumption, the recorded splits."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.data import TensorDataset

from dagnas.data import DataSplits, load_dataset
from dagnas.errors import DagnasError, RunError
from dagnas.evaluate.candidates import sample_architectures
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower
from dagnas.training import get_protocol, load_model
from dagnas.training.files import CHECKPOINT, MODEL, read_model
from dagnas.training.retrain import Retraining, evaluate, resume, retrain
from tests.conftest import TINY_CELL, TINY_DAG

SOURCE = {"name": "digits", "seed": 0, "limit": 300}


class Stop(Exception):
    pass


@pytest.fixture(scope="module")
def setup():
    data = load_dataset(**SOURCE)
    arch = sample_architectures(lower(parse_spec(TINY_CELL), data.input_shape, 10), 1, 0)[0]
    return arch, data


def protocol(**overrides):
    settings = {"epochs": 3, "batch_size": 32, "drop_path": 0.1, "auxiliary_weight": 0.4}
    return get_protocol("quick", **{**settings, **overrides})


def test_the_model_is_kept_and_loads_in_one_call(setup, tmp_path):
    arch, data = setup
    result = retrain(arch, data, tmp_path / "r", protocol(layers=4), source=SOURCE)
    sizes = {"train": len(data.train), "val": len(data.val), "test": len(data.test)}
    assert result["splits"] == sizes
    assert result["params"] == result["graph_params"]  # the auxiliary head is not counted
    model = load_model(tmp_path / "r")
    assert not model.training and model.body.aux_head is not None
    assert evaluate(model, *data.test.tensors)[1] == result["test_acc"]
    saved = read_model(tmp_path / "r" / MODEL)
    assert saved["protocol"]["layers"] == 4 and '"layers": 4' in saved["architecture"]
    lines = (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(x)["drop_path"] for x in lines] == pytest.approx([0, 0.1 / 3, 0.2 / 3])
    with pytest.raises(RunError, match="already holds a retraining; continue it with"):
        retrain(arch, data, tmp_path / "r", protocol())


def test_a_resumed_retraining_ends_as_an_uninterrupted_one(setup, tmp_path):
    arch, data = setup
    whole = retrain(arch, data, tmp_path / "whole", protocol())

    def stop_after_two(record):
        if record["epoch"] == 2:
            raise Stop

    with pytest.raises(Stop):
        retrain(arch, data, tmp_path / "cut", protocol(), source=SOURCE, on_epoch=stop_after_two)
    assert (tmp_path / "cut" / CHECKPOINT).exists() and not (tmp_path / "cut" / MODEL).exists()
    again = resume(tmp_path / "cut")
    assert again["test_acc"] == whole["test_acc"] and again["test_loss"] == whole["test_loss"]
    read = [
        (tmp_path / name / "metrics.jsonl").read_text().splitlines() for name in ("whole", "cut")
    ]
    assert read[0] == read[1]
    a, b = (load_model(tmp_path / name).state_dict() for name in ("whole", "cut"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    with pytest.raises(RunError, match="has finished"):
        resume(tmp_path / "cut")


def test_the_test_split_is_scored_every_eval_every_epochs_and_at_the_end(setup, tmp_path):
    arch, data = setup
    every = retrain(arch, data, tmp_path / "every", protocol(epochs=5))
    sparse = retrain(arch, data, tmp_path / "sparse", protocol(epochs=5, eval_every=2))
    text = (tmp_path / "sparse" / "metrics.jsonl").read_text()
    lines = [json.loads(x) for x in text.splitlines()]
    assert ["test_acc" in r for r in lines] == [False, True, False, True, True]
    # scoring the test split draws no random numbers: the same training, the same result
    assert sparse["test_acc"] == every["test_acc"] and sparse["test_loss"] == every["test_loss"]
    with pytest.raises(DagnasError, match="eval_every"):
        protocol(eval_every=0)


def test_resume_needs_a_retraining_folder(tmp_path):
    with pytest.raises(RunError, match="holds no retraining to continue"):
        resume(tmp_path)


def test_bf16_autocast_and_channels_last_retrain_on_a_cpu(setup):
    arch, data = setup
    accel = {"precision": "bf16", "channels_last": True}
    result = retrain(arch, data, protocol=protocol(epochs=1, accel=accel))
    assert 0 <= result["test_acc"] <= 1 and result["protocol"]["accel"]["precision"] == "bf16"


def first_step_loss(arch, data, **overrides) -> float:
    run = Retraining(arch, data, protocol(**overrides))
    return run.train_step(*run.batches.next())


def test_training_batches_are_augmented_by_the_protocol_with_its_seeds_draws(setup):
    arch, data = setup
    plain = first_step_loss(arch, data, augment={"crop": 0, "flip": False})
    augmented = first_step_loss(arch, data, augment={"crop": 2, "cutout": 4})
    assert augmented != plain
    assert first_step_loss(arch, data, augment={"crop": 2, "cutout": 4}) == augmented


def test_augmenting_vectors_says_to_turn_augmentation_off():
    split = TensorDataset(torch.randn(8, 5), torch.arange(8) % 3)
    data = DataSplits(split, split, split, (5,), 3, "vectors")
    arch = sample_architectures(lower(parse_spec(TINY_DAG), (5,), 3), 1, 0)[0]
    with pytest.raises(DagnasError, match="not images, so they cannot be augmented"):
        Retraining(arch, data, protocol(drop_path=0, auxiliary_weight=0))

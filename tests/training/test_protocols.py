"""The protocol presets hold the figures of the papers' code (sources in
dagnas/training/protocols.py); every field can be overridden."""

from __future__ import annotations

import pytest

from dagnas.data import Augment
from dagnas.errors import DagnasError
from dagnas.training.protocols import PROTOCOLS, get_protocol


def test_darts_cifar10_is_dartss_cnn_train_py():
    p = PROTOCOLS["darts_cifar10"]
    # quark0/darts cnn/train.py defaults; utils._data_transforms_cifar10 with --cutout
    assert (p.channels, p.layers, p.batch_size, p.epochs) == (36, 20, 96, 600)
    assert (p.lr, p.lr_min, p.momentum, p.nesterov) == (0.025, 0.0, 0.9, False)
    assert (p.weight_decay, p.grad_clip) == (3e-4, 5.0)
    assert (p.drop_path, p.auxiliary_weight) == (0.2, 0.4)
    assert p.augment == Augment(crop=4, flip=True, cutout=16)


def test_nb201_is_autodl_200e_config_with_c16_n5():
    p = PROTOCOLS["nb201"]
    # configs/nas-benchmark/hyper-opts/200E.config; train-models.sh --channel 16 --num_cells 5
    assert (p.channels, p.layers, p.batch_size, p.epochs) == (16, 3 * 5 + 2, 256, 200)
    assert (p.lr, p.lr_min, p.momentum, p.nesterov, p.weight_decay) == (0.1, 0.0, 0.9, True, 5e-4)
    assert (p.drop_path, p.auxiliary_weight, p.grad_clip) == (0.0, 0.0, 0.0)
    assert p.augment == Augment(crop=4, flip=True)


def test_quick_keeps_the_searched_size():
    p = PROTOCOLS["quick"]
    assert p.channels is None and p.layers is None and p.epochs <= 10


def test_every_field_overrides_and_nested_fields_merge():
    p = get_protocol("darts_cifar10", epochs=3, augment={"cutout": 0}, accel={"precision": "bf16"})
    assert p.epochs == 3 and p.augment == Augment(crop=4, flip=True)
    assert p.accel.precision == "bf16" and p.channels == 36
    assert PROTOCOLS["darts_cifar10"].epochs == 600  # the preset is untouched


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("dart_cifar10", {}, "unknown protocol 'dart_cifar10'; did you mean 'darts_cifar10'?"),
        ("quick", {"epoch": 3}, "epoch: Extra inputs are not permitted"),
        ("quick", {"augment": {"cutout": -1}}, "augment.cutout: Input should be greater"),
        ("quick", {"drop_path": 1.0}, "drop_path: Input should be less than 1"),
        ("quick", {"nesterov": True, "momentum": 0.0}, "nesterov needs a momentum above 0"),
        ("quick", {"accel": {"precision": "fp8"}}, "accel.precision: Input should be"),
    ],
)
def test_bad_settings_say_which_field(name, overrides, message):
    with pytest.raises(DagnasError, match="^.*" + message.replace("?", r"\?")):
        get_protocol(name, **overrides)

"""Evaluation protocols: how a derived architecture is retrained, as the papers do it.

A :class:`Protocol` holds every setting of a retraining: the network's size
(``channels``, ``layers``: the scale-up of the searched cell), the optimiser
and its cosine schedule, the augmentation, DARTS's drop-path and auxiliary
head, and the accelerator settings (:class:`~dagnas.accel.Accel`);
the augmentation is the data pipeline's :class:`~dagnas.data.Augment`.
The presets (:data:`PROTOCOLS`) are the published protocols plus ``quick``
for a CPU; :func:`get_protocol` takes a preset and overrides any field.

Where each preset figure was read:

``darts_cifar10`` — DARTS (Liu, Simonyan, Yang, ICLR 2019), the argparse
defaults of ``cnn/train.py`` in quark0/darts (the retraining script of the
paper's CIFAR-10 evaluation; read in a verbatim copy of it, the original is
not in our search index): ``--batch_size 96``, ``--learning_rate 0.025``,
``--momentum 0.9``, ``--weight_decay 3e-4``, ``--epochs 600``,
``--init_channels 36``, ``--layers 20``, ``--auxiliary_weight 0.4``,
``--cutout_length 16``, ``--drop_path_prob 0.2``, ``--grad_clip 5``; the
schedule is ``CosineAnnealingLR(optimizer, epochs)`` (to 0) and
``model.drop_path_prob = drop_path_prob * epoch / epochs`` (linear growth);
``utils._data_transforms_cifar10``: ``RandomCrop(32, padding=4)``,
``RandomHorizontalFlip()``, then ``Cutout(16)`` with ``--cutout``. The
paper's evaluation runs pass ``--auxiliary --cutout``.

``nb201`` — NAS-Bench-201 (Dong & Yang, ICLR 2020), D-X-Y/AutoDL-Projects:
``configs/nas-benchmark/hyper-opts/200E.config`` (``scheduler cos``,
``eta_min 0.0``, ``epochs 200``, ``warmup 0``, ``optim SGD``, ``LR 0.1``,
``decay 0.0005``, ``momentum 0.9``, ``nesterov 1``, ``batch_size 256``; the
older ``CIFAR.config`` that ``exps/NAS-Bench-201/main.py`` loads is not in our
search index); ``scripts-search/NAS-Bench-201/train-models.sh`` passes
``--channel 16 --num_cells 5`` (N=5 cells per stage: 3 stages of 5 cells and
2 residual blocks, 17 layers); random crop (padding 4) and horizontal flip
as in ``lib/datasets/get_dataset_with_transform.py``. No drop-path, no
auxiliary head, no cutout, no gradient clipping.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    NonNegativeFloat,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    ValidationError,
    model_validator,
)

from dagnas.accel import Accel
from dagnas.data import Augment
from dagnas.errors import DagnasError
from dagnas.registry import did_you_mean


class Protocol(BaseModel):
    """Every setting of a retraining. ``channels``/``layers`` None: the size the
    architecture was searched at. ``drop_path``: the final drop-path probability,
    reached linearly from 0 over the epochs. ``auxiliary_weight`` > 0 adds
    DARTS's auxiliary head at 2/3 depth, its loss weighted so (training only).
    ``grad_clip`` 0: no clipping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channels: PositiveInt | None = None
    layers: PositiveInt | None = None
    epochs: PositiveInt = 10
    batch_size: PositiveInt = 64
    lr: PositiveFloat = 0.025
    lr_min: NonNegativeFloat = 0.0
    momentum: NonNegativeFloat = 0.9
    nesterov: bool = False
    weight_decay: NonNegativeFloat = 3e-4
    grad_clip: NonNegativeFloat = 5.0
    augment: Augment = Augment()
    drop_path: float = Field(0.0, ge=0.0, lt=1.0)
    auxiliary_weight: NonNegativeFloat = 0.0
    accel: Accel = Accel()
    seed: NonNegativeInt = 0
    eval_every: PositiveInt = 1
    """epochs between scorings of the test split (the last epoch is always
    scored): on a small training set, scoring every epoch can cost more than
    training"""

    @model_validator(mode="after")
    def _nesterov_needs_momentum(self) -> Protocol:
        if self.nesterov and self.momentum == 0:
            raise ValueError("nesterov needs a momentum above 0")
        return self


PROTOCOLS: dict[str, Protocol] = {
    # DARTS CIFAR-10 retraining; sources in the module docstring
    "darts_cifar10": Protocol(
        channels=36,
        layers=20,
        epochs=600,
        batch_size=96,
        lr=0.025,
        lr_min=0.0,
        momentum=0.9,
        weight_decay=3e-4,
        grad_clip=5.0,
        augment=Augment(crop=4, flip=True, cutout=16),
        drop_path=0.2,
        auxiliary_weight=0.4,
    ),
    # NAS-Bench-201 (200 epochs); sources in the module docstring
    "nb201": Protocol(
        channels=16,
        layers=17,
        epochs=200,
        batch_size=256,
        lr=0.1,
        lr_min=0.0,
        momentum=0.9,
        nesterov=True,
        weight_decay=5e-4,
        grad_clip=0.0,
        augment=Augment(crop=4, flip=True),
    ),
    # a few minutes on a laptop CPU: the searched size, crop + flip
    "quick": Protocol(epochs=10, batch_size=64, augment=Augment(crop=4, flip=True)),
}


def get_protocol(name: str = "quick", **overrides: Any) -> Protocol:
    """Preset ``name`` with ``overrides`` (any :class:`Protocol` field; ``augment``
    and ``accel`` as dicts of their fields, merged into the preset's)."""
    if name not in PROTOCOLS:
        raise DagnasError(
            f"unknown protocol '{name}'{did_you_mean(name, list(PROTOCOLS))}"
            f" (presets: {', '.join(PROTOCOLS)})"
        )
    return override(PROTOCOLS[name], **overrides)


def override(protocol: Protocol, **overrides: Any) -> Protocol:
    """``protocol`` with fields replaced, validated; nested dicts are merged."""
    data = protocol.model_dump()
    for key, value in overrides.items():
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            value = {**data[key], **value}
        data[key] = value
    try:
        return Protocol.model_validate(data)
    except ValidationError as e:
        raise DagnasError(f"invalid protocol settings: {issues(e)}") from None


def issues(e: ValidationError) -> str:
    """``field.path: message`` for each of ``e``'s errors, in one line."""
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" if err["loc"] else err["msg"]
        for err in e.errors()
    )

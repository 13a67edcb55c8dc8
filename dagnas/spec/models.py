"""The spec language's shared parts: the search settings, the base of every kind's
spec model, and the field types kinds use (op and activation names, components).

Each kind's own model lives in its file under :mod:`dagnas.kinds`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import torch
from pydantic import (
    AfterValidator,
    Field,
    PositiveFloat,
    PrivateAttr,
    StrictInt,
    model_validator,
)

from dagnas.accel import Accel, check_supported
from dagnas.data import DATASETS, Augment, dataset_key, default_augment
from dagnas.engine import EARLY_STOPS, HYPERGRADIENTS, REGULARIZERS, SCHEDULES
from dagnas.errors import DagnasError, SpecError, SpecIssue, format_loc
from dagnas.loggers import LOGGERS
from dagnas.ops import OPS
from dagnas.ops.vector import ACTIVATIONS
from dagnas.registry import (
    Component,
    Registered,
    Registry,
    Strict,
    StrictNonNegativeInt,
    StrictPositiveInt,
    did_you_mean,
)
from dagnas.relax import RELAXATIONS
from dagnas.spec.yamldoc import Where

OpName = Annotated[str, Registered(OPS)]
ActivationName = Annotated[str, Registered(ACTIVATIONS)]


def component_of(registry: Registry[Any]) -> Registered:
    """Validate a Component against ``registry``, filling its option defaults in."""
    return Registered(registry)


def _check_data(name: str) -> str:
    """A dataset dagnas knows (or its alias), ``folder[:PATH]``, or a path to a file."""
    if dataset_key(name) is None:
        known = ", ".join(DATASETS)
        raise ValueError(
            f"unknown dataset '{name}'{did_you_mean(name.lower(), list(DATASETS))} (known:"
            f" {known}; or 'folder:PATH', or a path to an .npz file)"
        )
    return name


DataName = Annotated[str, AfterValidator(_check_data)]


class WeightOptim(Strict):
    """SGD on the network weights, cosine-annealed (DARTS defaults)."""

    lr: PositiveFloat = 0.025
    """initial SGD learning rate of the network weights"""
    lr_min: float = Field(0.001, ge=0)
    """learning rate at the end of the cosine schedule"""
    momentum: float = Field(0.9, ge=0, lt=1)
    """SGD momentum"""
    nesterov: bool = False
    """Nesterov momentum, as the NAS-Bench-201 search configs use (with weight decay 5e-4)"""
    weight_decay: float = Field(3e-4, ge=0)
    """L2 weight decay of the network weights"""
    grad_clip: PositiveFloat | None = 5.0
    """clip the weights' gradient norm to this (null: no clipping)"""


class ArchOptim(Strict):
    """The architecture optimizer (DARTS: Adam, lr 3e-4, betas (0.5, 0.999))."""

    optimizer: Literal["adam", "sgd"] = "adam"
    """optimizer of the architecture weights α"""
    lr: PositiveFloat = 3e-4
    """learning rate of the architecture weights"""
    betas: tuple[float, float] = (0.5, 0.999)
    """Adam's (β1, β2)"""
    weight_decay: float = Field(1e-3, ge=0)
    """weight decay of the architecture weights"""


class DivergenceGuard(Strict):
    """What a search does when a loss, a gradient norm or α becomes NaN or infinite:
    roll back to the last checkpoint with both learning rates times ``lr_factor``,
    at most ``retries`` times in a run, then stop with an error."""

    retries: StrictNonNegativeInt = 2
    """rollbacks allowed in a run before it stops with an error"""
    lr_factor: float = Field(0.5, gt=0, lt=1)
    """both learning rates are multiplied by this at each rollback"""


class SearchConfig(Strict):
    """How to search: data, budget, optimizers and the method's components."""

    data: DataName = "digits"
    """dataset: digits, mnist, fashion_mnist, cifar10, cifar100, mnist1d, folder:PATH or .npz"""
    data_root: str | None = None
    """folder holding the dataset (null: the default location)"""
    data_limit: StrictPositiveInt | None = None
    """use only this many training examples (quick runs)"""
    val_fraction: float = Field(0.5, gt=0, lt=1)
    """share of the training data held out for the architecture steps"""
    epochs: StrictPositiveInt = 50
    """search epochs"""
    max_steps: StrictPositiveInt | None = None
    """stop after this many steps (smoke runs)"""
    batch_size: StrictPositiveInt = 64
    """examples per step"""
    seed: StrictInt = Field(0, ge=0, lt=2**32)
    """seed of every random number generator of the search"""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """auto (CUDA when available), cpu or cuda"""
    accel: Accel = Accel()
    """mixed precision, channels-last and torch.compile of the search's forward passes"""
    weights: WeightOptim = WeightOptim()
    """the optimizer of the network weights"""
    arch: ArchOptim = ArchOptim()
    """the optimizer of the architecture weights"""
    relaxation: Annotated[Component, component_of(RELAXATIONS)] = Component(name="softmax")
    """how architecture weights become mixing weights (dagnas schema lists them)"""
    hypergradient: Annotated[Component, component_of(HYPERGRADIENTS)] = Component(name="first")
    """first (first-order DARTS) or second (the unrolled step)"""
    schedule: Annotated[Component, component_of(SCHEDULES)] = Component(name="alternate")
    """when architecture steps happen relative to weight steps"""
    regularizers: list[Annotated[Component, component_of(REGULARIZERS)]] = []
    """penalties and perturbations added to the search"""
    early_stop: Annotated[Component, component_of(EARLY_STOPS)] | None = None
    """end the search after the epoch a criterion is met (darts_plus: DARTS+; null: never)"""
    loggers: list[Annotated[Component, component_of(LOGGERS)]] = Field(
        [], description="experiment trackers fed every epoch: csv, tensorboard, mlflow, wandb"
    )
    checkpoint_every: StrictPositiveInt | None = Field(
        None, description="also checkpoint every N steps (always: at each epoch's end)"
    )
    on_divergence: DivergenceGuard = DivergenceGuard()
    """what to do when a loss or α becomes NaN or infinite"""
    eval_samples: StrictPositiveInt | None = Field(
        None,
        description="val examples scored after each epoch (default: all; a --max-steps smoke"
        " run scores as many as it trains on)",
    )
    step_order: Literal["arch_first", "weights_first"] = Field(
        "arch_first",
        description="per minibatch, the architecture step before the weight step (DARTS,"
        " DrNAS) or after it (the NAS-Bench-201 loops)",
    )
    warmup_epochs: StrictNonNegativeInt = Field(
        0, description="epochs of weight steps alone before the architecture starts to move"
    )
    arch_data: Literal["val", "train"] = Field(
        "val", description="the split the architecture steps draw their batches from"
    )
    augment: Augment | Literal["none", "default"] = Field(
        "none",
        description="augment the images of both halves during the search: 'default' is the"
        " dataset's usual crop/flip (dagnas.data.default_augment), or {crop, flip, cutout}",
    )
    bench: str | None = Field(
        None,
        description="a tabular benchmark (CSV/Parquet) or NATS-Bench directory: after each"
        " epoch, the score of the architecture derived then (bench_* in metrics.jsonl)",
    )

    def augmentation(self, input_shape: tuple[int, ...] | None = None) -> Augment:
        """The augmentation the search applies (none, the data's default, or given);
        DagnasError when it is on and ``input_shape`` (C, H, W) is not an image's."""
        if isinstance(self.augment, Augment):
            aug = self.augment
        else:
            aug = default_augment(self.data) if self.augment == "default" else Augment()
        if aug.enabled and input_shape is not None and len(input_shape) != 3:
            raise DagnasError(
                f"search.augment crops and flips images, but the {self.data} inputs have shape"
                f" {tuple(input_shape)}; remove search.augment"
            )
        return aug

    @model_validator(mode="after")
    def _accel_fits(self) -> SearchConfig:
        """What no machine runs: fp16 on a CPU, the unrolled step in fp16 (it has no
        loss scaling). ``device: auto`` is checked where it resolves (``dagnas validate``,
        the run)."""
        at = ("search", "accel", "precision")
        if self.device == "cpu":
            try:
                check_supported(self.accel.precision, torch.device("cpu"))
            except DagnasError as e:
                raise SpecIssue(at, str(e)) from None
        if self.accel.precision == "fp16" and self.hypergradient.name == "second":
            raise SpecIssue(
                at,
                "the second-order hypergradient runs in fp32 or bf16: its unrolled step has"
                " no loss scaling for fp16; use precision bf16 or hypergradient first",
            )
        return self

    @model_validator(mode="after")
    def _arch_defaults(self) -> SearchConfig:
        """Fill the ``arch`` settings the relaxation asks for and the user left out
        (sparse_simplex: SGD without weight decay, its proximal step). They stay
        defaults, not the user's: an override of the relaxation (``--set``,
        ``--method``) brings the new relaxation's instead."""
        wanted = RELAXATIONS.get(self.relaxation.name).arch_defaults_for(self.relaxation.options)
        given = self.arch.model_fields_set
        missing = {k: v for k, v in wanted.items() if k not in given}
        if not missing:
            return self
        arch = ArchOptim.model_validate({**self.arch.model_dump(exclude_unset=True), **missing})
        arch = ArchOptim.model_construct(_fields_set=set(given), **dict(arch))
        return self.model_copy(update={"arch": arch})


class SpaceBase(Strict):
    """Fields every space kind has."""

    name: str = "space"
    """the space's name (run folders are named after it)"""
    description: str = ""
    """one line shown by `dagnas spaces`"""
    input_shape: list[StrictPositiveInt] | None = Field(None, min_length=1, max_length=3)
    """input shape (C, H, W) or (D,); filled in from the data when run"""
    num_classes: StrictInt | None = Field(None, ge=2)
    """number of classes; filled in from the data when run"""
    search: SearchConfig = Field(default_factory=SearchConfig)
    """how to search: data, budget, optimizers, the method's components"""
    _source: Any = PrivateAttr(default=None)


def issue_at(spec: Any, loc: tuple[str | int, ...], msg: str) -> SpecError:
    """A :class:`SpecError` at ``loc`` of a loaded spec (for checks after loading)."""
    source: Where | None = getattr(spec, "_source", None)
    where = source.where(loc) if source else format_loc(loc)
    return SpecError([(where, msg)])

"""The spec language's shared parts: the search settings, the base of every kind's
spec model, and the field types kinds use (op and activation names, components).

Each kind's own model lives in its file under :mod:`dagnas.kinds`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    model_validator,
)

from dagnas.data import Augment, default_augment
from dagnas.engine import HYPERGRADIENTS, REGULARIZERS, SCHEDULES
from dagnas.errors import DagnasError, SpecError, format_loc
from dagnas.ops import OPS
from dagnas.ops.vector import ACTIVATIONS
from dagnas.registry import Component, Registry, Strict, resolve_component
from dagnas.relax import RELAXATIONS
from dagnas.spec.yamldoc import Locator


def _check_op(name: str) -> str:
    if name not in OPS:
        raise ValueError(OPS.unknown_message(name))
    return name


OpName = Annotated[str, AfterValidator(_check_op)]


def _check_activation(name: str) -> str:
    if name not in ACTIVATIONS:
        raise ValueError(ACTIVATIONS.unknown_message(name))
    return name


ActivationName = Annotated[str, AfterValidator(_check_activation)]


def component_of(registry: Registry[Any]) -> AfterValidator:
    """Validate a Component against ``registry``, filling its option defaults in."""
    return AfterValidator(lambda comp: resolve_component(registry, comp))


class WeightOptim(Strict):
    """SGD on the network weights, cosine-annealed (DARTS defaults)."""

    lr: PositiveFloat = 0.025
    lr_min: float = Field(0.001, ge=0)
    momentum: float = Field(0.9, ge=0, lt=1)
    #: Nesterov momentum, as the NAS-Bench-201 search configs use (with weight decay 5e-4)
    nesterov: bool = False
    weight_decay: float = Field(3e-4, ge=0)
    grad_clip: PositiveFloat | None = 5.0


class ArchOptim(Strict):
    """The architecture optimizer (DARTS: Adam, lr 3e-4, betas (0.5, 0.999))."""

    optimizer: Literal["adam", "sgd"] = "adam"
    lr: PositiveFloat = 3e-4
    betas: tuple[float, float] = (0.5, 0.999)
    weight_decay: float = Field(1e-3, ge=0)


class DivergenceGuard(Strict):
    """What a search does when a loss, a gradient norm or α becomes NaN or infinite:
    roll back to the last checkpoint with both learning rates times ``lr_factor``,
    at most ``retries`` times in a run, then stop with an error."""

    retries: NonNegativeInt = 2
    lr_factor: float = Field(0.5, gt=0, lt=1)


class SearchConfig(Strict):
    """How to search: data, budget, optimizers and the method's components."""

    data: str = "digits"
    data_root: str | None = None
    data_limit: PositiveInt | None = None
    val_fraction: float = Field(0.5, gt=0, lt=1)
    epochs: PositiveInt = 50
    max_steps: PositiveInt | None = None
    batch_size: PositiveInt = 64
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    weights: WeightOptim = WeightOptim()
    arch: ArchOptim = ArchOptim()
    relaxation: Annotated[Component, component_of(RELAXATIONS)] = Component(name="softmax")
    hypergradient: Annotated[Component, component_of(HYPERGRADIENTS)] = Component(name="first")
    schedule: Annotated[Component, component_of(SCHEDULES)] = Component(name="alternate")
    regularizers: list[Annotated[Component, component_of(REGULARIZERS)]] = []
    checkpoint_every: PositiveInt | None = Field(
        None, description="also checkpoint every N steps (always: at each epoch's end)"
    )
    on_divergence: DivergenceGuard = DivergenceGuard()
    eval_samples: PositiveInt | None = Field(
        None,
        description="val examples scored after each epoch (default: all; a --max-steps smoke"
        " run scores as many as it trains on)",
    )
    step_order: Literal["arch_first", "weights_first"] = Field(
        "arch_first",
        description="per minibatch, the architecture step before the weight step (DARTS,"
        " DrNAS) or after it (the NAS-Bench-201 loops)",
    )
    warmup_epochs: NonNegativeInt = Field(
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
    def _arch_defaults(self) -> SearchConfig:
        """Fill the ``arch`` settings the relaxation asks for and the user left out
        (sparse_simplex: SGD without weight decay, its proximal step)."""
        wanted = RELAXATIONS.get(self.relaxation.name).arch_defaults_for(self.relaxation.options)
        missing = {k: v for k, v in wanted.items() if k not in self.arch.model_fields_set}
        if not missing:
            return self
        arch = ArchOptim.model_validate({**self.arch.model_dump(exclude_unset=True), **missing})
        return self.model_copy(update={"arch": arch})


class SpaceBase(Strict):
    """Fields every space kind has."""

    name: str = "space"
    description: str = ""
    input_shape: list[PositiveInt] | None = Field(None, min_length=1, max_length=3)
    num_classes: int | None = Field(None, ge=2)
    search: SearchConfig = Field(default_factory=SearchConfig)
    _source: Any = PrivateAttr(default=None)


def issue_at(spec: Any, loc: tuple[str | int, ...], msg: str) -> SpecError:
    """A :class:`SpecError` at ``loc`` of a loaded spec (for checks after loading)."""
    source: Locator | None = getattr(spec, "_source", None)
    where = source.where(loc) if source else format_loc(loc)
    return SpecError([(where, msg)])

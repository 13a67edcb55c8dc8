"""The spec language: pydantic v2 models, one per space kind, keyed by ``kind``."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    PrivateAttr,
    field_validator,
    model_validator,
)

from dagnas.errors import SpecIssue
from dagnas.spec.components import Component, Strict, resolve_component


def _check_op(name: str) -> str:
    from dagnas.ops import OPS

    if name not in OPS:
        raise ValueError(OPS.unknown_message(name))
    return name


OpName = Annotated[str, AfterValidator(_check_op)]


def _check_activation(name: str) -> str:
    from dagnas.ops.vector import ACTIVATIONS

    if name not in ACTIVATIONS:
        raise ValueError(ACTIVATIONS.unknown_message(name))
    return name


ActivationName = Annotated[str, AfterValidator(_check_activation)]
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _component(kind: str) -> AfterValidator:
    """Validate a Component against the registry of ``kind``, filling defaults."""

    def check(comp: Component) -> Component:
        from dagnas.search.components import registry_of

        return resolve_component(registry_of(kind), comp)

    return AfterValidator(check)


class WeightOptim(Strict):
    """SGD on the network weights, cosine-annealed (DARTS defaults)."""

    lr: PositiveFloat = 0.025
    lr_min: float = Field(0.001, ge=0)
    momentum: float = Field(0.9, ge=0, lt=1)
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
    relaxation: Annotated[Component, _component("relaxation")] = Component(name="softmax")
    hypergradient: Annotated[Component, _component("hypergradient")] = Component(name="first")
    schedule: Annotated[Component, _component("schedule")] = Component(name="alternate")
    regularizers: list[Annotated[Component, _component("regularizer")]] = []
    checkpoint_every: PositiveInt | None = Field(
        None, description="also checkpoint every N steps (always: at each epoch's end)"
    )
    on_divergence: DivergenceGuard = DivergenceGuard()
    eval_samples: PositiveInt | None = Field(
        None,
        description="val examples scored after each epoch (default: all; a --max-steps smoke"
        " run scores as many as it trains on)",
    )

    @model_validator(mode="after")
    def _arch_defaults(self) -> SearchConfig:
        """Fill the ``arch`` settings the relaxation asks for and the user left out
        (sparse_simplex: SGD without weight decay, its proximal step)."""
        from dagnas.relax import RELAXATIONS

        wanted = RELAXATIONS.get(self.relaxation.name).arch_defaults
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

    @model_validator(mode="after")
    def _derive_fits_kind(self) -> SpaceBase:
        from dagnas.search.components import registry_of

        derive = getattr(self, "derive", None)
        kinds = getattr(registry_of("derive").get(derive.name), "kinds", None) if derive else None
        if kinds is not None and getattr(self, "kind", None) not in kinds:
            raise SpecIssue(
                ("derive",),
                f"derivation rule '{derive.name}' applies to {', '.join(kinds)} spaces, "
                f"not {self.kind}; choose another rule or remove derive: for the default",
            )
        return self


class DartsCellSpec(SpaceBase):
    """DARTS cells stacked into a network (Liu et al. 2019); NAS-Bench-201 too."""

    kind: Literal["darts_cell"]
    # upper bounds stop a typo (an extra zero) before it exhausts memory or time
    channels: PositiveInt = Field(16, le=4096)
    layers: PositiveInt = Field(8, le=256)
    reductions: list[NonNegativeInt] | None = None
    reduction_type: Literal["cell", "resblock"] = "cell"
    stem_multiplier: PositiveInt = Field(3, le=16)
    input_nodes: Literal[1, 2] = 2
    nodes: PositiveInt = Field(4, le=32)
    output: Literal["concat", "last"] = "concat"
    preprocess: bool = True
    final_activation: bool = False
    #: BatchNorm (affine=False) after each intermediate node's sum in the supernet;
    #: DARTS-PRIME sets it, since its clipped weights are not normalised per edge.
    node_norm: bool = False
    ops: list[OpName] = Field(min_length=1)
    reduction_ops: list[OpName] | None = Field(None, min_length=1)
    edges: list[str] | None = None
    derive: Annotated[Component, _component("derive")] = Component(name="topk", k=2)

    @field_validator("edges")
    @classmethod
    def _edges_form(cls, edges: list[str] | None) -> list[str] | None:
        for e in edges or []:
            if not re.fullmatch(r"\s*\d+\s*->\s*\d+\s*", e, flags=re.ASCII):
                raise ValueError(f"edge '{e}' must look like 'i->j' with node numbers")
        return edges

    @model_validator(mode="after")
    def _consistent(self) -> DartsCellSpec:
        from dagnas.ops import OPS

        for field in ("ops", "reduction_ops"):
            for i, op in enumerate(getattr(self, field) or []):
                if OPS.get(op).domain == "vector":
                    raise SpecIssue(
                        (field, i), f"op '{op}' is a vector op; a darts_cell space needs image ops"
                    )
        n_in, last = self.input_nodes, self.input_nodes + self.nodes
        for k, e in enumerate(self.edges or []):
            i, j = (int(p) for p in e.split("->"))
            if not (0 <= i < j and n_in <= j < last):
                raise SpecIssue(
                    ("edges", k),
                    f"'{e}' is not a cell edge: need i < j and j an intermediate node"
                    f" ({n_in}..{last - 1})",
                )
        for k, r in enumerate(self.reductions or []):
            if r >= self.layers:
                raise SpecIssue(
                    ("reductions", k), f"layer {r} is out of range 0..{self.layers - 1}"
                )
        return self


class NodeSpec(Strict):
    """A node of a `dag` space."""

    name: str
    role: Literal["input", "hidden", "output"] = "hidden"
    width: PositiveInt | None = Field(None, le=65536)
    aggregate: Literal["sum", "mean"] = "sum"

    @field_validator("name")
    @classmethod
    def _name_form(cls, name: str) -> str:
        if not NAME_RE.match(name):
            raise ValueError(
                f"node name '{name}' must start with a letter or '_' and hold only letters,"
                " digits and '_'"
            )
        return name


class EdgeSpec(Strict):
    """An edge of a `dag` space with its candidate ops."""

    model_config = Strict.model_config | {"populate_by_name": True}
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    ops: list[OpName] = Field(min_length=1)


class DagSpec(SpaceBase):
    """Any DAG a user writes: named nodes, edges with candidate ops."""

    kind: Literal["dag"]
    nodes: list[NodeSpec] = Field(min_length=2)
    edges: list[EdgeSpec] = Field(min_length=1)
    derive: Annotated[Component, _component("derive")] = Component(name="argmax")

    @model_validator(mode="after")
    def _graph_ok(self) -> DagSpec:
        from dagnas.spec.dagcheck import check_dag

        check_dag(self)
        return self


class BlockConstraints(Strict):
    """Which DAGs a stage's blocks may be (see :class:`dagnas.samplers.DagConstraints`)."""

    max_skip: PositiveInt | None = None
    min_edges: NonNegativeInt = 0
    max_edges: NonNegativeInt | None = None
    connected: bool = True


class StageSpec(Strict):
    """One stage: ``blocks`` DAGs over ``vertices`` layer vertices of ``width``.

    Vertex 0 is the stage input and vertex ``vertices - 1`` its output.
    """

    # upper bounds stop a typo before it exhausts memory or time (sampling, masks)
    blocks: PositiveInt = Field(le=1024)
    vertices: int = Field(ge=2, le=64)
    width: PositiveInt = Field(le=65536)
    aggregate: Literal["sum", "mean"] = "sum"
    activation: ActivationName = "relu"
    constraints: BlockConstraints = BlockConstraints()


class ResampleSpec(Strict):
    """When to draw new blocks: after every ``every`` epochs (0: never), keeping
    the ``keep`` blocks with the largest mixing weight (None: the sampler's default)."""

    every: NonNegativeInt = 1
    keep: NonNegativeInt | None = None


class DenseBlocksSpec(SpaceBase):
    """Stages of masked dense building blocks with shared weights (Neumeyer 2021)."""

    kind: Literal["dense_blocks"]
    stages: list[StageSpec] = Field(min_length=1)
    sampler: Annotated[Component, _component("sampler")] = Component(name="uniform", method="auto")
    resample: ResampleSpec = ResampleSpec()
    derive: Annotated[Component, _component("derive")] = Component(name="best_block")

    @model_validator(mode="after")
    def _spaces_ok(self) -> DenseBlocksSpec:
        from dagnas.spec.densecheck import check_dense

        check_dense(self)
        return self


SPACE_KINDS = (DartsCellSpec, DagSpec, DenseBlocksSpec)
Spec = Annotated[DartsCellSpec | DagSpec | DenseBlocksSpec, Field(discriminator="kind")]

"""The `dense_blocks` kind: stages of masked dense building blocks with shared
weights (Neumeyer 2021).

A `dense_blocks` space searches blocks, not edge ops. Each stage ``s<n>`` is
a cell with vertices ``"s<n>:v<i>"`` (v0 the input, the last the output) and
one edge per vertex pair that has a shared weight (``op`` the dense op, e.g.
"linear_relu", and ``shared=True``). Its choices are given by the graph
attributes ``choices`` (``{"s0:blocks": ["b0", ..., "b<k-1>"]}``) and
``groups`` (``{"s0": ["s0:blocks"]}``), which take precedence over edge ops
wherever choices are read (:func:`dagnas.compile.choices_of`). ``macro``
holds the stages (sizes, aggregate, activation, constraints), the sampler,
the resample schedule and the seed the initial blocks are drawn with.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import networkx as nx
import numpy as np
from pydantic import Field, PositiveInt, StrictInt, model_validator

from dagnas.compile.blocks import DenseBlocksNetwork
from dagnas.engine.derive import block_architecture
from dagnas.errors import DagnasError, SpecError, SpecIssue
from dagnas.kinds.base import DeriveRule, Macro, SpaceKind, register_kind
from dagnas.measure.formulas import edge_params, linear_params
from dagnas.ops.vector import dense_op
from dagnas.registry import Component, Strict, StrictNonNegativeInt, StrictPositiveInt
from dagnas.samplers import (
    MAX_ENUMERATE_VERTICES,
    SAMPLERS,
    DagConstraints,
    UniformSampler,
    enumerate_dags,
    make_sampler,
    space_size,
    stage_constraints,
    stage_seed,
)
from dagnas.spec.models import ActivationName, SpaceBase, component_of


class BlockConstraints(Strict):
    """Which DAGs a stage's blocks may be (see :class:`dagnas.samplers.DagConstraints`)."""

    max_skip: StrictPositiveInt | None = None
    """longest edge, in vertices skipped (null: any)"""
    min_edges: StrictNonNegativeInt = 0
    """fewest edges a block may have"""
    max_edges: StrictNonNegativeInt | None = None
    """most edges a block may have (null: any)"""
    connected: bool = True
    """every vertex lies on a path from the input to the output"""


class StageSpec(Strict):
    """One stage: ``blocks`` DAGs over ``vertices`` layer vertices of ``width``.

    Vertex 0 is the stage input and vertex ``vertices - 1`` its output.
    """

    # upper bounds stop a typo before it exhausts memory or time (sampling, masks)
    blocks: StrictPositiveInt = Field(le=1024)
    """blocks mixed in the stage (k)"""
    vertices: StrictInt = Field(ge=2, le=64)
    """layer vertices of each block's DAG (l), the input and output included"""
    width: StrictPositiveInt = Field(le=65536)
    """features of every vertex"""
    aggregate: Literal["sum", "mean"] = "sum"
    """how a vertex combines its incoming edges"""
    activation: ActivationName = "relu"
    """activation after each vertex"""
    constraints: BlockConstraints = BlockConstraints()
    """which DAGs the blocks may be"""


class ResampleSpec(Strict):
    """When to draw new blocks: after every ``every`` epochs (0: never), keeping
    the ``keep`` blocks with the largest mixing weight (None: the sampler's default).

    A new block starts with fresh α, optimizer moments and regularizer state;
    ``fresh: all`` gives every block of the stage a fresh start at each
    resampling, so that a kept block's head start does not decide the next
    phase (each phase is then a competition on equal terms, and only the
    sampler remembers earlier phases)."""

    every: StrictNonNegativeInt = 1
    """epochs between resamplings (0: never)"""
    keep: StrictNonNegativeInt | None = None
    """blocks kept at a resampling (null: the sampler's default)"""
    fresh: Literal["replaced", "all"] = "replaced"
    """which blocks start afresh at a resampling: the replaced ones, or all"""


class DenseBlocksSpec(SpaceBase):
    """Stages of masked dense building blocks with shared weights (Neumeyer 2021)."""

    kind: Literal["dense_blocks"]
    """the space kind"""
    stages: list[StageSpec] = Field(min_length=1)
    """the stages, in order"""
    sampler: Annotated[Component, component_of(SAMPLERS)] = Component(name="uniform", method="auto")
    """how new blocks are drawn (uniform, density)"""
    resample: ResampleSpec = ResampleSpec()
    """when to replace the weakest blocks"""
    derive: DeriveRule = Component(name="best_block")
    """the rule that picks each stage's block: ``best_block`` (the largest mixing
    weight) or ``one_shot`` (the block that scores best alone on the validation split)"""

    @model_validator(mode="after")
    def _spaces_ok(self) -> DenseBlocksSpec:
        check_dense(self)
        if self.derive.name == "one_shot" and self.search.relaxation.name == "hypernet":
            raise SpecIssue(
                ("derive",),
                "one_shot picks blocks by their validation score, not by the hypernet's"
                " α(λ), so every λ would get the same block; use derive: best_block with"
                " the hypernet relaxation (dagnas run --method hypernet does)",
            )
        return self


def _loc(s: int, field: str) -> tuple[str | int, ...]:
    return ("stages", s, field) if field == "vertices" else ("stages", s, "constraints", field)


def check_dense(spec: DenseBlocksSpec) -> None:
    """Raise :class:`SpecIssue` where a stage's space is empty, too small for its
    blocks, or not drawable by the sampler, or where ``resample.keep`` does not fit.

    The space is counted exactly up to 7 vertices (a few seconds at 7, cached);
    beyond, the sampler reports a space that is too small when it draws.
    """
    for s, stage in enumerate(spec.stages):
        try:
            c = stage_constraints(stage)
        except SpecError as e:
            field, msg = e.issues[0]
            raise SpecIssue(_loc(s, field), msg) from None
        try:
            make_sampler(spec.sampler.name, c, 0, **spec.sampler.options)
        except DagnasError as e:
            raise SpecIssue(("sampler",), f"cannot sample stage {s}: {e}") from None
        if c.vertices <= MAX_ENUMERATE_VERTICES and stage.blocks > (n := space_size(c)):
            raise SpecIssue(
                ("stages", s, "blocks"),
                f"blocks={stage.blocks} but the constrained space of stage {s} holds only {n} "
                f"distinct DAG{'s' if n != 1 else ''} on {stage.vertices} vertices; lower "
                "blocks or relax the constraints",
            )
    keep = spec.resample.keep
    if keep is None:
        return
    smallest = min(stage.blocks for stage in spec.stages)
    if keep > smallest:
        raise SpecIssue(
            ("resample", "keep"),
            f"keep={keep} but a stage has only {smallest} blocks; keep at most {smallest}",
        )
    if spec.sampler.options.get("keep") is not None:
        raise SpecIssue(
            ("resample", "keep"),
            "keep is given twice (here and as the sampler's option); give it once",
        )


def draw_blocks(graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
    """``n`` candidates whose stage blocks are distinct uniform draws per stage."""
    seed = int(rng.integers(2**31))
    per_stage = {}
    for s, st in enumerate(graph.graph["macro"]["stages"]):
        constraints = DagConstraints.from_dict(st["constraints"])
        size = space_size(constraints) if constraints.vertices <= MAX_ENUMERATE_VERTICES else None
        if size is not None and n > size:
            raise DagnasError(
                f"stage {st['name']} of space '{graph.graph.get('space')}' holds only {size} "
                f"distinct DAGs ({constraints}); ask for at most {size} candidates"
            )
        per_stage[st["name"]] = UniformSampler(constraints, stage_seed(seed, s)).sample(n)
    return [
        block_architecture(graph, {name: blocks[i] for name, blocks in per_stage.items()})
        for i in range(n)
    ]


class StageMacro(Macro):
    """One stage of a dense_blocks Architecture's ``macro``: what its network reads."""

    name: str
    blocks: PositiveInt
    vertices: int = Field(ge=2)
    in_width: PositiveInt
    width: PositiveInt
    aggregate: Literal["sum", "mean"]
    activation: ActivationName


class DenseMacro(Macro):
    """The ``macro`` of a dense_blocks Architecture (what :class:`DenseBlocksSpec` lowers to)."""

    stages: list[StageMacro] = Field(min_length=1)


@register_kind
class DenseBlocks(SpaceKind):
    """Dense blocks: its spec, lowering, network, parameter formula and drawer."""

    name = "dense_blocks"
    spec = DenseBlocksSpec
    body = DenseBlocksNetwork
    macro = DenseMacro
    derive_rules = frozenset({"best_block", "one_shot"})

    def lower(self, spec: DenseBlocksSpec, g: nx.DiGraph) -> None:
        """Each stage ``s<n>`` as a cell of vertices with one shared edge per allowed
        pair; the blocks are the choices (graph attributes ``choices``, ``groups``)."""
        stages: list[dict[str, Any]] = []
        in_width = math.prod(g.graph["input_shape"])  # images are flattened
        for n, stage in enumerate(spec.stages):
            name, nv, op = f"s{n}", stage.vertices, dense_op(stage.activation)
            constraints = stage_constraints(stage)
            for v in range(nv):
                g.add_node(
                    f"{name}:v{v}",
                    role="input" if v == 0 else ("output" if v == nv - 1 else "hidden"),
                    cell=name,
                    index=v,
                    width=in_width if v == 0 else stage.width,
                    aggregate=stage.aggregate,
                )
            for i, j in constraints.allowed_edges():
                g.add_edge(f"{name}:v{i}", f"{name}:v{j}", op=op, shared=True)
            stages.append(
                {
                    "name": name,
                    "blocks": stage.blocks,
                    "vertices": nv,
                    "in_width": in_width,
                    "width": stage.width,
                    "aggregate": stage.aggregate,
                    "activation": stage.activation,
                    "op": op,
                    "constraints": constraints.to_dict(),
                }
            )
            in_width = stage.width
        g.graph["macro"] = {
            "stages": stages,
            "sampler": {"name": spec.sampler.name, **spec.sampler.options},
            "resample": spec.resample.model_dump(),
            "seed": spec.search.seed,
        }
        g.graph["cells"] = [st["name"] for st in stages]
        g.graph["choices"] = {
            f"{st['name']}:blocks": [f"b{b}" for b in range(st["blocks"])] for st in stages
        }
        g.graph["groups"] = {st["name"]: [f"{st['name']}:blocks"] for st in stages}

    def network_macro(self, macro: dict[str, Any]) -> list[dict[str, Any]]:
        """Each stage's vertices, width, aggregate and op: not its input width (the
        data's, for the first stage), nor what only the search uses (blocks per
        stage, constraints, sampler, resampling, seed)."""
        keys = ("vertices", "width", "aggregate", "activation", "op")
        return [{k: st.get(k) for k in keys} for st in macro.get("stages", [])]

    def params(self, arch: nx.DiGraph) -> int:
        """One linear per block edge (in the stage's vertex widths) and the linear head."""
        width = arch.graph["macro"]["stages"][-1]["width"]
        return edge_params(arch) + linear_params(width, arch.graph["num_classes"], 1)

    def draw(self, graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
        return draw_blocks(graph, n, rng)

    def size(self, graph: nx.DiGraph) -> int:
        return math.prod(space_size(c) for c in _stage_spaces(graph))

    def enumerate(self, graph: nx.DiGraph) -> Iterator[nx.DiGraph]:
        """Every combination of one block per stage, each stage's blocks up to isomorphism."""
        names = [st["name"] for st in graph.graph["macro"]["stages"]]
        spaces = [enumerate_dags(c) for c in _stage_spaces(graph)]
        for blocks in itertools.product(*spaces):
            yield block_architecture(graph, dict(zip(names, blocks, strict=True)))


def _stage_spaces(graph: nx.DiGraph) -> list[DagConstraints]:
    """Each stage's constraints; DagnasError if a stage is too large to enumerate."""
    out = []
    for st in graph.graph["macro"]["stages"]:
        c = DagConstraints.from_dict(st["constraints"])
        if c.vertices > MAX_ENUMERATE_VERTICES:
            raise DagnasError(
                f"stage {st['name']} of space '{graph.graph.get('space')}' has {c.vertices}"
                f" vertices; blocks are enumerated up to {MAX_ENUMERATE_VERTICES} vertices"
            )
        out.append(c)
    return out

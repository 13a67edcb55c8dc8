"""What a `dense_blocks` space contains: per stage, its size and sampled DAGs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagnas.errors import DagnasError
from dagnas.graph import to_json_dict
from dagnas.samplers.base import make_sampler
from dagnas.samplers.blocks import Block, DagConstraints, block_to_json, to_networkx
from dagnas.samplers.rejection import SizeEstimate, estimate_space_size
from dagnas.samplers.space import MAX_ENUMERATE_VERTICES, space_size


def stage_constraints(stage: Any) -> DagConstraints:
    """The :class:`DagConstraints` of a `dense_blocks` spec's stage (``SpecError``
    naming the field if none fit)."""
    return DagConstraints(stage.vertices, **stage.constraints.model_dump())


def stage_seed(seed: int, stage: int) -> int:
    """The sampler seed of stage ``stage`` in a run seeded with ``seed``."""
    return seed + 7919 * stage


@dataclass
class StageSample:
    """One stage's space: exact ``size`` up to 7 vertices, else an ``estimate``."""

    stage: str
    constraints: DagConstraints
    size: int | None
    estimate: SizeEstimate | None
    blocks: list[Block]

    def to_json(self) -> dict[str, Any]:
        """The stage as JSON: size, constraints and the DAGs in node-link form."""
        nv = self.constraints.vertices
        return {
            "stage": self.stage,
            "constraints": self.constraints.to_dict(),
            "size": self.size,
            "size_estimate": None if self.estimate is None else vars(self.estimate),
            "dags": [to_json_dict(to_networkx(b, nv)) for b in self.blocks],
        }

    def describe(self) -> str:
        """A human-readable summary: the size, then one line of edges per DAG."""
        c = self.constraints
        est = self.estimate
        if est is not None:
            size = f"about {est.value:.4g} ± {est.stderr:.2g} distinct DAGs (estimated)"
        else:
            size = f"{self.size} distinct DAGs"
        lines = [f"stage {self.stage}: {size} on {c.vertices} vertices ({c})"]
        lines += [
            f"  {n:3d}: " + " ".join(f"{i}->{j}" for i, j in block_to_json(b))
            for n, b in enumerate(self.blocks)
        ]
        return "\n".join(lines)


def sample_space(spec: Any, n: int, seed: int | None = None) -> list[StageSample]:
    """``n`` distinct DAGs per stage of a `dense_blocks` spec (all of them when the
    space holds fewer), drawn by its sampler seeded as a run with ``seed`` (default:
    the spec's) seeds it, plus the size of each stage's constrained space."""
    if getattr(spec, "kind", None) != "dense_blocks":
        raise DagnasError(
            f"only dense_blocks spaces hold sampled DAGs; this space is {spec.kind!r}"
        )
    seed = spec.search.seed if seed is None else seed
    out = []
    for s, stage in enumerate(spec.stages):
        c = stage_constraints(stage)
        exact = c.vertices <= MAX_ENUMERATE_VERTICES
        size = space_size(c) if exact else None
        estimate = None if exact else estimate_space_size(c, seed=seed)
        sampler = make_sampler(spec.sampler.name, c, stage_seed(seed, s), **spec.sampler.options)
        blocks = sampler.sample(min(n, size) if size is not None else n)
        out.append(StageSample(f"s{s}", c, size, estimate, blocks))
    return out

"""Checks of a `dense_blocks` spec that need the DAG space: constraints, sizes, sampler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagnas.errors import DagnasError, SpecError, SpecIssue

if TYPE_CHECKING:
    from dagnas.samplers import DagConstraints
    from dagnas.spec.models import DenseBlocksSpec, StageSpec


def stage_constraints(stage: StageSpec) -> DagConstraints:
    """The stage's :class:`DagConstraints` (``SpecError`` naming the field if none fit)."""
    from dagnas.samplers import DagConstraints

    return DagConstraints(stage.vertices, **stage.constraints.model_dump())


def _loc(s: int, field: str) -> tuple[str | int, ...]:
    return ("stages", s, field) if field == "vertices" else ("stages", s, "constraints", field)


def check_dense(spec: DenseBlocksSpec) -> None:
    """Raise :class:`SpecIssue` where a stage's space is empty, too small for its
    blocks, or not drawable by the sampler, or where ``resample.keep`` does not fit.

    The space is counted exactly up to 7 vertices (a few seconds at 7, cached);
    beyond, the sampler reports a space that is too small when it draws.
    """
    from dagnas.samplers import MAX_ENUMERATE_VERTICES, make_sampler, space_size

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

"""The sampler interface, the sampler registry and their shared machinery."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import numpy as np
from pydantic import BaseModel

from dagnas.errors import DagnasError, SpecError
from dagnas.registry import NoOptions, Registry
from dagnas.samplers.blocks import Block, DagConstraints, make_block
from dagnas.samplers.orbits import IsoSet, canonical_block
from dagnas.samplers.space import MAX_ENUMERATE_VERTICES

#: Proposals allowed per requested block (plus a floor) before rejection gives up.
PROPOSALS_PER_BLOCK = 2000
PROPOSALS_FLOOR = 100_000


class DagSampler:
    """Draws blocks from a constrained space; subclasses register in :data:`SAMPLERS`.

    All randomness comes from one ``numpy.random.Generator`` seeded with
    ``seed``; :meth:`state_dict` captures it, so a restored sampler continues
    with exactly the draws the original would have made.
    """

    name: ClassVar[str] = ""
    #: the options a spec may give (``sampler: {name: ..., **options}``), checked on load
    Options: ClassVar[type[BaseModel]] = NoOptions

    def __init__(self, constraints: DagConstraints, seed: int):
        if not isinstance(constraints, DagConstraints):
            raise DagnasError(f"expected DagConstraints, got {type(constraints).__name__}")
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise SpecError([("seed", f"expected an integer >= 0, got {seed!r}")])
        self.constraints = constraints
        self.seed = seed
        self.rng = np.random.default_rng(seed)

    @property
    def enumerable(self) -> bool:
        """Whether this sampler works on the enumerated space."""
        return self.constraints.vertices <= MAX_ENUMERATE_VERTICES

    # -- drawing ---------------------------------------------------------

    def sample(self, n: int, *, replace: bool = False) -> list[Block]:
        """``n`` blocks: distinct classes by default, i.i.d. draws if ``replace``.

        Raises :class:`SpecError` naming ``k`` when more distinct blocks are
        asked for than the space holds.
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise SpecError([("k", f"expected an integer >= 0, got {n!r}")])
        return self._draw(n, [], replace)

    def _draw(self, n: int, exclude: list[Block], replace: bool) -> list[Block]:
        """``n`` blocks, none isomorphic to ``exclude`` (or each other unless ``replace``)."""
        raise NotImplementedError

    def _check_room(self, n: int, size: int, excluded: int) -> None:
        if n > size - excluded:
            kept = f" minus {excluded} kept" if excluded else ""
            raise SpecError(
                [
                    (
                        "k",
                        f"k={n + excluded} blocks requested but the "
                        f"constrained space holds only {size} distinct DAGs{kept}; lower k, "
                        "relax the constraints, or sample with replace=True",
                    )
                ]
            )

    def _draw_rejection(
        self,
        n: int,
        exclude: list[Block],
        replace: bool,
        propose: Callable[[], Block | None],
    ) -> list[Block]:
        """Collect ``n`` accepted proposals; canonical blocks when enumerable."""
        small = self.enumerable
        if small:
            exclude = [canonical_block(b, self.constraints) for b in exclude]
        seen_set = set(exclude)
        seen_iso = IsoSet(self.constraints.vertices, [] if small else exclude)
        out: list[Block] = []
        budget = PROPOSALS_PER_BLOCK * n + PROPOSALS_FLOOR
        for _ in range(budget):
            if len(out) == n:
                return out
            block = propose()
            if block is None:
                continue
            if small:  # canonical blocks: equal classes are equal tuples
                block = canonical_block(block, self.constraints)
                is_new = block not in seen_set
                seen_set.add(block)
            else:
                is_new = replace or seen_iso.add(block)
            if replace or is_new:
                out.append(block)
        if len(out) == n:
            return out
        raise DagnasError(
            f"gave up after {budget} proposals with {len(out)} of {n} distinct blocks "
            f"accepted under {self.constraints}; the space may hold fewer blocks than "
            "requested or be hard to hit: lower k or relax the constraints"
        )

    # -- feedback --------------------------------------------------------

    def update(self, blocks: Sequence[Block], weights: Sequence[float]) -> None:
        """Feed back the blocks used in an architecture phase and their mixing weights.

        ``weights[b]`` is block b's mixing weight π_b (normalised here to sum to
        1). Samplers that learn override this; the base only checks the input.
        """
        self._feedback(blocks, weights)

    def _feedback(
        self, blocks: Sequence[Block], weights: Sequence[float]
    ) -> tuple[list[Block], np.ndarray]:
        """Validated blocks and weights normalised to sum to one."""
        blocks = [make_block(b) for b in blocks]
        w = np.asarray(weights, dtype=float)
        if w.shape != (len(blocks),):
            raise DagnasError(f"expected {len(blocks)} weights (one per block), got {w.shape}")
        if len(blocks) == 0:
            raise DagnasError("update needs at least one block")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise DagnasError(f"weights must be finite, >= 0 and not all 0; got {w.tolist()}")
        for b in blocks:
            if not self.constraints.admits(b):
                raise DagnasError(f"block {list(b)} does not satisfy {self.constraints}")
        return blocks, w / w.sum()

    def default_keep(self, k: int) -> int:
        """How many blocks :meth:`resample` keeps by default for ``k`` blocks."""
        return k // 2

    def resample(
        self, blocks: Sequence[Block], weights: Sequence[float], keep: int | None = None
    ) -> list[Block]:
        """One feedback step: :meth:`update`, then keep the top-``keep`` blocks by
        weight and draw the rest anew (distinct, none isomorphic to a kept one).

        Returns ``len(blocks)`` blocks: the kept ones by descending weight, then the new.
        """
        blocks, w = self._feedback(blocks, weights)
        self.update(blocks, w.tolist())
        k = len(blocks)
        keep = self.default_keep(k) if keep is None else keep
        if not isinstance(keep, int) or isinstance(keep, bool) or not 0 <= keep <= k:
            raise SpecError([("keep", f"expected an integer in 0..{k}, got {keep!r}")])
        kept: list[Block] = []
        classes = IsoSet(self.constraints.vertices)
        for b in sorted(range(k), key=lambda i: -w[i]):  # stable: ties keep input order
            if len(kept) < keep and classes.add(blocks[b]):
                kept.append(blocks[b])
        return kept + self._draw(k - len(kept), kept, replace=False)

    # -- state -----------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state: sampler name, constraints, seed, RNG state and learnt state."""
        return {
            "sampler": self.name,
            "constraints": self.constraints.to_dict(),
            "seed": self.seed,
            "rng": self.rng.bit_generator.state,
            **self._extra_state(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict` output; refuses another sampler's or space's state."""
        if state.get("sampler") != self.name:
            raise DagnasError(f"state is for sampler {state.get('sampler')!r}, not {self.name!r}")
        constraints = DagConstraints.from_dict(state["constraints"])
        if constraints != self.constraints:
            raise DagnasError(f"state is for {constraints}, not {self.constraints}")
        self.seed = int(state["seed"])
        self.rng.bit_generator.state = state["rng"]
        self._load_extra(state)

    def _extra_state(self) -> dict[str, Any]:
        return {}

    def _load_extra(self, state: dict[str, Any]) -> None:
        return None


SAMPLERS: Registry[type[DagSampler]] = Registry("sampler")


def make_sampler(name: str, constraints: DagConstraints, seed: int, **options: Any) -> DagSampler:
    """The registered sampler ``name`` built on ``constraints`` with ``seed`` and options."""
    return SAMPLERS.get(name)(constraints, seed, **options)

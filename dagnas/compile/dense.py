"""Stages of masked dense building blocks with shared weights (METHODS.md §3).

A stage holds k blocks, each a DAG over l vertices: vertex 0 is the stage
input, vertex l-1 the block's output, and vertex j holds
h_j = agg_{i→j} act(W_ij h_i + c_ij) with agg a sum or a mean. The weight pair
(W_ij, c_ij) of each vertex pair is one ``nn.Linear`` shared by every block;
block b uses the pairs its mask ``masks[b]`` (a buffer) selects. The stage
output is Σ_b π_b·h_{l-1}^b.

:class:`DenseStage` computes all blocks together from a :mod:`plan
<dagnas.compile.dense_plan>`: each distinct vertex value once, the terms of
every pair i→j in one matmul batched over the values at i. Blocks whose
mixing weight is exactly 0 are not computed, nor are pairs no computed block
uses. :func:`loop_forward` is the straightforward per-block, per-edge loop on
the same weights: the definition the fast path is tested against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from dagnas.compile.dense_plan import StagePlan, make_plan
from dagnas.ops.vector import ACTIVATIONS
from dagnas.samplers import Block, make_block

#: Plans kept per stage (keyed by blocks and active slots); cleared when masks change.
PLAN_CACHE = 16


def pair_name(i: int, j: int) -> str:
    """The key of pair i→j among a stage's linears."""
    return f"{i}->{j}"


def masks_of(blocks: Sequence[Block], vertices: int) -> torch.Tensor:
    """(k, l, l) bool: ``masks[b, i, j]`` iff block b has the edge i→j."""
    masks = torch.zeros(len(blocks), vertices, vertices, dtype=torch.bool)
    for b, block in enumerate(blocks):
        for i, j in block:
            masks[b, i, j] = True
    return masks


@dataclass
class _Ready:
    """A plan with its index and combination tensors on one device and dtype."""

    plan: StagePlan
    select: list[list[torch.Tensor | None]]  # per step and source: node positions, or all
    combine: list[torch.Tensor | None]  # per step: (nodes, terms), or identity
    output: torch.Tensor  # (output nodes, active blocks): which block ends where
    slots: torch.Tensor  # (active blocks,)

    @classmethod
    def build(cls, plan: StagePlan, like: torch.Tensor) -> _Ready:
        dev = like.device

        def index(sel: tuple[int, ...] | None) -> torch.Tensor | None:
            return None if sel is None else torch.tensor(sel, device=dev)

        out = torch.zeros(len(plan.output), len(plan.slots), dtype=like.dtype)
        for u, bs in enumerate(plan.output):
            out[u, list(bs)] = 1.0
        return cls(
            plan,
            [[index(src.select) for src in st.sources] for st in plan.steps],
            [None if st.combine is None else like.new_tensor(st.combine) for st in plan.steps],
            out.to(dev),
            torch.tensor(plan.slots, dtype=torch.long, device=dev),
        )


class DenseStage(nn.Module):
    """k masked dense blocks over l vertices with one shared linear per allowed pair.

    ``pairs`` are the pairs that get weights (every pair a block may use);
    ``blocks`` the initial DAGs (k of them). ``forward(x, pi)`` takes x (N,
    in_width) and π (k,) or None (one block, used as is) and returns (N, width).
    """

    def __init__(
        self,
        in_width: int,
        width: int,
        vertices: int,
        pairs: Sequence[tuple[int, int]],
        blocks: Sequence[Block],
        aggregate: str = "sum",
        activation: str = "relu",
    ):
        super().__init__()
        self.in_width, self.width, self.vertices = in_width, width, vertices
        self.mean = aggregate == "mean"
        self.aggregate, self.activation = aggregate, activation
        self.act = ACTIVATIONS.get(activation)
        self.linears = nn.ModuleDict(
            {pair_name(i, j): nn.Linear(in_width if i == 0 else width, width) for i, j in pairs}
        )
        self.register_buffer("masks", masks_of([make_block(b) for b in blocks], vertices))
        self.blocks: list[Block] = []
        self._plans: dict[tuple, _Ready] = {}
        self._sync_blocks()
        self.register_load_state_dict_post_hook(lambda module, _: module._sync_blocks())

    def _sync_blocks(self) -> None:
        """Read the blocks back from the mask buffer (after construction or loading)."""
        found = [make_block(m.nonzero().tolist()) for m in self.masks.cpu()]
        missing = {e for b in found for e in b} - {
            tuple(int(v) for v in k.split("->")) for k in self.linears
        }
        if missing:
            raise ValueError(f"blocks use pairs {sorted(missing)} that have no weights")
        self.blocks = found
        self._plans.clear()

    def set_blocks(self, slots: Sequence[int], blocks: Sequence[Block]) -> None:
        """Put ``blocks[n]`` in slot ``slots[n]``: masks change in place, weights do not."""
        new = masks_of(blocks, self.vertices).to(self.masks.device)
        with torch.no_grad():
            for s, m in zip(slots, new, strict=True):
                self.masks[s].copy_(m)
        self._sync_blocks()

    def plan(self, slots: tuple[int, ...]) -> StagePlan:
        """The plan computing the blocks in ``slots``."""
        return make_plan(self.blocks, slots, self.vertices, self.mean)

    def _ready(self, slots: tuple[int, ...], like: torch.Tensor) -> _Ready:
        key = (slots, like.device, like.dtype)
        if key not in self._plans:
            if len(self._plans) >= PLAN_CACHE:
                self._plans.clear()
            self._plans[key] = _Ready.build(self.plan(slots), like)
        return self._plans[key]

    def forward(self, x: torch.Tensor, pi: torch.Tensor | None) -> torch.Tensor:
        n = x.shape[0]
        if pi is None:
            slots = tuple(range(len(self.blocks)))
        else:
            slots = tuple(b for b, v in enumerate(pi.tolist()) if v != 0)
        ready = self._ready(slots, x)
        values = {0: x}  # vertex → its nodes stacked, (nodes·N, width)
        for st, selects, combine in zip(ready.plan.steps, ready.select, ready.combine, strict=True):
            parts = []
            for src, sel in zip(st.sources, selects, strict=True):
                h = values[src.vertex]
                if sel is not None:
                    d = h.shape[-1]
                    h = h.view(-1, n, d).index_select(0, sel).view(-1, d)
                lin = self.linears[pair_name(src.vertex, st.vertex)]
                parts.append(self.act(nn.functional.linear(h, lin.weight, lin.bias)))
            terms = parts[0] if len(parts) == 1 else torch.cat(parts)  # (terms·N, width)
            if combine is not None:
                terms = (combine @ terms.view(st.terms, -1)).view(-1, self.width)
            values[st.vertex] = terms
        last = values.get(self.vertices - 1)
        if last is None:  # no computed block reaches its output
            return x.new_zeros(n, self.width)
        if pi is None:  # every block with weight 1
            if ready.output.shape == (1, 1):
                return last
            weights = ready.output.sum(1)
        else:
            weights = ready.output @ pi[ready.slots]  # (output nodes,)
        return (weights @ last.view(len(weights), -1)).view(n, self.width)

    def extra_repr(self) -> str:
        return (
            f"blocks={len(self.blocks)}, vertices={self.vertices}, width={self.width}, "
            f"aggregate={self.aggregate}, activation={self.activation}"
        )


def loop_forward(stage: DenseStage, x: torch.Tensor, pi: torch.Tensor | None) -> torch.Tensor:
    """The stage output by the plain loop: every block, every edge, one at a time.

    Same semantics as :meth:`DenseStage.forward`: a vertex without live
    inputs is dead and its out-edges add nothing; blocks with π_b = 0 are skipped.
    """
    out = x.new_zeros(x.shape[0], stage.width)
    for b, block in enumerate(stage.blocks):
        if pi is not None and pi[b].item() == 0:
            continue
        h = {0: x}
        for j in range(1, stage.vertices):
            terms = [
                stage.act(stage.linears[pair_name(i, j)](h[i]))
                for i, t in block
                if t == j and i in h
            ]
            if terms:
                h[j] = sum(terms[1:], terms[0]) / (len(terms) if stage.mean else 1)
        if stage.vertices - 1 in h:
            out = out + (1.0 if pi is None else pi[b]) * h[stage.vertices - 1]
    return out

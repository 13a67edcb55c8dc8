"""Shuffled minibatches over in-memory tensors, resumable exactly."""

from __future__ import annotations

from typing import Any

import torch

Batch = tuple[torch.Tensor, torch.Tensor]


class Batches:
    """An endless stream of minibatches, reshuffled every pass.

    Each pass's order is a permutation seeded by ``(seed, pass)``, so the
    position ``(pass, offset)`` is all the state a resumed run needs. The
    last partial batch of a pass is dropped when a pass holds a full one.
    """

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int):
        self.x, self.y = x, y
        self.batch_size = min(batch_size, len(x))
        self.seed = seed
        self.passes, self.offset = 0, 0
        self._perm: torch.Tensor | None = None

    def __len__(self) -> int:
        """Batches per pass."""
        return max(1, len(self.x) // self.batch_size)

    def _order(self) -> torch.Tensor:
        if self._perm is None:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + self.passes)
            self._perm = torch.randperm(len(self.x), generator=gen).to(self.x.device)
        return self._perm

    def next(self) -> Batch:
        idx = self._order()[self.offset : self.offset + self.batch_size]
        self.offset += self.batch_size
        if self.offset + self.batch_size > len(self.x):
            self.passes, self.offset, self._perm = self.passes + 1, 0, None
        return self.x[idx], self.y[idx]

    def state_dict(self) -> dict[str, Any]:
        return {"passes": self.passes, "offset": self.offset}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.passes, self.offset, self._perm = state["passes"], state["offset"], None

"""DARTS-PRIME's clipped activation with permanent pruning (Maile et al. 2021)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from dagnas.ops import is_zero
from dagnas.relax.base import RELAXATIONS, Mixing, Relaxation


class TensorDict(nn.Module):
    """Buffers keyed by choice id (``"normal:0->2"``): carried by state_dict and ``.to()``."""

    def __init__(self, tensors: dict[str, torch.Tensor]):
        super().__init__()
        self.keys_ = list(tensors)
        for k, t in tensors.items():
            self.register_buffer(k, t)

    def __getitem__(self, key: str) -> torch.Tensor:
        return getattr(self, key)

    def items(self) -> list[tuple[str, torch.Tensor]]:
        return [(k, self[k]) for k in self.keys_]


@RELAXATIONS.register("clipped")
class Clipped(Relaxation):
    """w = clamp(α, 0, 1) per op, no normalisation inside an edge (DARTS-PRIME).

    `none`/`zero` ops are dropped: their weight is fixed at 0 (masked from
    the start). α starts at 1/|O| + 1e-4·N(0, 1), |O| the edge's other ops.
    After each weight step every α ≤ 0 is set to 0 and masked for good
    (pruned): its weight stays exactly 0 even if α grows again, so the
    supernet stops computing the op and the search gets faster. The mask
    is a buffer (``mask.<key>``), so checkpoints carry it.
    """

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.mask = TensorDict({k: self.initial_mask(k) for k in choices})
        self.alpha = self.fresh_alpha()

    def initial_mask(self, key: str) -> torch.Tensor:
        """1 for each op of choice ``key`` but `none`/`zero`."""
        return torch.tensor([0.0 if is_zero(o) else 1.0 for o in self.choices[key]])

    def init_alpha(self, key: str) -> torch.Tensor:
        m = self.initial_mask(key)
        return (1 / max(int(m.sum()), 1) + 1e-4 * torch.randn(len(m))) * m

    def forward(self) -> Mixing:
        return {k: a.clamp(0, 1) * self.mask[k] for k, a in self.alpha.items()}

    def live(self) -> Mixing:
        return {k: m.detach() for k, m in self.mask.items()}

    def reset_options(self, key: str, options: Sequence[int]) -> None:
        """Replaced candidates (dense-block resampling) are unpruned, with fresh α."""
        drop = sorted(set(options))
        with torch.no_grad():
            self.mask[key][drop] = self.initial_mask(key)[drop]
        super().reset_options(key, options)

    @torch.no_grad()
    def after_weight_step(self) -> None:
        for k, a in self.alpha.items():
            m = self.mask[k]
            m.mul_((a > 0).to(m.dtype))
            a.masked_fill_(m == 0, 0.0)

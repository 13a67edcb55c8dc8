"""PC-DARTS's partial channel connections (Xu et al., ICLR 2020).

On each searched edge only the first 1/K of the input's channels go through
the mixed op; the others bypass it (max-pooled 2×2 where the edge reduces),
the two parts are concatenated and the channels shuffled in K groups, so the
next edge out of that node mixes another share of them:

    f(x) = shuffle_K(concat(Σ_o w_o·o(x[:C/K]), x[C/K:]))

(the official ``model_search.py``'s ``MixedOp``). Fewer channels through
the ops make the supernet cheaper; the bypass acts as a fixed skip on the rest.
"""

from __future__ import annotations

import torch
from torch import nn

from dagnas.compile.edge import Fanout, MixedEdge, NodeSum


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """(N, C, H, W) → the same shape, channel g·(C/groups) + i moved to i·groups + g."""
    n, c, h, w = x.shape
    return x.reshape(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class PartialEdge(nn.Module):
    """A mixed edge over the first ``c // k`` of ``c`` channels; the rest bypass it.

    ``key`` and ``shared`` are :class:`MixedEdge`'s (the shared parameter-free
    ops of the edges leaving one node see the same channels).
    """

    def __init__(
        self,
        ops: list[str],
        c: int,
        stride: int,
        k: int,
        key: str | None = None,
        shared: dict[str, nn.Module] | None = None,
    ):
        super().__init__()
        self.k, self.part = k, c // k
        self.mixed = MixedEdge(ops, self.part, self.part, stride, True, key, shared)
        self.bypass = nn.MaxPool2d(2, 2, ceil_mode=True) if stride == 2 else nn.Identity()

    def forward(self, src: Fanout, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """The edge's output (N, C, H', W'): ``src`` holds ``x[:, :C/K]``
        (shared by the node's out-edges), ``w`` the mixing weights of its ops."""
        rest = self.bypass(x[:, self.part :])
        mixed = NodeSum()
        self.mixed.accumulate(mixed, src, w)
        y = mixed.value
        if y is None:  # only zero ops are active
            y = rest.new_zeros(rest.shape[0], self.part, *rest.shape[2:])
        return channel_shuffle(torch.cat([y, rest], dim=1), self.k)

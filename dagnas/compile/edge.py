"""A searched edge: the weighted sum of its candidate ops."""

from __future__ import annotations

import torch
from torch import nn

from dagnas.ops import OPS


class MixedEdge(nn.Module):
    """ô(x) = Σ_o w_o·o(x) over the edge's candidate ops (DARTS).

    An op whose weight is exactly zero, and every ``none``/``zero`` op, is
    not computed: the sum is the same and the forward pass is cheaper. Its
    weight then gets no gradient (as in GDAS's hard forward). With
    ``search=False`` the edge holds one op and ``forward(x, None)`` applies it.
    """

    def __init__(self, ops: list[str], c_in: int, c_out: int, stride: int, search: bool):
        super().__init__()
        self.names = list(ops)
        params = {"affine": not search, "search_bn": search}
        self.ops = nn.ModuleDict(
            {n: OPS.get(n).build(c_in, c_out, stride, **params) for n in ops if not OPS.get(n).zero}
        )

    def forward(self, x: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor | None:
        """The mixed output, or None when every active op is a zero op."""
        if w is None:
            name = self.names[0]
            return self.ops[name](x) if name in self.ops else None
        out = None
        for name, wi, v in zip(self.names, w, w.tolist(), strict=True):
            if v == 0 or name not in self.ops:
                continue
            y = wi * self.ops[name](x)
            out = y if out is None else out + y
        return out


def add_all(terms: list[torch.Tensor | None], like: torch.Tensor, shape: tuple[int, ...]):
    """Sum the non-None terms, or zeros of ``shape`` (dtype/device of ``like``)."""
    live = [t for t in terms if t is not None]
    if not live:
        return like.new_zeros(shape)
    out = live[0]
    for t in live[1:]:
        out = out + t
    return out

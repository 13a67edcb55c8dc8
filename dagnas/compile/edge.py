"""A searched edge: the weighted sum of its candidate ops."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from dagnas.ops import OPS
from dagnas.relax import OpModules


class MixedEdge(nn.Module):
    """ô(x) = Σ_o w_o·o(x) over the edge's candidate ops (DARTS).

    An op whose weight is exactly zero, and every ``none``/``zero`` op, is
    not computed: the sum is the same and the forward pass is cheaper. Its
    weight then gets no gradient (as in GDAS's hard forward). With
    ``search=False`` the edge holds its derived op(s) and ``forward(x, None)``
    returns their plain sum. ``key`` is the choice the edge belongs to.
    """

    def __init__(
        self,
        ops: list[str],
        c_in: int,
        c_out: int,
        stride: int,
        search: bool,
        key: str | None = None,
    ):
        super().__init__()
        self.names, self.key = list(ops), key
        params = {"affine": not search, "search_bn": search}
        self.ops = nn.ModuleDict(
            {n: OPS.get(n).build(c_in, c_out, stride, **params) for n in ops if not OPS.get(n).zero}
        )

    def forward(self, x: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor | None:
        """The mixed output, or None when every active op is a zero op."""
        if w is None:
            outs = [op(x) for op in self.ops.values()]
            return sum(outs[1:], outs[0]) if outs else None
        out = None
        for name, wi, v in zip(self.names, w, w.tolist(), strict=True):
            if v == 0 or name not in self.ops:
                continue
            y = wi * self.ops[name](x)
            out = y if out is None else out + y
        return out


def edge_ops(d: dict[str, Any]) -> list[str]:
    """The ops an edge computes: a SearchGraph's candidates, or an
    Architecture's derived op(s) (``ops_kept`` when a rule kept several)."""
    return list(d["ops"]) if "ops" in d else list(d.get("ops_kept", [d["op"]]))


def ops_by_choice(body: nn.Module) -> OpModules:
    """Choice key → op name → the modules computing it, over all mixed edges."""
    found: OpModules = {}
    for m in body.modules():
        if isinstance(m, MixedEdge) and m.key is not None:
            by_op = found.setdefault(m.key, {n: [] for n in m.names})
            for name, op in m.ops.items():
                by_op[name].append(op)
    return dict(sorted(found.items()))


def add_all(terms: list[torch.Tensor | None], like: torch.Tensor, shape: tuple[int, ...]):
    """Sum the non-None terms, or zeros of ``shape`` (dtype/device of ``like``)."""
    live = [t for t in terms if t is not None]
    if not live:
        return like.new_zeros(shape)
    out = live[0]
    for t in live[1:]:
        out = out + t
    return out

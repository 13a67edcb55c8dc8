"""A searched edge: the weighted sum of its candidate ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from dagnas.ops import OPS
from dagnas.ops.image import ReLUBranch
from dagnas.ops.recompute import relu
from dagnas.relax import OpModules


class Fanout:
    """What the out-edges of one node share, each computed at most once.

    ``relu()`` feeds every op that begins with ReLU (:class:`ReLUBranch`);
    ``output(op)`` is a shared parameter-free op's output (pools, identity),
    the same function for every edge that holds that module.
    """

    def __init__(self, x: torch.Tensor):
        self.x = x
        self._relu: torch.Tensor | None = None
        self._out: dict[int, torch.Tensor] = {}

    def relu(self) -> torch.Tensor:
        if self._relu is None:
            self._relu = relu(self.x)
        return self._relu

    def output(self, op: nn.Module) -> torch.Tensor:
        if id(op) not in self._out:
            self._out[id(op)] = op(self.x)
        return self._out[id(op)]


class NodeSum:
    """A node's value Σ w·y, accumulated in place into a tensor it created.

    A term it did not create (a shared op's output, the node's input) is
    never written to: the first in-place add happens on its own copy.
    """

    def __init__(self) -> None:
        self.value: torch.Tensor | None = None
        self.owned = False
        #: a scalar added to the value, kept apart (a node may have no tensor yet)
        self.offset: torch.Tensor | None = None

    def add(self, y: torch.Tensor, owned: bool) -> None:
        """Add ``y`` (``owned``: nothing else holds it, it may be written)."""
        if self.value is None:
            self.value, self.owned = y, owned
        elif self.owned:
            self.value.add_(y)
        else:
            self.value, self.owned = self.value + y, True

    def add_offset(self, c: torch.Tensor) -> None:
        """Add the scalar ``c`` (0-dim) to every element of the sum."""
        self.offset = c if self.offset is None else self.offset + c

    def result(self, zeros: Callable[[], torch.Tensor]) -> torch.Tensor:
        """The sum: the value (``zeros()`` if no tensor was added) plus the offset."""
        value = self.value if self.value is not None else zeros()
        return value if self.offset is None else value + self.offset

    def add_scaled(self, y: torch.Tensor, w: torch.Tensor | None) -> None:
        """Add ``w·y`` for a ``y`` this sum must not write to."""
        if w is None:
            self.add(y, owned=False)
        elif self.value is None:
            self.value, self.owned = y * w, True
        elif self.owned:
            self.value.addcmul_(y, w)
        else:
            self.value, self.owned = torch.addcmul(self.value, y, w), True


class MixedEdge(nn.Module):
    """ô(x) = Σ_o w_o·o(x) over the edge's candidate ops (DARTS).

    An op whose weight is exactly zero, and every ``none``/``zero`` op, is
    not computed: the sum is the same and the forward pass is cheaper. Its
    weight then gets no gradient, unless ``zero_weights_as_scalars`` (set
    from the relaxation: GDAS's official cell) adds each exactly-zero weight
    to the sum as a scalar of value 0. With
    ``search=False`` the edge holds its derived op(s) and ``forward(x, None)``
    returns their plain sum. ``key`` is the choice the edge belongs to.
    ``shared`` (name → module) holds the parameter-free ops of the edges
    leaving the same node: this edge reuses those modules and adds its own.
    ``pool_bn``: a supernet's pooling ops end in BatchNorm (DARTS), or not
    (NAS-Bench-201).
    """

    #: exactly-zero weights join the sum as scalars (set by ``compile_supernet``)
    zero_weights_as_scalars = False

    def __init__(
        self,
        ops: list[str],
        c_in: int,
        c_out: int,
        stride: int,
        search: bool,
        key: str | None = None,
        shared: dict[str, nn.Module] | None = None,
        pool_bn: bool = True,
    ):
        super().__init__()
        self.names, self.key = list(ops), key
        self.shared: set[str] = set()
        params = {"affine": not search, "search_bn": search and pool_bn}
        self.ops = nn.ModuleDict()
        for name in ops:
            spec = OPS.get(name)
            if spec.zero:
                continue
            if shared is not None and name in shared:
                op = shared[name]
            else:
                op = spec.build(c_in, c_out, stride, **params)
                if shared is not None and spec.shared and not list(op.parameters()):
                    shared[name] = op
            if shared is not None and shared.get(name) is op:
                self.shared.add(name)
            self.ops[name] = op

    def _active(self, w: torch.Tensor | None):
        """(name, weight) of the ops to compute; weight None for a child edge."""
        if w is None:
            return [(n, None) for n in self.names if n in self.ops]
        pairs = zip(self.names, w, w.tolist(), strict=True)
        return [(n, wi) for n, wi, v in pairs if v != 0 and n in self.ops]

    def forward(self, x: torch.Tensor, w: torch.Tensor | None) -> torch.Tensor | None:
        """The mixed output, or None when every active op is a zero op (a scalar
        when only exactly-zero weights join the sum)."""
        total = NodeSum()
        for name, wi in self._active(w):
            total.add_scaled(self.ops[name](x), wi)
        self._add_zero_weights(total, w)
        if total.offset is None:
            return total.value
        return total.offset if total.value is None else total.value + total.offset

    def _add_zero_weights(self, total: NodeSum, w: torch.Tensor | None) -> None:
        """With ``zero_weights_as_scalars``: the weights that are exactly 0, summed,
        as ``total``'s offset (value 0; only while α is differentiated)."""
        if self.zero_weights_as_scalars and w is not None and w.requires_grad:
            total.add_offset(w[w.detach() == 0].sum())

    def accumulate(
        self, total: NodeSum, src: Fanout, w: torch.Tensor | None, drop: float = 0.0
    ) -> None:
        """Add ô(x) to ``total``, reading shared work from ``src`` (x = ``src.x``).

        An op beginning with ReLU reads ``src.relu()`` and folds its weight
        into its closing BatchNorm; a shared op's output is computed once.
        ``drop`` > 0 (a child edge in training): every op output but an
        identity's goes through :func:`drop_path` first.
        """
        for name, wi in self._active(w):
            op = self.ops[name]
            if isinstance(op, ReLUBranch):
                y, owned = op.tail(src.relu(), wi), True
            else:
                y, owned = (src.output(op) if name in self.shared else op(src.x)), False
            if drop > 0 and not isinstance(op, nn.Identity):
                total.add(drop_path(y, drop), owned=True)
            elif owned:
                total.add(y, owned=True)
            else:
                total.add_scaled(y, wi)
        self._add_zero_weights(total, w)


def drop_path(x: torch.Tensor, p: float) -> torch.Tensor:
    """DARTS's drop-path: each sample's ``x`` zeroed with probability ``p``, the
    others scaled by 1/(1-p) (the expectation is unchanged). A new tensor."""
    keep = 1.0 - p
    mask = x.new_empty(x.shape[0], *(1,) * (x.ndim - 1)).bernoulli_(keep)
    return x * mask.div_(keep)


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
    """Sum the non-None terms, or zeros of ``shape`` (dtype/device of ``like``);
    terms that are all scalars are broadcast to ``shape``."""
    live = [t for t in terms if t is not None]
    if not live:
        return like.new_zeros(shape)
    out = live[0]
    for t in live[1:]:
        out = out + t
    return out if out.dim() else out + like.new_zeros(shape)  # scalar terms only

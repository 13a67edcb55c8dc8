"""Image ops (N, C, H, W): the DARTS and NAS-Bench-201 candidate sets.

DARTS (Liu et al., ICLR 2019) and NAS-Bench-201 (Dong & Yang, ICLR 2020)
define these ops; ``affine`` is False inside a supernet, as in both papers.
"""

from __future__ import annotations

import torch
from torch import nn

from dagnas.ops.depthwise import DwPw
from dagnas.ops.recompute import max_pool, recomputable, relu
from dagnas.ops.registry import register_op


def scaled_batch_norm(bn: nn.BatchNorm2d, x: torch.Tensor, scale: torch.Tensor | None):
    """``scale·bn(x)``, the scale folded into the affine transform: one pass, no copy.

    ``scale`` is a 0-d tensor (a mixing weight) or None for plain ``bn(x)``;
    its gradient is exact. Running statistics update as in ``bn.forward``.
    """
    if scale is None:
        return bn(x)
    c = x.shape[1]
    weight = scale.expand(c).contiguous() if bn.weight is None else bn.weight * scale
    bias = None if bn.bias is None else bn.bias * scale
    momentum = 0.0 if bn.momentum is None else bn.momentum
    if bn.training and bn.track_running_stats and bn.num_batches_tracked is not None:
        bn.num_batches_tracked.add_(1)
        if bn.momentum is None:
            momentum = 1.0 / float(bn.num_batches_tracked)
    use_batch = bn.training or bn.running_mean is None
    track = not bn.training or bn.track_running_stats
    return nn.functional.batch_norm(
        x,
        bn.running_mean if track else None,
        bn.running_var if track else None,
        weight,
        bias,
        use_batch,
        momentum,
        bn.eps,
    )


def _batch_norm_again(x, weight, bias, mean, var, batch_stats: bool, eps: float) -> torch.Tensor:
    """A BatchNorm output once more, leaving the running statistics alone."""
    if batch_stats:
        mean = var = None
    return nn.functional.batch_norm(x, mean, var, weight, bias, batch_stats, 0.0, eps)


class BatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose output the backward pass recomputes instead of storing."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = super().forward(x)
        batch = self.training or self.running_mean is None
        args = (self.weight, self.bias, self.running_mean, self.running_var, batch, self.eps)
        return recomputable(y, _batch_norm_again, x, *args)


class ReLU(nn.Module):
    """ReLU whose output the backward pass recomputes instead of storing."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return relu(x)


class ReLUBranch(nn.Module):
    """ReLU → ``body`` → BatchNorm: the shape of every parametric DARTS op.

    A cell computes ``relu(x)`` once per source node for all the ops on its
    out-edges and calls :meth:`tail`, passing the edge's mixing weight for
    the closing BatchNorm to absorb (``w·BN(z) = BN_{γ=w}(z)``).
    """

    def __init__(self, body: nn.Module, bn: nn.BatchNorm2d):
        super().__init__()
        self.body, self.bn = body, bn

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(relu(x))

    def tail(self, r: torch.Tensor, scale: torch.Tensor | None = None) -> torch.Tensor:
        """``scale·op(x)`` given ``r = relu(x)``."""
        return scaled_batch_norm(self.bn, self.body(r), scale)


class ReLUConvBN(ReLUBranch):
    """ReLU → Conv(k, stride, dilation) → BatchNorm."""

    def __init__(
        self, c_in: int, c_out: int, k: int, stride: int, dilation: int = 1, affine: bool = True
    ):
        pad = dilation * (k - 1) // 2
        conv = nn.Conv2d(c_in, c_out, k, stride, pad, dilation=dilation, bias=False)
        super().__init__(conv, nn.BatchNorm2d(c_out, affine=affine))


class DilConv(ReLUBranch):
    """ReLU → depthwise conv (dilated) → pointwise conv → BatchNorm."""

    def __init__(
        self, c_in: int, c_out: int, k: int, stride: int, dilation: int, affine: bool = True
    ):
        super().__init__(
            DwPw(c_in, c_out, k, stride, dilation), nn.BatchNorm2d(c_out, affine=affine)
        )


class SepConv(ReLUBranch):
    """Two stacked DilConv(dilation=1): the DARTS separable convolution."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, affine: bool = True):
        body = nn.Sequential(
            DwPw(c_in, c_in, k, stride, 1),
            BatchNorm(c_in, affine=affine),
            ReLU(),
            DwPw(c_in, c_out, k, 1, 1),
        )
        super().__init__(body, nn.BatchNorm2d(c_out, affine=affine))


class _OffsetConvs(nn.Module):
    """Two stride-2 1×1 convs, the second shifted by one pixel, concatenated."""

    def __init__(self, c_in: int, c_out: int):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        odd = recomputable(_shifted(x), _shifted, x)
        return torch.cat([self.conv1(x), self.conv2(odd)], dim=1)


def _shifted(x: torch.Tensor) -> torch.Tensor:
    """x without its first row and column, zero-padded back to an even size."""
    odd = x[:, :, 1:, 1:]
    h, w = x.shape[-2:]
    if h % 2 or w % 2:  # keep both halves at ceil(size / 2)
        odd = nn.functional.pad(odd, (0, w % 2, 0, h % 2))
    return odd


class FactorizedReduce(ReLUBranch):
    """Halve H and W with two offset stride-2 1×1 convs, concatenated."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__(_OffsetConvs(c_in, c_out), nn.BatchNorm2d(c_out, affine=affine))


class Pool(nn.Module):
    """3×3 max or average pool; BatchNorm(affine=False) after it in a supernet (DARTS)."""

    def __init__(self, kind: str, c: int, stride: int, search_bn: bool):
        super().__init__()
        self.kind, self.stride = kind, stride
        self.bn = BatchNorm(c, affine=False) if search_bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.kind == "max":
            return self.bn(max_pool(x, 3, self.stride, 1))
        return self.bn(nn.functional.avg_pool2d(x, 3, self.stride, 1, count_include_pad=False))


class Zero(nn.Module):
    """Zeros of the output shape (a supernet never calls it: weight × 0)."""

    def __init__(self, c_out: int, stride: int):
        super().__init__()
        self.c_out, self.stride = c_out, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        h, w = (h + self.stride - 1) // self.stride, (w + self.stride - 1) // self.stride
        return x.new_zeros(n, self.c_out, h, w)


@register_op("none", domain="image", zero=True)
def none(c_in: int, c_out: int, stride: int, **_: object) -> nn.Module:
    return Zero(c_out, stride)


@register_op("skip_connect", domain="image", shared=True)
def skip_connect(c_in: int, c_out: int, stride: int, affine: bool = True, **_: object) -> nn.Module:
    if stride == 1 and c_in == c_out:
        return nn.Identity()
    if stride == 1:
        return ReLUConvBN(c_in, c_out, 1, 1, affine=affine)
    return FactorizedReduce(c_in, c_out, affine)


def _pool(kind: str):
    def factory(
        c_in: int, c_out: int, stride: int, search_bn: bool = False, **_: object
    ) -> nn.Module:
        return Pool(kind, c_out, stride, search_bn)

    return factory


register_op("max_pool_3x3", domain="image", same_width=True, shared=True)(_pool("max"))
register_op("avg_pool_3x3", domain="image", same_width=True, shared=True)(_pool("avg"))


def _sep(k: int):
    def factory(c_in: int, c_out: int, stride: int, affine: bool = True, **_: object) -> nn.Module:
        return SepConv(c_in, c_out, k, stride, affine)

    return factory


def _dil(k: int):
    def factory(c_in: int, c_out: int, stride: int, affine: bool = True, **_: object) -> nn.Module:
        return DilConv(c_in, c_out, k, stride, 2, affine)

    return factory


def _nor(k: int):
    def factory(c_in: int, c_out: int, stride: int, affine: bool = True, **_: object) -> nn.Module:
        return ReLUConvBN(c_in, c_out, k, stride, affine=affine)

    return factory


for _k in (3, 5):
    register_op(f"sep_conv_{_k}x{_k}", domain="image")(_sep(_k))
    register_op(f"dil_conv_{_k}x{_k}", domain="image")(_dil(_k))
for _k in (1, 3):
    register_op(f"nor_conv_{_k}x{_k}", domain="image")(_nor(_k))

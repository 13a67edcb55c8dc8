"""Image ops (N, C, H, W): the DARTS and NAS-Bench-201 candidate sets.

DARTS (Liu et al., ICLR 2019) and NAS-Bench-201 (Dong & Yang, ICLR 2020)
define these ops; ``affine`` is False inside a supernet, as in both papers.
"""

from __future__ import annotations

import torch
from torch import nn

from dagnas.ops.registry import register_op


class ReLUConvBN(nn.Sequential):
    """ReLU → Conv(k, stride, dilation) → BatchNorm."""

    def __init__(
        self, c_in: int, c_out: int, k: int, stride: int, dilation: int = 1, affine: bool = True
    ):
        pad = dilation * (k - 1) // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_out, k, stride, pad, dilation=dilation, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class DilConv(nn.Sequential):
    """ReLU → depthwise conv (dilated) → pointwise conv → BatchNorm."""

    def __init__(
        self, c_in: int, c_out: int, k: int, stride: int, dilation: int, affine: bool = True
    ):
        pad = dilation * (k - 1) // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c_in, c_in, k, stride, pad, dilation=dilation, groups=c_in, bias=False),
            nn.Conv2d(c_in, c_out, 1, bias=False),
            nn.BatchNorm2d(c_out, affine=affine),
        )


class SepConv(nn.Sequential):
    """Two stacked DilConv(dilation=1): the DARTS separable convolution."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, affine: bool = True):
        super().__init__(
            DilConv(c_in, c_in, k, stride, 1, affine),
            DilConv(c_in, c_out, k, 1, 1, affine),
        )


class FactorizedReduce(nn.Module):
    """Halve H and W with two offset stride-2 1×1 convs, concatenated."""

    def __init__(self, c_in: int, c_out: int, affine: bool = True):
        super().__init__()
        self.relu = nn.ReLU(inplace=False)
        self.conv1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv2 = nn.Conv2d(c_in, c_out - c_out // 2, 1, 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, affine=affine)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(x)
        odd = x[:, :, 1:, 1:]
        h, w = x.shape[-2:]
        if h % 2 or w % 2:  # keep both halves at ceil(size / 2)
            odd = nn.functional.pad(odd, (0, w % 2, 0, h % 2))
        return self.bn(torch.cat([self.conv1(x), self.conv2(odd)], dim=1))


class Pool(nn.Module):
    """3×3 max or average pool; BatchNorm(affine=False) after it in a supernet (DARTS)."""

    def __init__(self, kind: str, c: int, stride: int, search_bn: bool):
        super().__init__()
        if kind == "max":
            self.pool: nn.Module = nn.MaxPool2d(3, stride, 1)
        else:
            self.pool = nn.AvgPool2d(3, stride, 1, count_include_pad=False)
        self.bn = nn.BatchNorm2d(c, affine=False) if search_bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn(self.pool(x))


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


@register_op("skip_connect", domain="image")
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


register_op("max_pool_3x3", domain="image", same_width=True)(_pool("max"))
register_op("avg_pool_3x3", domain="image", same_width=True)(_pool("avg"))


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

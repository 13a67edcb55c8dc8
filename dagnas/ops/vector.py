"""Vector ops (N, D): dense layers for `dag` and dense-block spaces."""

from __future__ import annotations

import torch
from torch import nn

from dagnas.ops.registry import register_op


class VectorZero(nn.Module):
    """Zeros of width ``c_out`` (a supernet never calls it)."""

    def __init__(self, c_out: int):
        super().__init__()
        self.c_out = c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0], self.c_out)


@register_op("zero", domain="vector", zero=True)
def zero(c_in: int, c_out: int, stride: int, **_: object) -> nn.Module:
    return VectorZero(c_out)


@register_op("identity", domain="vector", same_width=True)
def identity(c_in: int, c_out: int, stride: int, **_: object) -> nn.Module:
    return nn.Identity()


@register_op("linear", domain="vector")
def linear(c_in: int, c_out: int, stride: int, **_: object) -> nn.Module:
    return nn.Linear(c_in, c_out)


@register_op("linear_relu", domain="vector")
def linear_relu(c_in: int, c_out: int, stride: int, **_: object) -> nn.Module:
    return nn.Sequential(nn.Linear(c_in, c_out), nn.ReLU())

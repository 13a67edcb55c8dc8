"""Vector ops (N, D): dense layers for `dag` and dense-block spaces."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from dagnas.ops.registry import register_op
from dagnas.registry import Registry

Activation = Callable[[torch.Tensor], torch.Tensor]


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


#: Activations by name; a dense-block edge applies one after its linear map.
ACTIVATIONS: Registry[Activation] = Registry("activation")
for _name, _fn in {
    "relu": torch.relu,
    "gelu": nn.functional.gelu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "identity": _identity,
}.items():
    ACTIVATIONS.register(_name)(_fn)


def dense_op(activation: str) -> str:
    """The op name of a linear map followed by ``activation`` ("linear_relu", "linear")."""
    return "linear" if activation == "identity" else f"linear_{activation}"


class Activated(nn.Module):
    """A registered activation as a module."""

    def __init__(self, name: str):
        super().__init__()
        self.name = name
        self.fn = ACTIVATIONS.get(name)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fn(x)

    def extra_repr(self) -> str:
        return self.name


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


def _linear_then(activation: str) -> Callable[..., nn.Module]:
    def factory(c_in: int, c_out: int, stride: int, **_: object) -> nn.Module:
        return nn.Sequential(nn.Linear(c_in, c_out), Activated(activation))

    factory.__doc__ = f"A linear map followed by {activation}."
    return factory


for _name in ("gelu", "tanh", "sigmoid"):  # the dense-block edge ops beyond linear_relu
    register_op(dense_op(_name), domain="vector")(_linear_then(_name))

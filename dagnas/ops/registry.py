"""The operation registry: every candidate op a spec can name.

An op factory has one signature, ``factory(c_in, c_out, stride, **params)``,
and returns an ``nn.Module``. ``c_in``/``c_out`` are channels for image ops
and features for vector ops. Register your own with :func:`register_op`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from torch import nn

from dagnas.registry import Registry

Domain = Literal["image", "vector", "any"]
OpFactory = Callable[..., nn.Module]


@dataclass(frozen=True)
class OpDef:
    """An op's factory and what the compiler must know about it.

    ``zero``: the op outputs zeros (``none``/``zero``): never computed.
    ``same_width``: the op cannot change the width (pools, identity).
    ``domain``: which inputs it takes: images (N, C, H, W), vectors (N, D).
    ``shared``: when the built op has no parameters, its output depends on
    its input alone, so a cell computes it once for all edges leaving a node.
    """

    name: str
    factory: OpFactory
    domain: Domain
    zero: bool = False
    same_width: bool = False
    shared: bool = False

    def build(self, c_in: int, c_out: int, stride: int = 1, **params: object) -> nn.Module:
        return self.factory(c_in, c_out, stride, **params)


OPS: Registry[OpDef] = Registry("op")


def is_zero(op: object) -> bool:
    """Whether ``op`` names a registered op that outputs zeros (``OpDef.zero``:
    `none`, `zero`, or one a user registers with ``zero=True``)."""
    return isinstance(op, str) and op in OPS and OPS.get(op).zero


def register_op(
    name: str,
    *,
    domain: Domain,
    zero: bool = False,
    same_width: bool = False,
    shared: bool = False,
) -> Callable[[OpFactory], OpFactory]:
    """Decorator: register ``factory(c_in, c_out, stride, **params)`` as op ``name``."""

    def deco(factory: OpFactory) -> OpFactory:
        OPS.register(name)(OpDef(name, factory, domain, zero, same_width, shared))
        return factory

    return deco

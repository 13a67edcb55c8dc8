"""Every registered op builds, keeps its shape contract and gives finite output."""

from __future__ import annotations

import pytest
import torch

from dagnas.errors import DagnasError
from dagnas.ops import OPS, register_op


@pytest.mark.parametrize("name", OPS.names())
@pytest.mark.parametrize("stride", [1, 2])
def test_every_op_shape(name: str, stride: int):
    op = OPS.get(name)
    if op.domain == "vector":
        if stride == 2:
            pytest.skip("vector ops have no stride")
        c_in = 6
        c_out = c_in if op.same_width else 4
        y = op.build(c_in, c_out, 1)(torch.randn(3, c_in))
        assert y.shape == (3, c_out)
    else:
        c_in = 4
        c_out = c_in if op.same_width else 6
        y = op.build(c_in, c_out, stride, affine=False, search_bn=True)(torch.randn(2, c_in, 7, 7))
        side = 7 if stride == 1 else 4
        assert y.shape == (2, c_out, side, side)
    assert torch.isfinite(y).all()
    if op.zero:
        assert (y == 0).all()


def test_register_custom_op_and_refuse_duplicates():
    @register_op("test_double", domain="vector", same_width=True)
    def double(c_in: int, c_out: int, stride: int, **_: object) -> torch.nn.Module:
        return torch.nn.Identity()

    assert "test_double" in OPS
    with pytest.raises(DagnasError, match="already registered"):
        register_op("test_double", domain="vector")(double)


def test_unknown_op_message():
    with pytest.raises(DagnasError, match=r"unknown op 'sep_conv3x3'; did you mean 'sep_conv_3x3'"):
        OPS.get("sep_conv3x3")

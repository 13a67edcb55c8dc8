"""Depthwise rewrites and recomputed activations: same values, same gradients."""

from __future__ import annotations

import gc
import weakref

import pytest
import torch
from torch.nn import functional as F

from dagnas.ops.depthwise import depthwise
from dagnas.ops.recompute import max_pool, recomputable, recompute_saved, relu


@pytest.mark.parametrize("k,d", [(3, 1), (5, 1), (3, 2), (5, 2)])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("size", [7, 8])
def test_depthwise_equals_conv2d_with_gradients(k, d, stride, size):
    torch.manual_seed(0)
    x = torch.randn(2, 3, size, size, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 1, k, k, dtype=torch.float64, requires_grad=True)
    y = depthwise(x, w, stride, d)
    expected = F.conv2d(x, w, None, stride, d * (k - 1) // 2, d, 3)
    torch.testing.assert_close(y, expected)
    g = torch.randn_like(y)
    for a, b in zip(
        torch.autograd.grad(y, (x, w), g), torch.autograd.grad(expected, (x, w), g), strict=True
    ):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("k,d", [(5, 1), (3, 2)])
def test_depthwise_second_derivatives(k, d):
    torch.manual_seed(1)
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64, requires_grad=True)
    w = torch.randn(2, 1, k, k, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradgradcheck(lambda a, b: depthwise(a, b, 1, d), (x, w))


def test_marked_tensor_is_not_stored_but_its_gradient_is_exact():
    x = torch.randn(4, 5, dtype=torch.float64, requires_grad=True)
    with recompute_saved():
        y = relu(x)
        z = recomputable(y * 2.0, lambda t: t * 2.0, y)
        loss = (z * z).sum()  # mul saves z: stored as a recipe
    ref = weakref.ref(z)
    del y, z
    gc.collect()
    assert ref() is None
    (g,) = torch.autograd.grad(loss, x)
    torch.testing.assert_close(g, 8 * x.clamp_min(0))


def test_max_pool_without_stored_argmax():
    x = torch.randn(2, 3, 7, 7, dtype=torch.float64, requires_grad=True)
    with recompute_saved():
        y = max_pool(x, 3, 2, 1)
    g = torch.randn_like(y)
    expected = F.max_pool2d(x, 3, 2, 1)
    torch.testing.assert_close(y, expected)
    torch.testing.assert_close(
        torch.autograd.grad(y, x, g)[0], torch.autograd.grad(expected, x, g)[0]
    )

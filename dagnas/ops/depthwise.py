"""Depthwise → pointwise convolution, the fast way on a CPU; same math.

oneDNN's backward of a dilated depthwise convolution is many times slower
than its forward at DARTS sizes (``benchmarks/darts_step.py`` times the
search step that pays for it). Two rewrites avoid that slow path without
changing any value:

- stride = dilation = d: the output reads only x[::d, ::d], so it is the
  undilated convolution of that sub-sampled input at stride 1;
- stride 1: the input gradient of a "same" convolution is the forward
  convolution of the output gradient with the flipped kernel, which is
  fast; the weight gradient stays the library's (and autograd still skips
  it when only the input gradient is asked for, as in an α step).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from dagnas.ops.recompute import recomputable


class _InputGradByFlippedConv(torch.autograd.Function):
    """Passes ``y`` through; ∂L/∂x = conv2d(∂L/∂y, flip(w)) for y = conv(x, w) at stride 1.

    ``y`` must be computed from a detached ``x``, so that ∂L/∂w comes from
    y's own graph and ∂L/∂x from here, once each. In a backward with
    ``create_graph=True`` it also returns a zero-valued term for w whose
    derivative in x is the one y's graph misses, so higher-order
    gradients stay exact.
    """

    @staticmethod
    @torch.amp.custom_fwd(device_type="cpu")  # the backward runs under the forward's autocast
    def forward(ctx: Any, y: torch.Tensor, x: torch.Tensor, w: torch.Tensor, pad: int, d: int):  # type: ignore[override]
        ctx.save_for_backward(x, w)
        ctx.pad, ctx.d = pad, d
        return y.view_as(y)

    @staticmethod
    @torch.amp.custom_bwd(device_type="cpu")
    def backward(ctx: Any, g: torch.Tensor):  # type: ignore[override]
        x, w = ctx.saved_tensors
        c = w.shape[0]
        gx = (
            F.conv2d(g, w.flip(2, 3), None, 1, ctx.pad, ctx.d, c)
            if ctx.needs_input_grad[1]
            else None
        )
        gw = None
        if torch.is_grad_enabled() and ctx.needs_input_grad[2]:
            w0 = w.detach().requires_grad_()
            y = F.conv2d(x, w0, None, 1, ctx.pad, ctx.d, c)
            (t,) = torch.autograd.grad(y, w0, g.detach(), create_graph=True)
            gw = t - t.detach()
        return g, gx, gw, None, None


def _subsample(x: torch.Tensor, d: int) -> torch.Tensor:
    return x[:, :, ::d, ::d]


def depthwise(x: torch.Tensor, w: torch.Tensor, stride: int, dilation: int) -> torch.Tensor:
    """``conv2d(x, w, stride, padding=dilation·(k−1)/2, dilation, groups=C)``, k odd."""
    k, c, d = w.shape[-1], w.shape[0], dilation
    pad = d * (k - 1) // 2
    if x.device.type != "cpu" or (k == 3 and d == 1) or stride not in (1, d):
        return F.conv2d(x, w, None, stride, pad, d, c)
    if stride == d:
        sub = recomputable(_subsample(x, d), _subsample, x, d)
        return F.conv2d(sub, w, None, 1, pad // d, 1, c)
    y = F.conv2d(recomputable(x.detach(), torch.Tensor.detach, x), w, None, 1, pad, d, c)
    if not (x.requires_grad and torch.is_grad_enabled()):
        return y
    return _InputGradByFlippedConv.apply(y, x, w, pad, d)


class DwPw(nn.Module):
    """Depthwise k×k convolution (stride, dilation) then a pointwise 1×1, no bias."""

    def __init__(self, c_in: int, c_out: int, k: int, stride: int, dilation: int):
        super().__init__()
        pad = dilation * (k - 1) // 2
        self.dw = nn.Conv2d(c_in, c_in, k, stride, pad, dilation=dilation, groups=c_in, bias=False)
        self.pw = nn.Conv2d(c_in, c_out, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w, s, d = self.dw.weight, self.dw.stride[0], self.dw.dilation[0]
        return self.pw(recomputable(depthwise(x, w, s, d), depthwise, x, w, s, d))

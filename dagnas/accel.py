"""The accelerator path: mixed precision, channels-last memory, ``torch.compile``.

:class:`Accel` is the config: a retraining protocol's ``accel`` and a
search's ``search.accel``. :class:`Accelerated` applies it to one model on
one device: ``autocast()`` around forward passes, ``grad_scaler()`` (fp16's
loss scaling, a pass-through otherwise), ``backward(loss, opt, params,
clip)`` through it, ``inputs(x)`` in the model's memory format, and
``forward`` (the compiled module, or the module). bf16 autocast runs on
CPUs and on CUDA devices that support it; fp16 needs CUDA.

Under ``compile`` a body's own recomputation of saved activations
(``recompute``, :mod:`dagnas.ops.recompute`) is turned off: its registry of
recipes breaks the compiled graph, and the compiler chooses what to keep
for the backward pass itself.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

import torch
from torch import nn

from dagnas.errors import DagnasError
from dagnas.registry import Strict

Precision = Literal["fp32", "bf16", "fp16"]
DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Accel(Strict):
    """Mixed precision, memory format and compilation of the forward passes."""

    precision: Precision = "fp32"
    """autocast dtype of the forward passes: fp32 (off), bf16 (CPU or CUDA), fp16 (CUDA,
    with loss scaling)"""
    channels_last: bool = False
    """convolution weights and image batches in NHWC memory"""
    compile: bool = False
    """run the forward pass through torch.compile (a C++ compiler on a CPU)"""


def device_for(name: str) -> torch.device:
    """The device a ``device`` setting names here: ``auto`` is CUDA when torch sees one."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def check_supported(precision: str, device: torch.device) -> None:
    """DagnasError when ``device`` cannot autocast to ``precision``."""
    if precision == "fp16" and device.type != "cuda":
        raise DagnasError(
            f"fp16 autocast needs a CUDA device, not {device}; use precision bf16 on a CPU"
        )
    if precision == "bf16" and device.type == "cuda" and not torch.cuda.is_bf16_supported():
        raise DagnasError(
            f"{torch.cuda.get_device_name(device)} does not support bf16; use precision fp16"
        )
    if device.type not in ("cpu", "cuda") and precision != "fp32":
        raise DagnasError(f"mixed precision runs on cpu or cuda here, not {device.type}")


def _no_recompute(model: nn.Module) -> None:
    """Turn off the recomputation of saved activations of every module that has it."""
    for m in model.modules():
        if getattr(m, "recompute", False):
            m.recompute = False


class Accelerated:
    """``model`` (already on ``device``) set up as ``accel`` says."""

    def __init__(self, model: nn.Module, accel: Accel, device: torch.device | str):
        self.device = torch.device(device)
        self.accel = accel
        check_supported(accel.precision, self.device)
        if accel.channels_last:
            model.to(memory_format=torch.channels_last)
        if accel.compile:
            _no_recompute(model)
        self.model = model
        self.forward: Callable[..., Any] = torch.compile(model) if accel.compile else model
        self.scaler = self.grad_scaler()

    def grad_scaler(self) -> torch.amp.GradScaler:
        """A loss scaler for one optimizer: on with fp16, a pass-through otherwise."""
        return torch.amp.GradScaler(self.device.type, enabled=self.accel.precision == "fp16")

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` on the device, channels-last when set and ``x`` is a batch of images."""
        x = x.to(self.device, non_blocking=True)
        if self.accel.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Forward passes inside run in the configured precision."""
        dtype = DTYPES.get(self.accel.precision)
        with torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None):
            yield

    def backward(
        self,
        loss: torch.Tensor,
        opt: torch.optim.Optimizer,
        params: Iterable[nn.Parameter],
        clip: float | None,
        reduce: Callable[[list[nn.Parameter]], None] | None = None,
    ) -> float:
        """Backpropagate ``loss`` (unless it reaches no parameter), ``reduce`` the
        gradients (data-parallel averaging), clip their norm to ``clip`` (0 or
        None: no clipping) and step ``opt``; with fp16, through the loss scaler,
        which skips a step with non-finite gradients. The gradient norm before
        clipping (not finite: fp16 skipped the step)."""
        params, live = list(params), loss.requires_grad
        if live:
            self.scaler.scale(loss).backward()
        if reduce is not None:
            reduce(params)
        if live:
            self.scaler.unscale_(opt)
        norm = float(nn.utils.clip_grad_norm_(params, clip or math.inf))
        if live:
            self.scaler.step(opt)
            self.scaler.update()
        return norm

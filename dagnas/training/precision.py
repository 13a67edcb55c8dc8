"""The accelerator path: mixed precision, channels-last memory, ``torch.compile``.

:class:`Accel` is the config (a protocol field, and usable by the search
loop as it is); :class:`Accelerated` applies it to one model on one device:
``autocast()`` around forward passes, ``backward(loss, params, clip)`` with
fp16's loss scaling, ``inputs(x)`` in the model's memory format, and
``forward`` (the compiled module, or the module). bf16 autocast runs on
CPUs and on CUDA devices that support it; fp16 needs CUDA.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict
from torch import nn

from dagnas.errors import DagnasError

Precision = Literal["fp32", "bf16", "fp16"]
DTYPES: dict[str, torch.dtype] = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Accel(BaseModel):
    """``precision``: autocast dtype of forward passes (fp32: off). ``channels_last``:
    convolution weights and image batches in NHWC memory. ``compile``: run the
    forward pass through ``torch.compile``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    precision: Precision = "fp32"
    channels_last: bool = False
    compile: bool = False


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


class Accelerated:
    """``model`` (already on ``device``) set up as ``accel`` says."""

    def __init__(self, model: nn.Module, accel: Accel, device: torch.device | str):
        self.device = torch.device(device)
        self.accel = accel
        check_supported(accel.precision, self.device)
        if accel.channels_last:
            model.to(memory_format=torch.channels_last)
        self.model = model
        self.forward: Callable[..., Any] = torch.compile(model) if accel.compile else model
        fp16 = accel.precision == "fp16"
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=fp16)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` on the device, channels-last when set and ``x`` is a batch of images."""
        x = x.to(self.device, non_blocking=True)
        if self.accel.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return x

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Forward passes inside run in the protocol's precision."""
        dtype = DTYPES.get(self.accel.precision)
        with torch.autocast(self.device.type, dtype=dtype, enabled=dtype is not None):
            yield

    def backward(
        self,
        loss: torch.Tensor,
        opt: torch.optim.Optimizer,
        params: Iterable[nn.Parameter],
        clip: float,
    ) -> None:
        """Backpropagate ``loss``, clip the gradient norm to ``clip`` (0: no clipping)
        and step ``opt``; with fp16, through the loss scaler (a step with
        non-finite gradients is skipped)."""
        self.scaler.scale(loss).backward()
        if clip > 0:
            self.scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(list(params), clip)
        self.scaler.step(opt)
        self.scaler.update()

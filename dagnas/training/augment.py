"""The seam between a protocol's augmentation and the data pipeline.

:func:`augment_batch` is the one call retraining makes on each training
batch. The data pipeline (``dagnas.data``) owns the real transforms; until
its batched augmentation is merged this applies the protocol's fields with
a minimal batched implementation (padding with 0: the mean colour of
normalised data), to be replaced by a call into ``dagnas.data``.
"""

from __future__ import annotations

import torch

from dagnas.training.protocols import Augment


def augment_batch(x: torch.Tensor, aug: Augment, generator: torch.Generator) -> torch.Tensor:
    """A new batch: each image of ``x`` (N, C, H, W) cropped, flipped and cut out
    with its own draws from ``generator`` (on ``x``'s device); ``x`` itself when
    ``aug`` does nothing or ``x`` holds no images."""
    if not aug.enabled or x.ndim != 4:
        return x
    n, _, h, w = x.shape
    draw = {"generator": generator, "device": x.device}
    if aug.crop:
        p = aug.crop
        padded = torch.nn.functional.pad(x, (p, p, p, p))
        rows = (
            torch.randint(2 * p + 1, (n, 1, 1), **draw) + torch.arange(h, device=x.device)[:, None]
        )
        cols = torch.randint(2 * p + 1, (n, 1, 1), **draw) + torch.arange(w, device=x.device)
        idx = (rows * (w + 2 * p) + cols).flatten(1)[:, None].expand(-1, x.shape[1], -1)
        x = padded.flatten(2).gather(2, idx).view_as(x)
    if aug.flip:
        x = torch.where(torch.rand(n, 1, 1, 1, **draw) < 0.5, x.flip(-1), x)
    if aug.cutout:  # DARTS's Cutout: [c - length // 2, c + length // 2), clipped
        half = aug.cutout // 2
        offsets = [
            torch.arange(s, device=x.device) - torch.randint(s, (n, 1), **draw) for s in (h, w)
        ]
        inside = [(d >= -half) & (d < half) for d in offsets]
        x = x.masked_fill((inside[0][:, :, None] & inside[1][:, None, :])[:, None], 0.0)
    return x

"""Data augmentation for images: random crop with padding, horizontal flip, cutout.

An augmentation is named by a small config, :class:`Augment`
(``augment: {crop: 4, flip: true, cutout: 16}``), applied to training
batches only, in the order of DARTS's CIFAR pipeline: crop, flip, then
cutout on the normalised image. Two ways to apply it, with the same
semantics:

- :func:`augment_batch` — batched on tensors already on the device, for the
  in-memory fast path (no DataLoader): every image of the batch gets its own
  draw from one call;
- :func:`train_transform` — a per-image ``torchvision.transforms.v2``
  pipeline, run in DataLoader workers (:mod:`dagnas.data.loaders`).

The data is normalised before it is augmented, so the crop's padding is
filled with ``fill``: pass :attr:`DataSplits.black <dagnas.data.DataSplits>`
to pad with black (what torchvision's ``RandomCrop(padding=...)`` does
before normalisation); ``0`` pads with the mean colour. Cutout zeroes the
normalised image, as DARTS's ``Cutout`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from pydantic import BaseModel, ConfigDict
from torchvision.transforms import v2

from dagnas.registry import StrictNonNegativeInt

__all__ = [
    "PUBLISHED_STATS",
    "Augment",
    "Cutout",
    "augment_batch",
    "cutout_mask",
    "default_augment",
    "train_transform",
]

Fill = float | Sequence[float]

# Published per-channel mean/std of pixel/255 on each train set, as the
# protocols' code hard-codes them.
PUBLISHED_STATS: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = {
    # DARTS utils.py (_data_transforms_cifar10): CIFAR_MEAN, CIFAR_STD
    "cifar10": ((0.49139968, 0.48215827, 0.44653124), (0.24703233, 0.24348505, 0.26158768)),
    # NAS-Bench-201 (AutoDL-Projects get_dataset_with_transform.py), CIFAR-100
    "cifar100": ((129.3 / 255, 124.1 / 255, 112.4 / 255), (68.2 / 255, 65.4 / 255, 70.4 / 255)),
    # PyTorch examples mnist/main.py: Normalize((0.1307,), (0.3081,))
    "mnist": ((0.1307,), (0.3081,)),
    # torchvision ImageNet models' weights: the ImageNet train set
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
}


class Augment(BaseModel):
    """Which augmentations to apply to training images; all off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    crop: StrictNonNegativeInt = 0
    """pad every side by this many pixels, then crop back to the original size at
    a uniformly random offset (0 = off)"""
    flip: bool = False
    """mirror left-right with probability 1/2"""
    cutout: StrictNonNegativeInt = 0
    """zero one square of this side whose centre is uniform over the image,
    clipped at the borders (0 = off)"""

    @property
    def enabled(self) -> bool:
        """Whether this changes anything."""
        return bool(self.crop or self.flip or self.cutout)


_DEFAULTS: dict[str, Augment] = {
    "cifar10": Augment(crop=4, flip=True),
    "cifar100": Augment(crop=4, flip=True),
    "mnist": Augment(crop=2),
    "fashion_mnist": Augment(crop=2),
}


def default_augment(name: str) -> Augment:
    """The usual training augmentation for a dataset name; none when unknown.

    CIFAR: crop 4 + flip (DARTS, NAS-Bench-201). MNIST and Fashion-MNIST:
    crop 2 (digits are not mirror-symmetric). ``digits`` (8×8), vectors
    (``mnist1d``, ``.npz`` vectors), folders and other ``.npz`` files: none,
    since whether a flip preserves the label is the user's call.
    """
    return _DEFAULTS.get(name, Augment())


def cutout_mask(
    n: int,
    size: tuple[int, int],
    length: int,
    *,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """(n, H, W) bool: True inside one square of side ``length`` per image.

    As DARTS's ``Cutout``: the centre ``(cy, cx)`` is uniform over the
    pixels and the square spans ``[c - length // 2, c + length // 2)`` on
    each axis, clipped at the borders.
    """
    h, w = size
    half = length // 2
    cy = torch.randint(h, (n, 1), generator=generator, device=device)
    cx = torch.randint(w, (n, 1), generator=generator, device=device)
    rows = torch.arange(h, device=device)
    cols = torch.arange(w, device=device)
    in_y = (rows >= cy - half) & (rows < cy + half)  # (n, H)
    in_x = (cols >= cx - half) & (cols < cx + half)  # (n, W)
    return in_y[:, :, None] & in_x[:, None, :]


def augment_batch(
    x: torch.Tensor,
    aug: Augment,
    *,
    fill: Fill = 0.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """A new augmented batch of images ``x`` (N, C, H, W), on ``x``'s device.

    Each image gets its own crop offset, flip and cutout square, drawn from
    ``generator`` (which must live on ``x``'s device) or the global RNG.
    ``fill`` pads the crop: a number or one value per channel. ``x`` is
    returned unchanged when ``aug`` does nothing.
    """
    if not aug.enabled:
        return x
    if x.ndim != 4:
        raise ValueError(f"augment_batch needs images (N, C, H, W), got shape {tuple(x.shape)}")
    n, _, h, w = x.shape
    kw = {"generator": generator, "device": x.device}
    if aug.crop:
        x = _random_crop(x, aug.crop, fill, generator)
    if aug.flip:
        flip = torch.rand(n, **kw) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    if aug.cutout:
        mask = cutout_mask(n, (h, w), aug.cutout, **kw)
        x = x.masked_fill(mask[:, None], 0.0)
    return x


def _random_crop(
    x: torch.Tensor, pad: int, fill: Fill, generator: torch.Generator | None
) -> torch.Tensor:
    """Pad by ``pad`` with ``fill``, crop each image back at a random offset."""
    n, c, h, w = x.shape
    wp = w + 2 * pad
    padded = x.new_empty(n, c, h + 2 * pad, wp)
    padded[:] = torch.as_tensor(fill, dtype=x.dtype, device=x.device).reshape(-1, 1, 1)
    padded[:, :, pad : pad + h, pad : pad + w] = x
    oy = torch.randint(2 * pad + 1, (n, 1, 1), generator=generator, device=x.device)
    ox = torch.randint(2 * pad + 1, (n, 1, 1), generator=generator, device=x.device)
    rows = oy + torch.arange(h, device=x.device)[:, None]  # (n, H, 1)
    cols = ox + torch.arange(w, device=x.device)  # (n, 1, W)
    idx = (rows * wp + cols).flatten(1)[:, None].expand(n, c, h * w)
    return padded.flatten(2).gather(2, idx).view(n, c, h, w)


class Cutout(torch.nn.Module):
    """DARTS's cutout of one image (C, H, W) as a transform: see :func:`cutout_mask`."""

    def __init__(self, length: int):
        super().__init__()
        self.length = length

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        mask = cutout_mask(1, img.shape[-2:], self.length, device=img.device)
        return img.masked_fill(mask, 0.0)


def train_transform(aug: Augment, size: tuple[int, int], fill: Fill = 0.0) -> v2.Compose:
    """Per-image ``v2`` pipeline on normalised (C, H, W) tensors: crop, flip, cutout."""
    steps: list[torch.nn.Module] = []
    if aug.crop:
        fill_arg = list(fill) if isinstance(fill, Sequence) else fill
        steps.append(v2.RandomCrop(size, padding=aug.crop, fill=fill_arg))
    if aug.flip:
        steps.append(v2.RandomHorizontalFlip())
    if aug.cutout:
        steps.append(Cutout(aug.cutout))
    return v2.Compose(steps)

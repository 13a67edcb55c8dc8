"""A user's own images: torchvision's ``ImageFolder`` layout, read lazily.

Layout (one sub-folder per class, any image format PIL reads)::

    ROOT/cat/001.png  ROOT/dog/002.jpg ...            one pool: 20% is the test set
    ROOT/train/cat/... ROOT/test/cat/...              the test set is given

Every image is converted to RGB, its shorter side resized to ``image_size``
and centre-cropped to ``image_size`` × ``image_size`` (default: the shorter
side of the first training image), so the splits are (3, S, S). With one
pool the test set is a stratified 20% drawn with seed 0 whatever the run's
seed, so every run is scored on the same images. Images are decoded when a
split is read: use :func:`dagnas.data.loaders.make_loader` (workers) or
:func:`dagnas.data.loaders.materialise` (everything into memory once).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset, Subset
from torchvision.datasets import ImageFolder
from torchvision.transforms import v2

from dagnas.data.loaders import make_loader
from dagnas.data.splits import DataSplits, Stats, split_indices, stratified_split
from dagnas.errors import DataError

TEST_FRACTION = 0.2
LAYOUT = (
    "ROOT/<class>/<image> (one sub-folder per class), "
    "or ROOT/train/<class>/... and ROOT/test/<class>/..."
)


def read_folder(
    root: Path,
    *,
    seed: int,
    val_fraction: float,
    limit: int | None,
    image_size: int | None = None,
    stats: Stats | None = None,
    workers: int = 0,
) -> DataSplits:
    """Lazy train/val/test splits of the image folder ``root``.

    ``limit`` caps the training pool only; ``stats`` (per-channel mean, std
    of pixels in [0, 1]) replaces the train split's own statistics, which
    otherwise take one pass over the training images (``workers`` decode).
    """
    name = f"folder:{root}"
    pool, test, test_set, train_pool = _pool_and_test(root)
    y_pool = np.asarray(pool.targets, dtype=np.int64)
    train, val = split_indices(
        y_pool[train_pool], name=name, seed=seed, val_fraction=val_fraction, limit=limit
    )
    train_idx = train_pool if train is None else train_pool[train]
    val_idx = train_pool if val is None else train_pool[val]
    with Image.open(pool.samples[train_idx[0]][0]) as first:
        size = image_size or min(first.size)
    base = [
        v2.ToImage(),
        v2.Resize(size),
        v2.CenterCrop(size),
        v2.ToDtype(torch.float32, scale=True),
    ]
    pool.transform = test.transform = v2.Compose([*base, v2.ToPureTensor()])
    train_set = Subset(pool, train_idx.tolist())
    mean, std = stats or _channel_stats(train_set, workers)
    pool.transform = test.transform = v2.Compose(
        [*base, v2.Normalize(list(mean), list(std)), v2.ToPureTensor()]
    )
    return DataSplits(
        train_set,
        Subset(pool, val_idx.tolist()),
        test_set,
        (3, size, size),
        len(pool.classes),
        name,
        tuple(mean),
        tuple(std),
    )


def _pool_and_test(root: Path) -> tuple[ImageFolder, ImageFolder, Dataset, np.ndarray]:
    """The training pool's folder, the test set's folder, the test set, the pool's indices.

    ``root/train`` and ``root/test`` when both exist, else one folder whose
    fixed stratified 20% is the test set.
    """
    split_dirs = (root / "train", root / "test")
    if all(d.is_dir() for d in split_dirs):
        pool, test = _image_folder(split_dirs[0]), _image_folder(split_dirs[1])
        if test.classes != pool.classes:
            raise DataError(
                f"{root}: train/ has classes {pool.classes} but test/ has {test.classes}; "
                "both need the same class sub-folders"
            )
        return pool, test, test, np.arange(len(pool))
    pool = _image_folder(root)
    y = np.asarray(pool.targets, dtype=np.int64)
    if len(y) < 5:
        raise DataError(f"{root}: found {len(y)} images; a folder needs at least 5")
    held, rest = stratified_split(y, round(TEST_FRACTION * len(y)), np.random.default_rng(0))
    return pool, pool, Subset(pool, held.tolist()), rest


def _image_folder(path: Path) -> ImageFolder:
    """torchvision's ImageFolder at ``path``; an empty or flat folder is a DataError."""
    try:
        return ImageFolder(str(path))
    except (FileNotFoundError, OSError) as e:
        raise DataError(
            f"{path}: not an image folder ({e}); expected {LAYOUT}. dagnas never downloads"
        ) from None


def _channel_stats(train: Subset, workers: int) -> Stats:
    """Per-channel mean and std (population) of ``train``'s pixels, in one pass."""
    total = torch.zeros(3, dtype=torch.float64)
    squares = torch.zeros(3, dtype=torch.float64)
    count = 0
    for x, _ in make_loader(train, 256, workers=workers, pin_memory=False):
        x = x.double()
        total += x.sum(dim=(0, 2, 3))
        squares += x.square().sum(dim=(0, 2, 3))
        count += x.shape[0] * x.shape[2] * x.shape[3]
    mean = total / count
    std = (squares / count - mean.square()).clamp_min(0).sqrt().clamp_min(1e-6)
    return tuple(mean.tolist()), tuple(std.tolist())

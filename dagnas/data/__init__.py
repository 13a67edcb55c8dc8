"""Datasets for search and retraining: the embedded default and local files.

``load_dataset(name, root)`` returns :class:`DataSplits`: train (network
weights), val (architecture parameters, held out from the official train
set) and test. Nothing is ever downloaded or written: every dataset but the
embedded ``digits`` is read from a folder the user names (``--data-root``).
A user's own images in ``ImageFolder`` layout are ``folder:PATH`` (or
``folder`` with ``root=PATH``), read lazily (:mod:`dagnas.data.folder`).

Normalisation: images are scaled to [0, 1] (uint8 by 1/255, digits by 1/16)
and then standardised per channel with the mean/std of the train split
(``normalise="train"``), or with the published constants of the dataset
(``normalise="published"``, :data:`PUBLISHED_STATS`), or with given
``(mean, std)``; vectors are standardised per feature with the train split's.

Augmentation (:mod:`dagnas.data.transforms`) and the DataLoader path
(:mod:`dagnas.data.loaders`) act on these splits.
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Callable
from pathlib import Path

from dagnas.data.arrays import KEYS, RawData
from dagnas.data.folder import LAYOUT as FOLDER_LAYOUT
from dagnas.data.folder import read_folder
from dagnas.data.loaders import make_loader, materialise, split_loaders
from dagnas.data.readers import (
    read_cifar10,
    read_cifar100,
    read_digits,
    read_mnist1d,
    read_mnist_like,
    read_npz,
)
from dagnas.data.splits import DataSplits, Stats, make_splits
from dagnas.data.transforms import PUBLISHED_STATS, Augment, augment_batch, default_augment
from dagnas.errors import DataError
from dagnas.registry import did_you_mean

__all__ = [
    "DATASETS",
    "PUBLISHED_STATS",
    "Augment",
    "DataSplits",
    "augment_batch",
    "dataset_key",
    "default_augment",
    "load_dataset",
    "make_loader",
    "materialise",
    "npz_path",
    "split_loaders",
]

Normalise = str | Stats  # "train", "published" or (mean, std) per channel

DATASETS: dict[str, str] = {
    "digits": "scikit-learn's 8x8 digits, 1797 images, 10 classes; embedded, needs no files",
    "mnist": "MNIST 28x28 digits, 60k/10k, from ROOT/MNIST/raw/ (.gz or extracted IDX)",
    "fashion_mnist": "Fashion-MNIST 28x28, 60k/10k, from ROOT/FashionMNIST/raw/",
    "cifar10": "CIFAR-10 32x32 RGB from ROOT/cifar-10-batches-py/ or an .npz (e.g. a subset)",
    "cifar100": "CIFAR-100 32x32 RGB, 100 fine classes, from ROOT/cifar-100-python/",
    "mnist1d": "MNIST-1D, vectors of 40, 4k/1k, from ROOT/mnist1d/mnist1d_data.pkl",
    "folder": "your images, one sub-folder per class (ImageFolder); 'folder:PATH' or ROOT",
}

_LAYOUTS = {
    "mnist": "MNIST/raw/ with the 4 IDX files (train-images-idx3-ubyte[.gz], ...)",
    "fashion_mnist": "FashionMNIST/raw/ with the 4 IDX files (train-images-idx3-ubyte[.gz], ...)",
    "cifar10": "cifar-10-batches-py/ (data_batch_1..5, test_batch) or CIFAR10-subset/*.npz",
    "mnist1d": "mnist1d/mnist1d_data.pkl",
    "cifar100": "cifar-100-python/ with train, test and meta (the python version)",
    "folder": FOLDER_LAYOUT,
}

_READERS: dict[str, Callable[[Path], RawData]] = {
    "mnist": lambda root: read_mnist_like(root, "MNIST", "mnist"),
    "fashion_mnist": lambda root: read_mnist_like(root, "FashionMNIST", "fashion_mnist"),
    "cifar10": read_cifar10,
    "cifar100": read_cifar100,
    "mnist1d": read_mnist1d,
}

_ALIASES = {
    "fashionmnist": "fashion_mnist",
    "cifar_10": "cifar10",
    "cifar_100": "cifar100",
    "mnist_1d": "mnist1d",
}


def load_dataset(
    name: str = "digits",
    root: str | Path | None = None,
    *,
    seed: int = 0,
    val_fraction: float = 0.5,
    limit: int | None = None,
    normalise: Normalise = "train",
    image_size: int | None = None,
    workers: int = 0,
) -> DataSplits:
    """Load ``name`` (a key of :data:`DATASETS`, ``folder:PATH`` or an ``.npz``) as splits.

    ``val_fraction`` of the official train set becomes ``val``, drawn
    (stratified) from ``seed``; ``digits`` ignores ``seed`` and always uses the
    same split. ``limit`` caps the training pool (before the train/val split)
    with a stratified random subset, for quick runs; the test set is never
    cut (:meth:`DataSplits.sizes` says how many examples each split holds).
    An ``.npz`` holds ``x_train, y_train, x_test, y_test``: images NHWC, NCHW
    or (N, H, W), or (N, D) vectors; integer labels 0..K-1. A registered
    name wins over a file of the same name; a relative ``.npz`` path not found
    in the current folder is looked up in ``root``. ``image_size`` and
    ``workers`` (processes decoding the images once for their statistics)
    apply to ``folder`` only.
    """
    seed, val_fraction, limit = _check_options(seed, val_fraction, limit)
    name = os.fspath(name)
    key = dataset_key(name) or name
    if key == "folder":
        path = _data_root("folder", name.partition(":")[2] or root)
        stats = None if normalise == "train" else _stats_for("folder", normalise)
        return read_folder(
            path.resolve(),
            seed=seed,
            val_fraction=val_fraction,
            limit=limit,
            image_size=image_size,
            stats=stats,
            workers=workers,
        )
    if key == "digits":
        raw, seed = read_digits(), 0
    elif key in _READERS:
        raw = _READERS[key](_data_root(key, root))
    elif key == "file":
        path = npz_path(name, root)
        raw, key = read_npz(path), str(path)
    else:
        known, hint = ", ".join(DATASETS), did_you_mean(name.strip().lower(), list(DATASETS))
        raise DataError(
            f"unknown dataset '{name}'{hint} (known: {known}; "
            f"or a path to an .npz file with keys {', '.join(KEYS)})"
        )
    stats = None if normalise == "train" else _stats_for(key, normalise)
    return make_splits(
        raw, name=key, seed=seed, val_fraction=val_fraction, limit=limit, stats=stats
    )


def dataset_key(name: str) -> str | None:
    """What ``name`` names: a key of :data:`DATASETS` (aliases and case resolved;
    ``"folder"`` for ``folder[:PATH]``), ``"file"`` for an ``.npz`` or another
    existing file, or None for nothing dagnas can load."""
    key = name.strip().lower().replace("-", "_")
    key = _ALIASES.get(key, key)
    if key == "folder" or name.startswith("folder:"):
        return "folder"
    if key in DATASETS:
        return key
    if name.lower().endswith(".npz") or Path(name).expanduser().is_file():
        return "file"
    return None


def _stats_for(key: str, normalise: Normalise) -> Stats:
    """The constants ``normalise`` names for dataset ``key``."""
    if not isinstance(normalise, str):
        return normalise
    if normalise == "published" and key in PUBLISHED_STATS:
        return PUBLISHED_STATS[key]
    if normalise == "published":
        raise DataError(
            f"no published normalisation constants for '{key}' (known for: "
            f"{', '.join(PUBLISHED_STATS)}); use normalise='train' or give (mean, std)"
        )
    raise DataError(
        f"normalise must be 'train', 'published' or (mean, std) per channel, got {normalise!r}"
    )


def _check_options(
    seed: int, val_fraction: float, limit: int | None
) -> tuple[int, float, int | None]:
    """The options as plain ``int``/``float``; out-of-range values are a DataError."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise DataError(f"seed must be a non-negative integer, got {seed!r}")
    if isinstance(val_fraction, bool) or not isinstance(val_fraction, numbers.Real):
        raise DataError(f"val_fraction must be a number in (0, 1), got {val_fraction!r}")
    if not 0 < val_fraction < 1:
        raise DataError(
            f"val_fraction must be strictly between 0 and 1 (the share of the train set "
            f"held out to train architecture parameters), got {val_fraction}"
        )
    if limit is not None and (
        isinstance(limit, bool) or not isinstance(limit, numbers.Integral) or limit < 2
    ):
        raise DataError(f"limit must be an integer >= 2 or None (no limit), got {limit!r}")
    return int(seed), float(val_fraction), None if limit is None else int(limit)


def _data_root(key: str, root: str | Path | None) -> Path:
    """The user's data folder for ``key``; missing or absent is a DataError."""
    if root is None:
        raise DataError(
            f"dataset '{key}' is read from local files: pass --data-root DIR (root=DIR from "
            f"Python) where DIR holds {_LAYOUTS[key]}; dagnas never downloads. "
            "Use 'digits' for a dataset that needs no files"
        )
    path = Path(root).expanduser()
    if not path.exists():
        raise DataError(
            f"data root {path} does not exist; pass --data-root DIR where DIR holds {_LAYOUTS[key]}"
        )
    return path


def npz_path(name: str, root: str | Path | None) -> Path:
    """``name`` as given, else relative to ``root``; must exist."""
    path = Path(name).expanduser()
    if not path.exists() and root is not None and not path.is_absolute():
        in_root = Path(root).expanduser() / path
        path = in_root if in_root.exists() else path
    if not path.is_file():
        raise DataError(
            f"{name}: no such .npz file (looked in the current folder"
            + (f" and in {root})" if root is not None else ")")
            + f"; expected an .npz with keys {', '.join(KEYS)}"
        )
    return path.resolve()

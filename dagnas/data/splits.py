"""Train/val/test splitting, subsetting and normalisation of a :class:`RawData`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

from dagnas.data.arrays import RawData
from dagnas.errors import DataError

logger = logging.getLogger(__name__)

MIN_STD = 1e-6  # a channel or feature with a smaller std is only centred


Stats = tuple[tuple[float, ...], tuple[float, ...]]  # per-channel (mean, std)


@dataclass(frozen=True, repr=False)
class DataSplits:
    """A dataset ready for bilevel search.

    ``train`` trains network weights, ``val`` (held out from the official
    train set) trains architecture parameters, ``test`` is the official test
    set. Each yields ``(x, y)``: x float32, (C, H, W) or (D,), normalised
    with ``mean``/``std``; y int64 in ``0..num_classes-1``. Built-in
    datasets are held in memory as ``TensorDataset`` (``.tensors``); a
    folder of images (:mod:`dagnas.data.folder`) is read lazily, file by
    file, until :func:`dagnas.data.loaders.materialise` reads it into memory.
    """

    train: Dataset
    val: Dataset
    test: Dataset
    input_shape: tuple[int, ...]  # (C, H, W) for images, (D,) for vectors
    num_classes: int
    name: str
    mean: tuple[float, ...] = ()  # what was subtracted per channel (images) or feature
    std: tuple[float, ...] = ()  # what it was then divided by

    def __repr__(self) -> str:
        sizes = ", ".join(f"{k}={v}" for k, v in self.sizes().items())
        return (
            f"DataSplits(name={self.name!r}, {sizes}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes})"
        )

    def sizes(self) -> dict[str, int]:
        """The number of examples in every split, for results to record."""
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}  # type: ignore[arg-type]

    @property
    def in_memory(self) -> bool:
        """Whether every split is a ``TensorDataset`` (the fast path's input)."""
        return all(isinstance(p, TensorDataset) for p in (self.train, self.val, self.test))

    @property
    def black(self) -> tuple[float, ...]:
        """A black pixel (0 before normalisation) per channel: the crop's padding."""
        return tuple(-m / s for m, s in zip(self.mean, self.std, strict=True))


def stratified_split(
    y: np.ndarray, n_first: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted indices ``(first, rest)`` of ``y``, ``len(first) == n_first``.

    Each class goes to ``first`` in proportion to its size (largest
    remainders get the leftover places); which examples is drawn by ``rng``.
    """
    n = len(y)
    if not 0 <= n_first <= n:
        raise ValueError(f"n_first={n_first} is outside 0..{n}")
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    _, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    quota = counts * (n_first / n)
    take = np.floor(quota).astype(np.int64)
    leftover = n_first - int(take.sum())
    take[np.argsort(take - quota, kind="stable")[:leftover]] += 1
    perm = rng.permutation(n)
    grouped = perm[np.argsort(inverse[perm], kind="stable")]  # by class, random within
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rank = np.arange(n) - starts[inverse[grouped]]
    first = rank < take[inverse[grouped]]
    return np.sort(grouped[first]), np.sort(grouped[~first])


def split_indices(
    y_train: np.ndarray, *, name: str, seed: int, val_fraction: float, limit: int | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Indices ``(train, val)`` into the official train set (None: all of them).

    ``limit`` caps the training pool with a stratified random subset before
    ``val_fraction`` of it is held out as val; the test set is never cut.
    Each draw uses its own stream spawned from ``seed``.
    """
    streams = np.random.SeedSequence(seed).spawn(2)  # limit, val split
    pool = _subset(y_train, limit, np.random.default_rng(streams[0]))
    n_pool = len(y_train) if pool is None else len(pool)
    n_val = round(val_fraction * n_pool)
    if n_val < 1 or n_val >= n_pool:
        raise DataError(
            f"{name}: cannot split {n_pool} training examples into train and val with "
            f"val_fraction={val_fraction} (val would get {n_val}); raise limit or "
            "choose val_fraction so that both parts get examples"
        )
    y_pool = y_train if pool is None else y_train[pool]
    val, train = stratified_split(y_pool, n_val, np.random.default_rng(streams[1]))
    if pool is not None:
        val, train = pool[val], pool[train]
    return train, val


def make_splits(
    raw: RawData,
    *,
    name: str,
    seed: int,
    val_fraction: float,
    limit: int | None,
    stats: Stats | None = None,
) -> DataSplits:
    """Subset the training pool (``limit``), split it into train/val, normalise, wrap.

    Normalised with ``stats`` (per-channel mean, std of pixel values in
    [0, 1]) when given, else with the train split's own statistics.
    """
    train, val = split_indices(
        raw.y_train, name=name, seed=seed, val_fraction=val_fraction, limit=limit
    )
    x_train = _to_tensor(raw.x_train, train)
    mean, std = _stats(x_train) if stats is None else _as_stats(stats, x_train)

    def part(x: torch.Tensor, y: np.ndarray, idx: np.ndarray | None) -> TensorDataset:
        labels = torch.from_numpy(np.ascontiguousarray(y if idx is None else y[idx]))
        return TensorDataset(x.sub_(mean).div_(std), labels)

    parts = [
        part(x_train, raw.y_train, train),
        part(_to_tensor(raw.x_train, val), raw.y_train, val),
        part(_to_tensor(raw.x_test, None), raw.y_test, None),
    ]
    logger.debug("%s: train %d, val %d, test %d", name, *(len(p) for p in parts))
    flat = (mean.flatten().tolist(), std.flatten().tolist())
    return DataSplits(
        *parts, tuple(raw.x_train.shape[1:]), raw.num_classes, name, *map(tuple, flat)
    )


def _subset(y: np.ndarray, limit: int | None, rng: np.random.Generator) -> np.ndarray | None:
    """A stratified random ``limit`` of ``y``'s indices, or None for all of them."""
    if limit is None or limit >= len(y):
        return None
    return stratified_split(y, limit, rng)[0]


def _to_tensor(x: np.ndarray, idx: np.ndarray | None) -> torch.Tensor:
    """Rows ``idx`` of ``x`` as a new contiguous float32 tensor; uint8 scaled by 1/255."""
    rows = x if idx is None else x[idx]
    rows = np.require(rows, requirements=["C", "W"])  # copies only read-only or strided input
    out = torch.from_numpy(rows).to(torch.float32, copy=True)
    if x.dtype == np.uint8:
        out.mul_(1 / 255)
    return out


def _stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel (images) or per-feature (vectors) mean and std, broadcastable to x."""
    dims = (0, 2, 3) if x.ndim == 4 else (0,)
    var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
    std = var.sqrt()
    return mean, torch.where(std < MIN_STD, torch.ones_like(std), std)


def _as_stats(stats: Stats, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Given per-channel ``(mean, std)`` as tensors broadcastable to images ``x``."""
    mean, std = (torch.tensor(v, dtype=torch.float32) for v in stats)
    if x.ndim != 4 or mean.numel() != x.shape[1] or std.numel() != x.shape[1]:
        raise DataError(
            f"normalisation constants for {mean.numel()} channel(s) do not fit data of "
            f"shape {tuple(x.shape[1:])}; use normalise='train'"
        )
    return mean.view(1, -1, 1, 1), std.view(1, -1, 1, 1)

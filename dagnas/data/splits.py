"""Train/val/test splitting, subsetting and normalisation of a :class:`RawData`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import TensorDataset

from dagnas.data.arrays import RawData
from dagnas.errors import DataError

logger = logging.getLogger(__name__)

MIN_STD = 1e-6  # a channel or feature with a smaller std is only centred


@dataclass(frozen=True, repr=False)
class DataSplits:
    """A dataset ready for bilevel search.

    ``train`` trains network weights, ``val`` (held out from the official
    train set) trains architecture parameters, ``test`` is the official test
    set. Each holds ``(x, y)``: x float32, (N, C, H, W) or (N, D), normalised
    with the statistics of ``train``; y int64 in ``0..num_classes-1``.
    """

    train: TensorDataset
    val: TensorDataset
    test: TensorDataset
    input_shape: tuple[int, ...]  # (C, H, W) for images, (D,) for vectors
    num_classes: int
    name: str

    def __repr__(self) -> str:
        sizes = f"train={len(self.train)}, val={len(self.val)}, test={len(self.test)}"
        return (
            f"DataSplits(name={self.name!r}, {sizes}, input_shape={self.input_shape}, "
            f"num_classes={self.num_classes})"
        )


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


def make_splits(
    raw: RawData, *, name: str, seed: int, val_fraction: float, limit: int | None
) -> DataSplits:
    """Subset (``limit``), split train into train/val, normalise, wrap as tensors.

    The three random draws (training subset, train/val split, test subset)
    each use their own stream spawned from ``seed``.
    """
    raw_x_train, raw_y_train = raw.x_train, raw.y_train
    raw_x_test, raw_y_test = raw.x_test, raw.y_test
    streams = np.random.SeedSequence(seed).spawn(3)  # limit-train, val split, limit-test
    pool = _subset(raw_y_train, limit, np.random.default_rng(streams[0]))
    n_pool = len(raw_y_train) if pool is None else len(pool)
    n_val = round(val_fraction * n_pool)
    if n_val < 1 or n_val >= n_pool:
        raise DataError(
            f"{name}: cannot split {n_pool} training examples into train and val with "
            f"val_fraction={val_fraction} (val would get {n_val}); raise limit or "
            "choose val_fraction so that both parts get examples"
        )
    y_pool = raw_y_train if pool is None else raw_y_train[pool]
    val, train = stratified_split(y_pool, n_val, np.random.default_rng(streams[1]))
    if pool is not None:
        val, train = pool[val], pool[train]
    test = _subset(raw_y_test, limit, np.random.default_rng(streams[2]))

    x_train = _to_tensor(raw_x_train, train)
    mean, std = _stats(x_train)

    def part(x: torch.Tensor, y: np.ndarray, idx: np.ndarray | None) -> TensorDataset:
        labels = torch.from_numpy(np.ascontiguousarray(y if idx is None else y[idx]))
        return TensorDataset(x.sub_(mean).div_(std), labels)

    parts = [
        part(x_train, raw_y_train, train),
        part(_to_tensor(raw_x_train, val), raw_y_train, val),
        part(_to_tensor(raw_x_test, test), raw_y_test, test),
    ]
    logger.debug("%s: train %d, val %d, test %d", name, *(len(p) for p in parts))
    return DataSplits(*parts, tuple(raw_x_train.shape[1:]), raw.num_classes, name)


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

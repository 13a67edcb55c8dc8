"""The DataLoader path: worker processes, pinned memory, per-image augmentation.

For data that does not fit in memory (a folder of images) or whose
per-image work should run beside the training step. Data that fits
(digits, MNIST, the CIFAR subset) can skip this and use the in-memory fast
path: the splits' ``.tensors`` on the device, augmented a batch at a time by
:func:`dagnas.data.transforms.augment_batch`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from dagnas.data.splits import DataSplits
from dagnas.data.transforms import Augment, Fill, train_transform

__all__ = ["Augmented", "decode", "make_loader", "materialise", "split_loaders"]

Example = tuple[torch.Tensor, int | torch.Tensor]


class Augmented(Dataset):
    """``dataset`` with ``transform`` applied to every image (not the label)."""

    def __init__(self, dataset: Dataset, transform: Callable[[torch.Tensor], torch.Tensor]):
        self.dataset, self.transform = dataset, transform

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, i: int) -> Example:
        x, y = self.dataset[i]
        return self.transform(x), y


def make_loader(
    dataset: Dataset,
    batch_size: int,
    *,
    shuffle: bool = False,
    augment: Augment | None = None,
    fill: Fill = 0.0,
    workers: int = 0,
    pin_memory: bool | None = None,
    seed: int = 0,
    drop_last: bool = False,
) -> DataLoader:
    """A DataLoader over ``dataset`` of normalised images or vectors.

    ``augment`` (images only) runs per image in the workers, padding crops
    with ``fill``. ``workers > 0`` keeps its worker processes alive across
    epochs; ``pin_memory`` defaults to whether CUDA is available. The order
    and the augmentation draws follow ``seed``.
    """
    if augment is not None and augment.enabled:
        x0 = dataset[0][0]
        dataset = Augmented(dataset, train_transform(augment, tuple(x0.shape[-2:]), fill))
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        num_workers=workers,
        pin_memory=torch.cuda.is_available() if pin_memory is None else pin_memory,
        persistent_workers=workers > 0,
        generator=torch.Generator().manual_seed(seed),
        drop_last=drop_last,
    )


def split_loaders(
    data: DataSplits,
    batch_size: int,
    *,
    augment: Augment | None = None,
    augment_val: bool = False,
    workers: int = 0,
    pin_memory: bool | None = None,
    seed: int = 0,
) -> dict[str, DataLoader]:
    """Loaders for ``train`` (shuffled, augmented), ``val`` and ``test`` (in order).

    ``val`` is shuffled too, and augmented when ``augment_val`` (as the
    NAS-Bench-201 and DrNAS searches do with both halves of the search
    split); ``test`` never is. Crops are padded with black.
    """
    opts = {"workers": workers, "pin_memory": pin_memory, "fill": data.black}
    return {
        "train": make_loader(
            data.train, batch_size, shuffle=True, augment=augment, seed=seed, **opts
        ),
        "val": make_loader(
            data.val,
            batch_size,
            shuffle=True,
            augment=augment if augment_val else None,
            seed=seed + 1,
            **opts,
        ),
        "test": make_loader(data.test, batch_size, **opts),
    }


def decode(dataset: Dataset, *, workers: int = 0, batch_size: int = 256) -> TensorDataset:
    """Every example of ``dataset`` read once, in order, into one ``TensorDataset``."""
    xs, ys = [], []
    for x, y in make_loader(dataset, batch_size, workers=workers, pin_memory=False):
        xs.append(x)
        ys.append(torch.as_tensor(y, dtype=torch.int64))
    return TensorDataset(torch.cat(xs), torch.cat(ys))


def materialise(data: DataSplits, *, workers: int = 0) -> DataSplits:
    """``data`` with every split held in memory, for the fast path; as-is when it is."""
    if data.in_memory:
        return data
    train, val, test = (decode(p, workers=workers) for p in (data.train, data.val, data.test))
    return replace(data, train=train, val=val, test=test)

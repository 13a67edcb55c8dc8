"""The DataLoader path: options, augmentation on train only, seeded order."""

from __future__ import annotations

import pytest
import torch

from dagnas.data import Augment, DataSplits, load_dataset, make_loader, materialise, split_loaders


@pytest.fixture(scope="module")
def digits() -> DataSplits:
    return load_dataset("digits", limit=200)


def test_workers_persist_and_memory_is_pinned_on_request(digits: DataSplits) -> None:
    loader = make_loader(digits.train, 32, workers=2, pin_memory=True)
    assert loader.num_workers == 2 and loader.persistent_workers and loader.pin_memory
    plain = make_loader(digits.train, 32)
    assert plain.num_workers == 0 and not plain.persistent_workers
    assert plain.pin_memory == torch.cuda.is_available()


def test_eval_path_applies_no_augmentation(digits: DataSplits) -> None:
    loaders = split_loaders(digits, 64, augment=Augment(crop=2, flip=True, cutout=4))
    x = torch.cat([b[0] for b in loaders["test"]])
    y = torch.cat([b[1] for b in loaders["test"]])
    assert torch.equal(x, digits.test.tensors[0]) and torch.equal(y, digits.test.tensors[1])
    val = torch.cat([b[0] for b in loaders["val"]])  # shuffled, not augmented
    assert torch.allclose(val.sum(0), digits.val.tensors[0].sum(0), atol=1e-4)


def test_train_batches_are_augmented(digits: DataSplits) -> None:
    aug = Augment(crop=2, flip=True)
    x, y = next(iter(split_loaders(digits, 100, augment=aug)["train"]))
    originals = {tuple(r.flatten().tolist()) for r in digits.train.tensors[0]}
    assert x.shape == (100, 1, 8, 8)
    assert sum(tuple(r.flatten().tolist()) not in originals for r in x) > 50
    assert set(y.tolist()) <= set(range(10))


def test_val_is_augmented_only_when_asked(digits: DataSplits) -> None:
    aug = Augment(flip=True, cutout=4)
    val = split_loaders(digits, 100, augment=aug, augment_val=True)["val"]
    x = torch.cat([b[0] for b in val])
    assert not torch.allclose(x.sum(0), digits.val.tensors[0].sum(0), atol=1e-3)


@pytest.mark.parametrize("workers", [0, 2])
def test_order_follows_the_seed(digits: DataSplits, workers: int) -> None:
    def first(seed: int) -> torch.Tensor:
        torch.manual_seed(0)  # the per-image draws of workers=0 use the global RNG
        loader = make_loader(
            digits.train, 16, shuffle=True, augment=Augment(crop=1), seed=seed, workers=workers
        )
        return next(iter(loader))[0]

    assert torch.equal(first(3), first(3))
    assert not torch.equal(first(3), first(4))


def test_materialise_keeps_in_memory_data(digits: DataSplits) -> None:
    assert materialise(digits) is digits

"""The embedded default: scikit-learn's digits, with a fixed split."""

from __future__ import annotations

import pytest
import torch

from dagnas.data import DATASETS, DataSplits, load_dataset


@pytest.fixture(scope="module")
def digits() -> DataSplits:
    return load_dataset("digits")


def test_shapes_and_sizes(digits: DataSplits) -> None:
    assert digits.name == "digits"
    assert digits.input_shape == (1, 8, 8)
    assert digits.num_classes == 10
    # 1797 images: 359 (20%) test, the other 1438 halved into train and val
    assert (len(digits.train), len(digits.val), len(digits.test)) == (719, 719, 359)
    for part in (digits.train, digits.val, digits.test):
        x, y = part.tensors
        assert x.shape[1:] == (1, 8, 8) and x.dtype == torch.float32 and x.is_contiguous()
        assert y.dtype == torch.int64 and y.is_contiguous()
        assert y.min() >= 0 and y.max() <= 9


def test_default_name_is_digits() -> None:
    assert load_dataset().name == "digits"
    assert "digits" in DATASETS


def test_split_is_fixed_across_seeds(digits: DataSplits) -> None:
    other = load_dataset("digits", seed=7)
    pairs = zip(
        (digits.train, digits.val, digits.test), (other.train, other.val, other.test), strict=True
    )
    for a, b in pairs:
        assert torch.equal(a.tensors[0], b.tensors[0])
        assert torch.equal(a.tensors[1], b.tensors[1])


def test_test_split_ignores_val_fraction(digits: DataSplits) -> None:
    quarter = load_dataset("digits", val_fraction=0.25)
    assert (len(quarter.train), len(quarter.val)) == (1078, 360)
    # same test images, only normalised with other train statistics
    assert torch.equal(quarter.test.tensors[1], digits.test.tensors[1])


def test_normalised_with_train_stats(digits: DataSplits) -> None:
    x = digits.train.tensors[0]
    assert abs(x.mean().item()) < 1e-5
    assert x.std(correction=0).item() == pytest.approx(1.0, abs=1e-4)
    # val/test use the train statistics, so they are only roughly standardised
    assert abs(digits.val.tensors[0].mean().item()) < 0.1


def test_splits_are_stratified(digits: DataSplits) -> None:
    for part in (digits.train, digits.val, digits.test):
        counts = torch.bincount(part.tensors[1], minlength=10).float()
        share = counts / counts.sum()
        assert torch.all((share - 0.1).abs() < 0.01)


def test_limit_caps_the_train_pool_only(digits: DataSplits) -> None:
    small = load_dataset("digits", limit=100)
    assert small.sizes() == {"train": 50, "val": 50, "test": 359}
    assert torch.equal(small.test.tensors[1], digits.test.tensors[1])

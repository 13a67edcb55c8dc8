"""load_dataset's options, names and errors; the stratified splitter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from dagnas.data import DATASETS, load_dataset
from dagnas.data.splits import stratified_split
from dagnas.errors import DagnasError, DataError


def test_datasets_lists_every_builtin() -> None:
    assert set(DATASETS) == {
        "digits",
        "mnist",
        "fashion_mnist",
        "cifar10",
        "cifar100",
        "mnist1d",
        "folder",
    }
    assert all(isinstance(v, str) and "\n" not in v for v in DATASETS.values())


@pytest.mark.parametrize(
    ("name", "guess"),
    [("mnst", "mnist"), ("cifar", "cifar10"), ("digit", "digits"), ("fashion", "fashion_mnist")],
)
def test_unknown_name_suggests_the_closest(name: str, guess: str) -> None:
    with pytest.raises(DataError) as err:
        load_dataset(name)
    msg = str(err.value)
    assert f"unknown dataset '{name}'" in msg
    assert f"did you mean '{guess}'" in msg
    assert all(known in msg for known in DATASETS)
    assert ".npz" in msg
    assert isinstance(err.value, DagnasError)


def test_unknown_name_without_close_match() -> None:
    with pytest.raises(DataError, match="unknown dataset 'imagenet'") as err:
        load_dataset("imagenet")
    assert "did you mean" not in str(err.value)


@pytest.mark.parametrize(
    "name", ["mnist", "fashion_mnist", "cifar10", "cifar100", "mnist1d", "folder"]
)
def test_file_datasets_need_a_root(name: str) -> None:
    with pytest.raises(DataError, match="--data-root DIR") as err:
        load_dataset(name)
    assert "never downloads" in str(err.value)


def test_root_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"does not exist.*MNIST/raw/"):
        load_dataset("mnist", tmp_path / "nope")


@pytest.mark.parametrize("alias", ["Fashion-MNIST", "FashionMNIST", "fashion-mnist"])
def test_name_aliases(alias: str, tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"fashion_mnist.*FashionMNIST/raw"):
        load_dataset(alias, tmp_path)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"val_fraction": 0.0}, "val_fraction must be strictly between 0 and 1"),
        ({"val_fraction": 1.0}, "val_fraction must be strictly between 0 and 1"),
        ({"val_fraction": "half"}, "val_fraction must be a number"),
        ({"limit": 1}, "limit must be an integer >= 2"),
        ({"limit": 10.5}, "limit must be an integer >= 2"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"limit": 3, "val_fraction": 0.1}, "cannot split 3 training examples"),
    ],
)
def test_bad_options(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(DataError, match=match):
        load_dataset("digits", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("n_first", [0, 1, 7, 50, 99, 100])
def test_stratified_split_partitions(n_first: int) -> None:
    y = np.repeat(np.arange(4), [10, 20, 30, 40])
    first, rest = stratified_split(y, n_first, np.random.default_rng(0))
    assert len(first) == n_first
    assert np.array_equal(np.sort(np.concatenate([first, rest])), np.arange(100))
    assert np.all(np.diff(first) > 0) and np.all(np.diff(rest) > 0)
    # every class gets its share, to within one example
    share = np.bincount(y[first], minlength=4)
    assert np.all(np.abs(share - np.array([10, 20, 30, 40]) * n_first / 100) < 1)


def test_stratified_split_is_seeded() -> None:
    y = np.arange(1000) % 10
    a = stratified_split(y, 300, np.random.default_rng(1))[0]
    b = stratified_split(y, 300, np.random.default_rng(1))[0]
    c = stratified_split(y, 300, np.random.default_rng(2))[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_numpy_scalars_are_accepted_as_options() -> None:
    data = load_dataset(
        "digits", seed=np.int64(3), limit=np.int32(200), val_fraction=np.float32(0.3)
    )
    assert data.sizes() == {"train": 140, "val": 60, "test": 359}


def test_repr_is_short() -> None:
    text = repr(load_dataset("digits", limit=20))
    assert text == (
        "DataSplits(name='digits', train=10, val=10, test=359, input_shape=(1, 8, 8), "
        "num_classes=10)"
    )

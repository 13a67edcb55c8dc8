"""CIFAR-10 (batches folder or npz subset) and MNIST-1D (pickle)."""

from __future__ import annotations

import collections
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from dagnas.data import DataSplits, load_dataset
from dagnas.data.readers import CIFAR_BATCHES
from dagnas.errors import DataError
from tests.conftest import data_missing


@pytest.fixture(scope="module")
def cifar_npz(shared_data: Path) -> Path:
    path = shared_data / "CIFAR10-subset" / "cifar10_subset.npz"
    if not path.is_file():
        data_missing(f"CIFAR-10 subset not found at {path}")
    return path


@pytest.fixture(scope="module")
def cifar(shared_data: Path, cifar_npz: Path) -> DataSplits:
    return load_dataset("cifar10", shared_data)


def test_subset_npz_from_root(cifar: DataSplits) -> None:
    assert cifar.name == "cifar10"
    assert cifar.input_shape == (3, 32, 32) and cifar.num_classes == 10
    assert (len(cifar.train), len(cifar.val), len(cifar.test)) == (2000, 2000, 1000)
    # the test set keeps its original order: test_batch begins 3 8 8 0 6 6 1 6 3 1
    assert cifar.test.tensors[1][:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]
    x = cifar.train.tensors[0]
    assert x.shape[1:] == (3, 32, 32) and x.is_contiguous()
    assert torch.allclose(x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(x.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-3)


def test_pixels_are_nhwc_transposed_and_scaled_per_channel(
    cifar: DataSplits, cifar_npz: Path
) -> None:
    raw = np.load(cifar_npz)["x_test"][:50].transpose(0, 3, 1, 2).astype(np.float64)
    x = cifar.test.tensors[0][:50].double().numpy()
    for c in range(3):
        slope, offset = np.polyfit(raw[:, c].ravel(), x[:, c].ravel(), 1)
        assert slope > 0
        assert np.allclose(slope * raw[:, c] + offset, x[:, c], atol=1e-4)


def test_root_may_be_the_subset_folder(cifar_npz: Path) -> None:
    data = load_dataset("cifar10", cifar_npz.parent, limit=20)
    assert data.sizes() == {"train": 10, "val": 10, "test": 1000}


def _write_batches(folder: Path, n: int = 20) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i, name in enumerate(CIFAR_BATCHES):
        batch = {
            b"batch_label": name.encode(),
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": [(i + j) % 10 for j in range(n)],
            b"filenames": [f"img{j}.png".encode() for j in range(n)],
        }
        with (folder / name).open("wb") as f:
            pickle.dump(batch, f, protocol=2)


def test_batches_layout(tmp_path: Path) -> None:
    _write_batches(tmp_path / "cifar-10-batches-py")
    data = load_dataset("cifar10", tmp_path)
    assert data.input_shape == (3, 32, 32)
    assert (len(data.train), len(data.val), len(data.test)) == (50, 50, 20)
    assert data.test.tensors[1].tolist() == [(5 + j) % 10 for j in range(20)]


def test_batches_folder_may_be_the_root(tmp_path: Path) -> None:
    _write_batches(tmp_path / "cifar-10-batches-py")
    data = load_dataset("cifar10", tmp_path / "cifar-10-batches-py")
    assert len(data.test) == 20


def test_any_npz_with_cifar_shapes_is_found(
    tiny_arrays: Callable[..., dict[str, np.ndarray]], save_npz: Callable[..., Path]
) -> None:
    save_npz(tiny_arrays((28, 28)), "mnist_like.npz")  # wrong image size: skipped
    path = save_npz(tiny_arrays((32, 32, 3)), "mine.npz")
    data = load_dataset("cifar10", path.parent)
    assert data.input_shape == (3, 32, 32) and data.num_classes == 4


def test_missing_cifar_names_both_layouts(
    tmp_path: Path, tiny_arrays: Callable[..., dict[str, np.ndarray]]
) -> None:
    np.savez(tmp_path / "other.npz", **tiny_arrays((28, 28)))
    with pytest.raises(DataError) as err:
        load_dataset("cifar10", tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "cifar-10-batches-py") in msg
    assert all(b in msg for b in CIFAR_BATCHES)
    assert str(tmp_path / "CIFAR10-subset" / "cifar10_subset.npz") in msg
    assert "x_train, y_train, x_test, y_test" in msg and "--data-root" in msg


def test_mnist1d(shared_data: Path) -> None:
    if not (shared_data / "mnist1d" / "mnist1d_data.pkl").is_file():
        data_missing("mnist1d_data.pkl not in shared/data")
    data = load_dataset("mnist1d", shared_data)
    assert data.input_shape == (40,) and data.num_classes == 10
    assert (len(data.train), len(data.val), len(data.test)) == (2000, 2000, 1000)
    x = data.train.tensors[0]
    assert x.dtype == torch.float32 and x.shape == (2000, 40)
    assert torch.allclose(x.mean(0), torch.zeros(40), atol=1e-5)
    assert torch.allclose(x.std(0, correction=0), torch.ones(40), atol=1e-4)


def test_mnist1d_missing(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"expected .*mnist1d/mnist1d_data\.pkl"):
        load_dataset("mnist1d", tmp_path)


def test_pickle_with_other_classes_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mnist1d").mkdir()
    with (tmp_path / "mnist1d" / "mnist1d_data.pkl").open("wb") as f:
        pickle.dump(collections.OrderedDict(x=np.zeros((4, 40))), f)
    with pytest.raises(DataError, match=r"refusing to load 'collections\.OrderedDict'"):
        load_dataset("mnist1d", tmp_path)

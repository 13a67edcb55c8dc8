"""CIFAR-100's python layout, on a tiny fake set written in the real format."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from dagnas.data import load_dataset
from dagnas.errors import DataError


def write_cifar100(folder: Path, n_train: int = 200, n_test: int = 100) -> None:
    """``train``, ``test`` and ``meta`` as cifar-100-python.tar.gz holds them."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for part, n in (("train", n_train), ("test", n_test)):
        fine = [j % 100 for j in range(n)]
        batch = {
            b"filenames": [f"img_{j}.png".encode() for j in range(n)],
            b"batch_label": f"{part} batch".encode(),
            b"fine_labels": fine,
            b"coarse_labels": [f // 5 for f in fine],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
        }
        with (folder / part).open("wb") as f:
            pickle.dump(batch, f, protocol=2)
    meta = {
        b"fine_label_names": [f"class{i}".encode() for i in range(100)],
        b"coarse_label_names": [f"super{i}".encode() for i in range(20)],
    }
    with (folder / "meta").open("wb") as f:
        pickle.dump(meta, f, protocol=2)


@pytest.mark.parametrize("sub", [".", "cifar-100-python"])
def test_reads_fine_labels(tmp_path: Path, sub: str) -> None:
    write_cifar100(tmp_path / "cifar-100-python")
    data = load_dataset("cifar100", tmp_path / sub)
    assert data.name == "cifar100" and data.num_classes == 100
    assert data.input_shape == (3, 32, 32)
    assert data.sizes() == {"train": 100, "val": 100, "test": 100}
    assert data.test.tensors[1].tolist() == list(range(100))  # fine, in file order


def test_pixels_are_rows_of_channel_planes(tmp_path: Path) -> None:
    write_cifar100(tmp_path / "cifar-100-python")
    with (tmp_path / "cifar-100-python" / "test").open("rb") as f:
        raw = pickle.load(f, encoding="bytes")[b"data"][0].reshape(3, 32, 32) / 255
    data = load_dataset("cifar100", tmp_path, normalise="published")
    mean, std = (np.array(v)[:, None, None] for v in (data.mean, data.std))
    assert np.allclose(data.test.tensors[0][0].numpy(), (raw - mean) / std, atol=1e-5)


def test_alias_and_limit(tmp_path: Path) -> None:
    write_cifar100(tmp_path / "cifar-100-python")
    data = load_dataset("CIFAR-100", tmp_path, limit=100)
    assert data.sizes() == {"train": 50, "val": 50, "test": 100}


def test_missing_folder_names_the_layout(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_dataset("cifar100", tmp_path)
    msg = str(err.value)
    assert str(tmp_path / "cifar-100-python") in msg
    assert "train, test, meta" in msg and "--data-root" in msg


def test_a_partial_folder_names_what_is_missing(tmp_path: Path) -> None:
    write_cifar100(tmp_path / "cifar-100-python")
    (tmp_path / "cifar-100-python" / "meta").unlink()
    with pytest.raises(DataError, match=r"missing: meta"):
        load_dataset("cifar100", tmp_path)


def test_wrong_content_is_reported(tmp_path: Path) -> None:
    write_cifar100(tmp_path / "cifar-100-python")
    with (tmp_path / "cifar-100-python" / "train").open("wb") as f:
        pickle.dump({b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(DataError, match=r"train: expected a dict with b'data' and b'fine_labels'"):
        load_dataset("cifar100", tmp_path)

"""MNIST and Fashion-MNIST from torchvision's folder layout, .gz or extracted."""

from __future__ import annotations

import gzip
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
import torch

from dagnas.data import load_dataset
from dagnas.data.readers import IDX_FILES, read_idx
from dagnas.errors import DataError

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]


def snapshot(root: Path) -> dict[str, tuple[int, int, int]]:
    """Every path under ``root`` with its size, mtime and mode."""
    return {
        str(p.relative_to(root)): (st.st_size, st.st_mtime_ns, st.st_mode)
        for p in sorted(root.rglob("*"))
        for st in [p.stat()]
    }


@pytest.fixture(scope="module")
def extracted_root(mnist_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root whose MNIST/raw/ holds the extracted IDX files, no .gz."""
    root = tmp_path_factory.mktemp("extracted")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in mnist_raw.glob("*.gz"):
        with gzip.open(gz, "rb") as f, (raw / gz.stem).open("wb") as g:
            shutil.copyfileobj(f, g)
    return root


def test_label_counts_of_the_full_train_set(mnist_raw: Path) -> None:
    labels = read_idx(mnist_raw / "train-labels-idx1-ubyte.gz")
    assert labels.shape == (60000,)
    assert np.bincount(labels).tolist() == MNIST_TRAIN_COUNTS


def test_full_load_from_gz(shared_data: Path) -> None:
    data = load_dataset("mnist", shared_data)
    assert data.input_shape == (1, 28, 28) and data.num_classes == 10
    assert (len(data.train), len(data.val), len(data.test)) == (30000, 30000, 10000)
    y = torch.cat([data.train.tensors[1], data.val.tensors[1]])
    assert torch.bincount(y).tolist() == MNIST_TRAIN_COUNTS
    x = data.train.tensors[0]
    assert x.dtype == torch.float32 and x.is_contiguous()
    assert abs(x.mean().item()) < 1e-4 and x.std().item() == pytest.approx(1.0, abs=1e-3)


def test_limit_draws_a_balanced_random_subset(shared_data: Path) -> None:
    data = load_dataset("mnist", shared_data, limit=200, seed=3)
    assert data.sizes() == {"train": 100, "val": 100, "test": 10000}  # the test set is whole
    counts = torch.bincount(torch.cat([data.train.tensors[1], data.val.tensors[1]]))
    assert counts.min() >= 18 and counts.max() <= 23  # stratified: about 20 of each
    test_labels = read_idx(shared_data / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz")
    assert np.array_equal(data.test.tensors[1].numpy(), test_labels)


def test_seed_changes_the_train_val_split(extracted_root: Path) -> None:
    a = load_dataset("mnist", extracted_root, limit=100, seed=0)
    b = load_dataset("mnist", extracted_root, limit=100, seed=0)
    c = load_dataset("mnist", extracted_root, limit=100, seed=1)
    assert torch.equal(a.val.tensors[0], b.val.tensors[0])
    assert not torch.equal(a.val.tensors[0], c.val.tensors[0])


@pytest.mark.parametrize("sub", [".", "MNIST", "MNIST/raw"])
def test_root_may_point_at_any_level(extracted_root: Path, sub: str) -> None:
    data = load_dataset("mnist", extracted_root / sub, limit=50)
    assert data.input_shape == (1, 28, 28) and len(data.train) == 25


def test_read_only_root_is_left_untouched(mnist_raw: Path, tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in mnist_raw.glob("*.gz"):
        shutil.copy(gz, raw / gz.name)
        (raw / gz.name).chmod(stat.S_IRUSR | stat.S_IRGRP)
    for d in (raw, raw.parent, tmp_path):
        d.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        before = snapshot(tmp_path)
        data = load_dataset("mnist", tmp_path, limit=100)
        assert snapshot(tmp_path) == before
    finally:
        for d in (tmp_path, raw.parent, raw):
            d.chmod(stat.S_IRWXU)
    assert len(data.train) == 50


def test_shared_root_is_left_untouched(shared_data: Path) -> None:
    before = snapshot(shared_data)
    load_dataset("mnist", shared_data, limit=20)
    assert snapshot(shared_data) == before


def test_extracted_layout_matches_gz(shared_data: Path, extracted_root: Path) -> None:
    assert not list(extracted_root.rglob("*.gz"))
    a = load_dataset("mnist", extracted_root, limit=300, seed=5)
    b = load_dataset("mnist", shared_data, limit=300, seed=5)
    for part_a, part_b in ((a.train, b.train), (a.val, b.val), (a.test, b.test)):
        assert torch.equal(part_a.tensors[0], part_b.tensors[0])
        assert torch.equal(part_a.tensors[1], part_b.tensors[1])


def test_fashion_mnist_reads_its_own_folder(mnist_raw: Path, tmp_path: Path) -> None:
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for gz in mnist_raw.glob("*.gz"):
        os.symlink(gz, raw / gz.name)  # same format; the content does not matter here
    data = load_dataset("fashion_mnist", tmp_path, limit=40)
    assert data.name == "fashion_mnist" and data.input_shape == (1, 28, 28)
    with pytest.raises(DataError, match="MNIST/raw"):
        load_dataset("mnist", tmp_path)


def test_missing_folder_lists_expected_files(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_dataset("mnist", tmp_path)
    msg = str(err.value)
    for stem in IDX_FILES.values():
        assert f"{tmp_path / 'MNIST' / 'raw' / stem}[.gz]" in msg
    assert "--data-root" in msg
    assert "torchvision" in msg


def test_partial_folder_names_the_missing_file(mnist_raw: Path, tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in list(IDX_FILES.values())[:3]:
        os.symlink(mnist_raw / f"{stem}.gz", raw / f"{stem}.gz")
    with pytest.raises(DataError, match=r"missing in .*raw: t10k-labels-idx1-ubyte\."):
        load_dataset("mnist", tmp_path)


def test_truncated_file_is_reported(mnist_raw: Path, tmp_path: Path) -> None:
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in IDX_FILES.values():
        os.symlink(mnist_raw / f"{stem}.gz", raw / f"{stem}.gz")
    (raw / "t10k-labels-idx1-ubyte.gz").unlink()
    labels = gzip.decompress((mnist_raw / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (raw / "t10k-labels-idx1-ubyte").write_bytes(labels[:-10])
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte: header says shape"):
        load_dataset("mnist", tmp_path)


def test_not_an_idx_file(tmp_path: Path) -> None:
    bad = tmp_path / "x"
    bad.write_bytes(b"hello world")
    with pytest.raises(DataError, match="not an IDX file"):
        read_idx(bad)

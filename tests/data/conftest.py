"""Fixtures for the data tests: files in the offline datasets (``shared_data``) and arrays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import data_missing


@pytest.fixture(scope="session")
def mnist_raw(shared_data: Path) -> Path:
    """``shared/data/MNIST/raw`` with the 4 original ``.gz`` files."""
    raw = shared_data / "MNIST" / "raw"
    if not (raw / "train-images-idx3-ubyte.gz").is_file():
        data_missing(f"MNIST .gz files not found in {raw}")
    return raw


@pytest.fixture
def tiny_arrays() -> Callable[..., dict[str, np.ndarray]]:
    """Factory: random x_train/y_train/x_test/y_test of a given example shape."""

    def make(
        x_shape: tuple[int, ...],
        n_train: int = 40,
        n_test: int = 20,
        k: int = 4,
        dtype: type = np.uint8,
    ) -> dict[str, np.ndarray]:
        rng = np.random.default_rng(0)
        return {
            "x_train": (rng.random((n_train, *x_shape)) * 255).astype(dtype),
            "y_train": np.arange(n_train) % k,
            "x_test": (rng.random((n_test, *x_shape)) * 255).astype(dtype),
            "y_test": np.arange(n_test) % k,
        }

    return make


@pytest.fixture
def save_npz(tmp_path: Path) -> Callable[..., Path]:
    """Factory: write arrays to ``tmp_path/NAME`` with ``np.savez``; returns the path."""

    def save(arrays: dict[str, np.ndarray], name: str = "data.npz") -> Path:
        path = tmp_path / name
        np.savez(path, **arrays)
        return path

    return save

"""Checked in-memory datasets: the form every reader hands to the splitter.

A reader returns a :class:`RawData`; :func:`check_arrays` is where user
arrays (``.npz``, pickles) are validated and brought to NCHW / (N, D).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from dagnas.errors import DataError

KEYS = ("x_train", "y_train", "x_test", "y_test")


@dataclass(frozen=True)
class RawData:
    """One dataset's official train and test arrays, not yet split or scaled.

    ``x_*`` are (N, C, H, W) images or (N, D) vectors of any real dtype
    (uint8 means pixel values 0..255); ``y_*`` are int64 labels in
    ``0..num_classes-1``.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    source: str  # file or folder the arrays came from, for messages


def to_nchw(x: np.ndarray) -> np.ndarray:
    """Images as (N, C, H, W): NHWC is detected, (N, H, W) gets one channel.

    A 4-D array whose last dim is 1, 3 or 4 and whose second dim is not is
    NHWC; any other 4-D array is taken to be NCHW already. Returns a view.
    """
    if x.ndim == 3:
        return x[:, None]
    if x.ndim == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
        return x.transpose(0, 3, 1, 2)
    return x


def check_labels(y: np.ndarray, where: str) -> np.ndarray:
    """``y`` as a 1-D int64 array; non-integer values are a DataError."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(f"{where}: expected 1-D labels of shape (N,), found shape {y.shape}")
    if y.dtype == np.bool_ or not np.issubdtype(y.dtype, np.number):
        raise DataError(
            f"{where}: expected integer class labels, found dtype {y.dtype}; "
            "map the classes to 0..K-1 and save them with y.astype('int64')"
        )
    if not np.issubdtype(y.dtype, np.integer):
        bad = ~np.isfinite(y) | (y != np.round(y))
        if bad.any():
            raise DataError(
                f"{where}: expected integer class labels, found non-integer value "
                f"{y[bad][0].item()!r} (dtype {y.dtype}); labels must be class indices 0..K-1"
            )
    return y.astype(np.int64)


def check_arrays(
    arrays: Mapping[str, np.ndarray], source: str, found: list[str] | None = None
) -> RawData:
    """Validate ``x_train, y_train, x_test, y_test`` read from ``source``.

    Checks presence, emptiness, x/y lengths, dtypes, labels ``0..K-1`` and
    that train and test examples have one shape; images become NCHW.
    ``found`` names every key the file holds, for the missing-key message.
    """
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        found_text = ", ".join(sorted(arrays if found is None else found)) or "none"
        raise DataError(
            f"{source}: missing key(s) {', '.join(missing)}; expected {', '.join(KEYS)} "
            f"(found: {found_text}). Save with np.savez(path, x_train=..., y_train=..., "
            "x_test=..., y_test=...)"
        )
    xs = {k: np.asarray(arrays[k]) for k in KEYS}
    for k in KEYS:
        if xs[k].size == 0 or xs[k].ndim == 0:
            raise DataError(f"{source}: key '{k}' is empty (shape {xs[k].shape})")
    for part in ("train", "test"):
        x, y = xs[f"x_{part}"], xs[f"y_{part}"]
        if len(x) != len(y):
            raise DataError(
                f"{source}: 'x_{part}' has {len(x)} examples but 'y_{part}' has {len(y)} "
                "labels; they must have the same length"
            )
        _check_features(x, f"{source}: key 'x_{part}'")
    if xs["x_train"].shape[1:] != xs["x_test"].shape[1:]:
        raise DataError(
            f"{source}: 'x_train' examples have shape {xs['x_train'].shape[1:]} but 'x_test' "
            f"examples have shape {xs['x_test'].shape[1:]}; they must match"
        )
    y_train = check_labels(xs["y_train"], f"{source}: key 'y_train'")
    y_test = check_labels(xs["y_test"], f"{source}: key 'y_test'")
    num_classes = _check_classes(y_train, y_test, source)
    return RawData(
        to_nchw(xs["x_train"]), y_train, to_nchw(xs["x_test"]), y_test, num_classes, source
    )


def _check_features(x: np.ndarray, where: str) -> None:
    if x.ndim not in (2, 3, 4):
        raise DataError(
            f"{where}: expected (N, D) vectors, (N, H, W) images or 4-D NHWC/NCHW images, "
            f"found shape {x.shape}"
        )
    if x.dtype == np.bool_ or not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{where}: expected numeric data, found dtype {x.dtype}")
    if np.iscomplexobj(x):
        raise DataError(f"{where}: expected real numbers, found dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.floating) and not np.isfinite(x).all():
        raise DataError(f"{where}: contains NaN or infinite values; clean them before saving")


def _check_classes(y_train: np.ndarray, y_test: np.ndarray, source: str) -> int:
    """K, where the training labels must be exactly ``0..K-1``."""
    present = np.unique(y_train)
    k = int(present[-1]) + 1
    if present[0] < 0 or len(present) != k:
        gaps = sorted(set(range(max(k, 0))) - set(present.tolist()))[:5]
        detail = f"missing classes {gaps}" if present[0] >= 0 else "negative labels"
        raise DataError(
            f"{source}: key 'y_train': labels must be the class indices 0..K-1 with every "
            f"class present, found {len(present)} distinct values in "
            f"{int(present[0])}..{int(present[-1])} ({detail}); "
            "remap them, e.g. with np.unique(y, return_inverse=True)"
        )
    if k < 2:
        raise DataError(
            f"{source}: key 'y_train': the labels hold one class (0); a classifier needs at"
            " least two: add the examples of the other classes"
        )
    bad = (y_test < 0) | (y_test >= k)
    if bad.any():
        raise DataError(
            f"{source}: key 'y_test': label {int(y_test[bad][0])} is outside the training "
            f"classes 0..{k - 1}"
        )
    return k

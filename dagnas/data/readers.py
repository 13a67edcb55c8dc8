"""Readers for the on-disk dataset layouts: IDX, CIFAR-10/100 pickles, MNIST-1D, npz.

Each ``read_*`` takes a data root (or a file) and returns a checked
:class:`RawData`. Readers only read: they never write into the root and
never download.
"""

from __future__ import annotations

import codecs
import functools
import gzip
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from dagnas.data.arrays import KEYS, RawData, check_arrays, check_labels, to_nchw
from dagnas.data.splits import stratified_split
from dagnas.errors import DataError

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
CIFAR_BATCHES = (*(f"data_batch_{i}" for i in range(1, 6)), "test_batch")
CIFAR100_FILES = ("train", "test", "meta")
CIFAR_NPZ = Path("CIFAR10-subset") / "cifar10_subset.npz"
#: how a zip archive (an .npz, an empty one included) begins
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
MNIST1D_PKL = Path("mnist1d") / "mnist1d_data.pkl"
ROOT_HINT = "pass --data-root DIR (root=DIR from Python); dagnas never downloads"


def read_digits(test_fraction: float = 0.2) -> RawData:
    """scikit-learn's embedded 8×8 digits, (N, 1, 8, 8) float32 in [0, 1].

    The test split is fixed: stratified, drawn with seed 0 whatever the run's
    seed, so every run on ``digits`` is scored on the same 359 images.
    """
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images[:, None] / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    n_test = round(test_fraction * len(y))
    test, train = stratified_split(y, n_test, np.random.default_rng(0))
    return RawData(x[train], y[train], x[test], y[test], 10, "sklearn.datasets.load_digits")


# --------------------------------------------------------------------- IDX


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (``.gz`` or extracted) as a read-only uint8 array."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                buf = f.read()
        else:
            buf = path.read_bytes()
    except (OSError, EOFError) as e:
        raise DataError(f"{path}: cannot read ({e}); the file is corrupt or truncated") from None
    if len(buf) < 4 or buf[0] != 0 or buf[1] != 0 or buf[2] != 0x08:
        raise DataError(f"{path}: not an IDX file of unsigned bytes (bad magic number)")
    ndim = buf[3]
    start = 4 + 4 * ndim
    dims = tuple(int.from_bytes(buf[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(buf) != start + int(np.prod(dims)):
        raise DataError(
            f"{path}: header says shape {dims} ({int(np.prod(dims))} bytes) but the file "
            f"holds {len(buf) - start}; the file is truncated, extract or copy it again"
        )
    return np.frombuffer(buf, np.uint8, offset=start).reshape(dims)


def _find_file(folder: Path, stem: str) -> Path | None:
    for path in (folder / stem, folder / f"{stem}.gz"):
        if path.is_file():
            return path
    return None


def read_mnist_like(root: Path, folder: str, name: str) -> RawData:
    """MNIST-format IDX files from ``root/folder/raw/``, ``root/raw/`` or ``root``."""
    candidates = [root / folder / "raw", root / "raw", root]
    found: dict[Path, dict[str, Path]] = {}
    for d in candidates:
        files = {k: p for k, stem in IDX_FILES.items() if (p := _find_file(d, stem))}
        if len(files) == len(IDX_FILES):
            return _read_idx_set(files, d)
        found[d] = files
    best = max(candidates, key=lambda d: len(found[d]))
    if not found[best]:
        best = candidates[0]
    expected = "\n".join(f"  {best / stem}[.gz]" for stem in IDX_FILES.values())
    missing = [IDX_FILES[k] for k in IDX_FILES if k not in found[best]]
    raise DataError(
        f"{name}: dataset files not found under {root}; expected torchvision's layout "
        f"{folder}/raw/ with these 4 IDX files (each either .gz or extracted):\n{expected}\n"
        f"missing in {best}: {', '.join(missing)}. Copy the files there, or {ROOT_HINT}; "
        f"DIR may be the folder holding {folder}/, {folder}/ itself, or its raw/ folder"
    )


def _read_idx_set(files: dict[str, Path], folder: Path) -> RawData:
    arrays = {k: read_idx(p) for k, p in files.items()}
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or len(y) == 0:
            raise DataError(
                f"{files[f'x_{part}']}: expected (N, H, W) images and N labels in "
                f"{files[f'y_{part}'].name}, found shapes {x.shape} and {y.shape}"
            )
        if y.max() > 9:
            raise DataError(f"{files[f'y_{part}']}: label {y.max()} is not a digit class 0..9")
    return RawData(
        arrays["x_train"][:, None],
        arrays["y_train"].astype(np.int64),
        arrays["x_test"][:, None],
        arrays["y_test"].astype(np.int64),
        10,
        str(folder),
    )


# ----------------------------------------------------------------- pickles


@functools.cache
def _numpy_globals() -> dict[tuple[str, str], Any]:
    try:
        import numpy._core.multiarray as multiarray
    except ImportError:  # numpy 1.x
        import numpy.core.multiarray as multiarray
    allowed: dict[tuple[str, str], Any] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("_codecs", "encode"): codecs.encode,
    }
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed[(module, "_reconstruct")] = multiarray._reconstruct
        allowed[(module, "scalar")] = multiarray.scalar
    return allowed


class _NumpyUnpickler(pickle.Unpickler):
    """Unpickles plain containers of numpy arrays and refuses any other class."""

    def find_class(self, module: str, name: str) -> Any:
        obj = _numpy_globals().get((module, name))
        if obj is None:
            raise pickle.UnpicklingError(f"refusing to load '{module}.{name}'")
        return obj


def read_pickle(path: Path, encoding: str = "ASCII") -> Any:
    """A pickle holding only builtins and numpy arrays."""
    try:
        with path.open("rb") as f:
            return _NumpyUnpickler(f, encoding=encoding).load()
    except (OSError, EOFError, pickle.UnpicklingError, ValueError) as e:
        raise DataError(
            f"{path}: cannot read as a pickle of numpy arrays ({e}); the file is corrupt "
            "or not the expected dataset file"
        ) from None


# --------------------------------------------------------- CIFAR-10, 100


def read_cifar10(root: Path) -> RawData:
    """CIFAR-10 from ``cifar-10-batches-py/`` or from an npz of 32×32×3 images."""
    for d in (root / "cifar-10-batches-py", root):
        if all((d / b).is_file() for b in CIFAR_BATCHES):
            return _read_cifar_batches(d)
    data = _find_cifar_npz(root)
    if data is not None:
        return data
    partial = [b for b in CIFAR_BATCHES if not (root / "cifar-10-batches-py" / b).is_file()]
    raise DataError(
        f"cifar10: dataset files not found under {root}; expected either\n"
        f"  (a) torchvision's layout {root / 'cifar-10-batches-py'}/ with "
        f"{', '.join(CIFAR_BATCHES)} (missing: {', '.join(partial)}), or\n"
        f"  (b) an .npz with keys {', '.join(KEYS)} and 32x32x3 images, at "
        f"{root / CIFAR_NPZ} or any {root}/*.npz or {root}/*/*.npz.\n"
        f"Copy the files there, or {ROOT_HINT}"
    )


def _read_cifar_batches(folder: Path) -> RawData:
    parts: dict[str, list[np.ndarray]] = {"x_train": [], "y_train": [], "x_test": [], "y_test": []}
    for batch in CIFAR_BATCHES:
        x, y = _read_cifar_pickle(folder / batch, b"labels")
        part = "test" if batch == "test_batch" else "train"
        parts[f"x_{part}"].append(x)
        parts[f"y_{part}"].append(y)
    arrays = {k: np.concatenate(v) for k, v in parts.items()}
    return check_arrays(arrays, str(folder))


def _read_cifar_pickle(path: Path, labels: bytes) -> tuple[np.ndarray, np.ndarray]:
    """One CIFAR python pickle: (N, 3, 32, 32) uint8 pixels and its ``labels`` key."""
    d = read_pickle(path, encoding="bytes")
    if not isinstance(d, dict) or b"data" not in d or labels not in d:
        raise DataError(f"{path}: expected a dict with b'data' and {labels!r}")
    x = np.asarray(d[b"data"], dtype=np.uint8)
    if x.ndim != 2 or x.shape[1] != 3 * 32 * 32 or len(x) != len(d[labels]):
        raise DataError(f"{path}: expected (N, 3072) pixels and N labels, found {x.shape}")
    return x.reshape(-1, 3, 32, 32), check_labels(np.asarray(d[labels]), str(path))


def read_cifar100(root: Path) -> RawData:
    """CIFAR-100 (fine labels) from ``cifar-100-python/{train,test,meta}``."""
    for d in (root / "cifar-100-python", root):
        if all((d / f).is_file() for f in CIFAR100_FILES):
            break
    else:
        d = root / "cifar-100-python"
        missing = [f for f in CIFAR100_FILES if not (d / f).is_file()]
        raise DataError(
            f"cifar100: dataset files not found under {root}; expected the python layout "
            f"{d}/ with {', '.join(CIFAR100_FILES)} (missing: {', '.join(missing)}), as "
            f"extracted from cifar-100-python.tar.gz. Copy the files there, or {ROOT_HINT}"
        )
    meta = read_pickle(d / "meta", encoding="bytes")
    names = meta.get(b"fine_label_names") if isinstance(meta, dict) else None
    if not isinstance(names, list) or not names:
        raise DataError(f"{d / 'meta'}: expected a dict with b'fine_label_names'")
    arrays: dict[str, np.ndarray] = {}
    for part in ("train", "test"):
        arrays[f"x_{part}"], arrays[f"y_{part}"] = _read_cifar_pickle(d / part, b"fine_labels")
    raw = check_arrays(arrays, str(d))
    if raw.num_classes > len(names):
        raise DataError(
            f"{d}: labels reach {raw.num_classes - 1} but meta names {len(names)} classes"
        )
    return raw


def _find_cifar_npz(root: Path) -> RawData | None:
    paths = [root] if root.is_file() else [root / CIFAR_NPZ]
    if root.is_dir():
        paths += sorted(root.glob("*.npz")) + sorted(root.glob("*/*.npz"))
    for path in dict.fromkeys(paths):
        if path.is_file() and _holds_cifar_arrays(path):
            return read_npz(path)
    return None


def _holds_cifar_arrays(path: Path) -> bool:
    """Whether ``path`` is an npz with the four keys and 32×32×3 training images."""
    try:
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return False
    if not isinstance(z, np.lib.npyio.NpzFile):
        return False
    with z:
        try:
            return set(KEYS) <= set(z.files) and to_nchw(z["x_train"]).shape[1:] == (3, 32, 32)
        except (OSError, ValueError, zipfile.BadZipFile, EOFError):
            return False


# ------------------------------------------------------------ MNIST-1D, npz


def read_mnist1d(root: Path) -> RawData:
    """MNIST-1D (vectors of 40) from ``root/mnist1d/mnist1d_data.pkl``."""
    candidates = [root] if root.is_file() else [root / MNIST1D_PKL, root / MNIST1D_PKL.name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        raise DataError(
            f"mnist1d: dataset file not found under {root}; expected {root / MNIST1D_PKL} "
            "(the pickle from github.com/greydanus/mnist1d, a dict with x, y, x_test, "
            f"y_test). Copy it there, or {ROOT_HINT}"
        )
    d = read_pickle(path)
    names = {"x_train": "x", "y_train": "y", "x_test": "x_test", "y_test": "y_test"}
    if not isinstance(d, dict) or not all(v in d for v in names.values()):
        keys = ", ".join(map(str, d)) if isinstance(d, dict) else type(d).__name__
        raise DataError(f"{path}: expected a dict with x, y, x_test, y_test, found {keys}")
    return check_arrays({k: np.asarray(d[v]) for k, v in names.items()}, str(path))


def read_npz(path: Path) -> RawData:
    """A user's ``.npz`` with ``x_train, y_train, x_test, y_test``, checked."""
    if not path.is_file():
        raise DataError(f"{path}: no such file; expected an .npz with keys {', '.join(KEYS)}")
    how = "write it with np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)"
    try:
        with path.open("rb") as f:
            head = f.read(len(np.lib.format.MAGIC_PREFIX))
        # np.load takes anything else for a pickle and blames allow_pickle: look first
        if head.startswith(np.lib.format.MAGIC_PREFIX):
            raise DataError(
                f"{path}: holds a single array (.npy), not an .npz of named arrays; {how}"
            )
        if not head.startswith(ZIP_MAGIC):
            raise DataError(
                f"{path}: not a NumPy .npz archive of arrays (a zip of the arrays"
                f" {', '.join(KEYS)}); {how}"
            )
        z = np.load(path, allow_pickle=False)
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path}: cannot read as .npz ({e}); {how}") from None
    with z:
        files = list(z.files)
        arrays = {k: _load_key(z, k, path) for k in files if k in KEYS}
    return check_arrays(arrays, str(path), found=files)


def _load_key(z: Any, key: str, path: Path) -> np.ndarray:
    try:
        return z[key]
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as e:  # e.g. object arrays
        raise DataError(f"{path}: key '{key}' cannot be loaded ({e}); store numbers") from None

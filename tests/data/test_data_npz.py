"""A user's own .npz: layouts it accepts and every problem it reports."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from dagnas.data import DataSplits, load_dataset
from dagnas.errors import DataError

Arrays = Callable[..., dict[str, np.ndarray]]
Save = Callable[..., Path]


def assert_same(a: DataSplits, b: DataSplits) -> None:
    for part_a, part_b in ((a.train, b.train), (a.val, b.val), (a.test, b.test)):
        assert torch.allclose(part_a.tensors[0], part_b.tensors[0], atol=1e-6)
        assert torch.equal(part_a.tensors[1], part_b.tensors[1])


def test_nhwc_images(tiny_arrays: Arrays, save_npz: Save) -> None:
    path = save_npz(tiny_arrays((8, 8, 3)))
    data = load_dataset(str(path))
    assert data.input_shape == (3, 8, 8) and data.num_classes == 4
    assert data.name == str(path.resolve())
    assert (len(data.train), len(data.val), len(data.test)) == (20, 20, 20)
    x = data.train.tensors[0]
    assert x.dtype == torch.float32 and x.is_contiguous()
    assert torch.allclose(x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert data.train.tensors[1].dtype == torch.int64


def test_nchw_equals_nhwc(tiny_arrays: Arrays, save_npz: Save) -> None:
    nhwc = tiny_arrays((8, 8, 3))
    nchw = {k: v.transpose(0, 3, 1, 2) if k.startswith("x") else v for k, v in nhwc.items()}
    a = load_dataset(str(save_npz(nhwc, "nhwc.npz")), seed=2)
    b = load_dataset(str(save_npz(nchw, "nchw.npz")), seed=2)
    assert b.input_shape == (3, 8, 8)
    assert_same(a, b)


def test_single_channel_hw_images(tiny_arrays: Arrays, save_npz: Save) -> None:
    hw = tiny_arrays((6, 5))
    nchw = {k: v[:, None] if k.startswith("x") else v for k, v in hw.items()}
    a = load_dataset(str(save_npz(hw, "hw.npz")))
    b = load_dataset(str(save_npz(nchw, "nchw.npz")))
    assert a.input_shape == (1, 6, 5)
    assert_same(a, b)


def test_uint8_is_scaled_before_normalising(tiny_arrays: Arrays, save_npz: Save) -> None:
    u8 = tiny_arrays((4, 4, 1))
    f = {k: v / 255.0 if k.startswith("x") else v for k, v in u8.items()}
    assert_same(load_dataset(str(save_npz(u8, "u8.npz"))), load_dataset(str(save_npz(f, "f.npz"))))


def test_vectors(tiny_arrays: Arrays, save_npz: Save) -> None:
    data = load_dataset(str(save_npz(tiny_arrays((7,), dtype=np.float64))), val_fraction=0.25)
    assert data.input_shape == (7,)
    assert (len(data.train), len(data.val)) == (30, 10)
    x = data.train.tensors[0]
    assert x.dtype == torch.float32 and x.shape == (30, 7)
    assert torch.allclose(x.mean(0), torch.zeros(7), atol=1e-5)
    assert torch.allclose(x.std(0, correction=0), torch.ones(7), atol=1e-4)


def test_constant_feature_is_only_centred(tiny_arrays: Arrays, save_npz: Save) -> None:
    arrays = tiny_arrays((3,), dtype=np.float32)
    arrays["x_train"][:, 1] = 5.0
    arrays["x_test"][:, 1] = 5.0
    data = load_dataset(str(save_npz(arrays)))
    assert torch.all(data.train.tensors[0][:, 1] == 0)
    assert torch.isfinite(data.test.tensors[0]).all()


def test_whole_float_labels_and_column_labels(tiny_arrays: Arrays, save_npz: Save) -> None:
    arrays = tiny_arrays((3,))
    arrays["y_train"] = arrays["y_train"].astype(np.float32)
    arrays["y_test"] = arrays["y_test"][:, None]
    data = load_dataset(str(save_npz(arrays)))
    assert data.test.tensors[1].shape == (20,) and data.num_classes == 4


def test_path_relative_to_root(tiny_arrays: Arrays, save_npz: Save) -> None:
    path = save_npz(tiny_arrays((3,)), "mine.npz")
    assert load_dataset("mine.npz", path.parent).name == str(path.resolve())


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"nope\.npz: no such \.npz file.*x_train"):
        load_dataset(str(tmp_path / "nope.npz"))


def _without(key: str) -> Callable[[dict[str, np.ndarray]], None]:
    return lambda a: a.pop(key)


def _set(key: str, value: Callable[[dict[str, np.ndarray]], np.ndarray]) -> Callable[..., None]:
    def edit(a: dict[str, np.ndarray]) -> None:
        a[key] = value(a)

    return edit


BAD_CASES = {
    "missing key": (
        _without("y_test"),
        ["missing key(s) y_test", "found: x_test, x_train, y_train"],
    ),
    "length mismatch": (
        _set("y_train", lambda a: a["y_train"][:-3]),
        ["'x_train' has 40 examples but 'y_train' has 37"],
    ),
    "fractional labels": (
        _set("y_train", lambda a: a["y_train"] + 0.5),
        ["key 'y_train'", "non-integer value 0.5"],
    ),
    "string labels": (
        _set("y_test", lambda a: a["y_test"].astype(str)),
        ["key 'y_test'", "expected integer class labels", "dtype <U"],
    ),
    "labels from 1": (
        _set("y_train", lambda a: a["y_train"] + 1),
        ["key 'y_train'", "0..K-1", "missing classes [0]"],
    ),
    "negative labels": (
        _set("y_train", lambda a: a["y_train"] - 1),
        ["key 'y_train'", "negative labels"],
    ),
    "test label unseen": (
        _set("y_test", lambda a: a["y_test"] + 2),
        ["key 'y_test'", "label 4 is outside the training classes 0..3"],
    ),
    "shape mismatch": (
        _set("x_test", lambda a: a["x_test"][:, :, :4]),
        ["'x_train' examples have shape (5, 5) but 'x_test' examples have shape (5, 4)"],
    ),
    "empty x": (
        _set("x_train", lambda a: a["x_train"][:0]),
        ["key 'x_train' is empty"],
    ),
    "empty y": (
        _set("y_test", lambda a: np.zeros(0, np.int64)),
        ["key 'y_test' is empty"],
    ),
    "1-D x": (
        _set("x_train", lambda a: a["x_train"][:, 0, 0]),
        ["key 'x_train'", "expected (N, D) vectors"],
    ),
    "NaN": (
        _set("x_test", lambda a: np.full(a["x_test"].shape, np.nan)),
        ["key 'x_test'", "NaN"],
    ),
    "2-D labels": (
        _set("y_train", lambda a: np.stack([a["y_train"]] * 2, 1)),
        ["key 'y_train'", "expected 1-D labels", "(40, 2)"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_npz_messages(case: str, tiny_arrays: Arrays, save_npz: Save) -> None:
    edit, fragments = BAD_CASES[case]
    arrays = tiny_arrays((5, 5))
    edit(arrays)
    path = save_npz(arrays, "bad.npz")
    with pytest.raises(DataError) as err:
        load_dataset(str(path))
    msg = str(err.value)
    assert str(path) in msg
    for fragment in fragments:
        assert fragment in msg


def test_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "junk.npz"
    path.write_text("not a zip")
    with pytest.raises(DataError, match=r"junk\.npz: not a NumPy \.npz archive.*np\.savez"):
        load_dataset(str(path))


def test_single_array_file_is_not_an_npz(tmp_path: Path) -> None:
    path = tmp_path / "one.npy"
    np.save(path, np.zeros(3))
    with pytest.raises(DataError, match="single array"):
        load_dataset(str(path))


def test_object_arrays_are_refused(tiny_arrays: Arrays, tmp_path: Path) -> None:
    arrays = tiny_arrays((3,))
    arrays["y_train"] = np.array([str(i) for i in arrays["y_train"]], dtype=object)
    np.savez(tmp_path / "obj.npz", **arrays)
    with pytest.raises(DataError, match=r"obj\.npz: key 'y_train' cannot be loaded"):
        load_dataset(str(tmp_path / "obj.npz"))


def test_path_object_is_accepted(tiny_arrays: Arrays, save_npz: Save) -> None:
    path = save_npz(tiny_arrays((3,)), "mine.npz")
    assert load_dataset(path).name == str(path.resolve())  # type: ignore[arg-type]

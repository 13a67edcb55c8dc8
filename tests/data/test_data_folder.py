"""A user's image folder (ImageFolder layout), built from PNGs in tmp_path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dagnas.data import load_dataset, make_loader, materialise
from dagnas.errors import DataError

COLOURS = {"blue": (0, 0, 255), "green": (0, 255, 0), "red": (255, 0, 0)}


def write_pngs(folder: Path, per_class: int = 10, size: tuple[int, int] = (12, 10)) -> None:
    """``folder/<colour>/<i>.png``: noisy images of each class's colour, ``size`` = (W, H)."""
    rng = np.random.default_rng(0)
    for name, rgb in COLOURS.items():
        (folder / name).mkdir(parents=True)
        for i in range(per_class):
            noise = rng.integers(-20, 21, (size[1], size[0], 3))
            pixels = np.clip(np.array(rgb) + noise, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(folder / name / f"{i}.png")


def test_one_pool_is_split_into_train_val_test(tmp_path: Path) -> None:
    write_pngs(tmp_path)
    data = load_dataset(f"folder:{tmp_path}")
    assert data.name == f"folder:{tmp_path}" and data.num_classes == 3
    assert data.input_shape == (3, 10, 10)  # the shorter side, centre-cropped
    assert data.sizes() == {"train": 12, "val": 12, "test": 6}
    assert not data.in_memory
    x, y = data.train[0]
    assert x.shape == (3, 10, 10) and x.dtype == torch.float32 and type(x) is torch.Tensor
    assert 0 <= int(y) < 3


def test_labels_follow_the_folders(tmp_path: Path) -> None:
    write_pngs(tmp_path)
    data = materialise(load_dataset("folder", tmp_path))
    assert data.in_memory
    x, y = data.test.tensors
    # sorted class folders: blue 0, green 1, red 2 — the brightest channel is the label
    raw = x * torch.tensor(data.std).view(1, 3, 1, 1) + torch.tensor(data.mean).view(1, 3, 1, 1)
    brightest = raw.mean(dim=(2, 3)).argmax(1)
    assert torch.equal(brightest, torch.tensor([2, 1, 0])[y])


def test_normalised_with_the_train_statistics(tmp_path: Path) -> None:
    write_pngs(tmp_path)
    data = materialise(load_dataset(f"folder:{tmp_path}", seed=1))
    x = data.train.tensors[0]
    assert torch.allclose(x.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-4)
    assert torch.allclose(x.std(dim=(0, 2, 3), correction=0), torch.ones(3), atol=1e-3)


def test_given_train_and_test_folders_and_image_size(tmp_path: Path) -> None:
    write_pngs(tmp_path / "train", per_class=8)
    write_pngs(tmp_path / "test", per_class=2, size=(20, 30))
    data = load_dataset(f"folder:{tmp_path}", image_size=6, limit=12)
    assert data.input_shape == (3, 6, 6)
    assert data.sizes() == {"train": 6, "val": 6, "test": 6}  # limit: training pool only
    assert data.test[0][0].shape == (3, 6, 6)


def test_test_set_is_fixed_across_seeds(tmp_path: Path) -> None:
    write_pngs(tmp_path)
    a, b = (materialise(load_dataset(f"folder:{tmp_path}", seed=s)) for s in (0, 1))
    assert torch.equal(a.test.tensors[1], b.test.tensors[1])
    assert not torch.equal(a.val.tensors[1], b.val.tensors[1]) or not torch.equal(
        a.val.tensors[0], b.val.tensors[0]
    )


def test_loader_with_workers_reads_the_same_images(tmp_path: Path) -> None:
    write_pngs(tmp_path)
    data = load_dataset(f"folder:{tmp_path}")
    x0, y0 = next(iter(make_loader(data.train, 12)))
    x2, y2 = next(iter(make_loader(data.train, 12, workers=2)))
    assert torch.equal(x0, x2) and torch.equal(y0, y2)


def test_train_and_test_must_have_the_same_classes(tmp_path: Path) -> None:
    write_pngs(tmp_path / "train")
    write_pngs(tmp_path / "test")
    (tmp_path / "test" / "red" / "0.png").rename(tmp_path / "test" / "0.png")
    for png in (tmp_path / "test" / "red").iterdir():
        png.unlink()
    (tmp_path / "test" / "red").rmdir()
    with pytest.raises(DataError, match=r"train/ has classes .* but test/ has"):
        load_dataset(f"folder:{tmp_path}")


@pytest.mark.parametrize("make", ["empty", "flat", "missing"])
def test_not_an_image_folder(tmp_path: Path, make: str) -> None:
    if make == "flat":
        Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    root = tmp_path / "nope" if make == "missing" else tmp_path
    with pytest.raises(DataError) as err:
        load_dataset(f"folder:{root}")
    assert "one sub-folder per class" in str(err.value)

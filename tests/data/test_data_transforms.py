"""Augmentation by behaviour: crop windows, exact mirrors, cutout's area, seeds."""

from __future__ import annotations

import pydantic
import pytest
import torch

from dagnas.data import Augment, augment_batch, default_augment
from dagnas.data.transforms import Cutout, cutout_mask, train_transform


def images(n: int = 64, c: int = 3, h: int = 8, w: int = 8) -> torch.Tensor:
    """Distinct positive pixels, so every window and mirror is recognisable."""
    return torch.arange(1, n * c * h * w + 1, dtype=torch.float32).view(n, c, h, w)


def expected_cutout_area(length: int, h: int, w: int) -> float:
    """E[zeroed fraction] with the centre uniform and the square clipped at borders."""
    half = length // 2

    def mean_len(size: int) -> float:
        return sum(min(c + half, size) - max(c - half, 0) for c in range(size)) / size

    return mean_len(h) * mean_len(w) / (h * w)


def test_config_parses_and_forbids_typos() -> None:
    aug = Augment.model_validate({"crop": 4, "flip": True, "cutout": 16})
    assert (aug.crop, aug.flip, aug.cutout, aug.enabled) == (4, True, 16, True)
    assert not Augment().enabled
    with pytest.raises(pydantic.ValidationError):
        Augment.model_validate({"crop": 4, "flp": True})
    with pytest.raises(pydantic.ValidationError):
        Augment(crop=-1)


def test_defaults_per_dataset() -> None:
    assert default_augment("cifar10") == Augment(crop=4, flip=True)
    assert default_augment("cifar100") == Augment(crop=4, flip=True)
    assert default_augment("mnist") == Augment(crop=2)
    for name in ("digits", "mnist1d", "folder:/x", "/data/mine.npz"):
        assert not default_augment(name).enabled


def test_nothing_enabled_returns_the_batch_itself() -> None:
    x = images()
    assert augment_batch(x, Augment()) is x


def test_transformed_batch_differs_and_keeps_shape() -> None:
    x = images()
    out = augment_batch(x, Augment(crop=2, flip=True, cutout=4))
    assert out.shape == x.shape and out.dtype == x.dtype
    assert not torch.equal(out, x)
    assert torch.equal(x, images())  # the input is left alone


def test_flip_is_an_exact_mirror_or_nothing() -> None:
    x = images(200)
    out = augment_batch(x, Augment(flip=True), generator=torch.Generator().manual_seed(0))
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    same = (out == x).flatten(1).all(1)
    assert torch.all(mirrored ^ same)
    assert 70 < int(mirrored.sum()) < 130  # about half


def test_crop_is_a_window_of_the_padded_image_at_every_offset() -> None:
    pad, fill = 2, (-1.0, -2.0, -3.0)
    x = images(400)
    out = augment_batch(x, Augment(crop=pad), fill=fill, generator=torch.Generator().manual_seed(1))
    padded = torch.nn.functional.pad(x, (pad,) * 4)
    for c, v in enumerate(fill):
        padded[:, c][padded[:, c] == 0] = v
    seen = set()
    for i in range(len(x)):
        offsets = [
            (oy, ox)
            for oy in range(2 * pad + 1)
            for ox in range(2 * pad + 1)
            if torch.equal(out[i], padded[i, :, oy : oy + 8, ox : ox + 8])
        ]
        assert len(offsets) == 1
        seen.add(offsets[0])
    assert len(seen) == (2 * pad + 1) ** 2


@pytest.mark.parametrize(("length", "h", "w"), [(4, 8, 8), (5, 8, 8), (16, 32, 32), (6, 5, 9)])
def test_cutout_zeroes_the_expected_area_clipped_at_borders(length: int, h: int, w: int) -> None:
    x = torch.ones(4000, 2, h, w)
    out = augment_batch(x, Augment(cutout=length), generator=torch.Generator().manual_seed(2))
    zero = out == 0
    assert torch.equal(zero[:, 0], zero[:, 1])  # one square through every channel
    frac = zero.float().mean().item()
    assert frac == pytest.approx(expected_cutout_area(length, h, w), abs=0.01)
    side = (length // 2) * 2
    assert zero[:, 0].sum(dim=(1, 2)).max().item() == min(side, h) * min(side, w)


def test_cutout_square_is_contiguous() -> None:
    mask = cutout_mask(300, (9, 9), 4, generator=torch.Generator().manual_seed(3))
    for m in mask:
        rows, cols = m.any(1).nonzero().flatten(), m.any(0).nonzero().flatten()
        assert m.sum() == len(rows) * len(cols)  # a full rectangle
        assert torch.equal(rows, torch.arange(rows[0], rows[-1] + 1))
        assert torch.equal(cols, torch.arange(cols[0], cols[-1] + 1))


def test_per_image_cutout_matches_the_batched_statistics() -> None:
    torch.manual_seed(0)
    cut = Cutout(4)
    frac = torch.stack([(cut(torch.ones(1, 8, 8)) == 0).float().mean() for _ in range(3000)])
    assert frac.mean().item() == pytest.approx(expected_cutout_area(4, 8, 8), abs=0.01)


def test_seeded_generator_is_deterministic() -> None:
    aug, x = Augment(crop=2, flip=True, cutout=3), images()
    a = augment_batch(x, aug, generator=torch.Generator().manual_seed(5))
    b = augment_batch(x, aug, generator=torch.Generator().manual_seed(5))
    c = augment_batch(x, aug, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_vectors_are_refused() -> None:
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        augment_batch(torch.zeros(4, 10), Augment(flip=True))


def test_per_image_pipeline_flips_and_pads_with_fill() -> None:
    x = images(1)[0]
    torch.manual_seed(0)
    flips = [train_transform(Augment(flip=True), (8, 8))(x) for _ in range(40)]
    assert all(torch.equal(f, x) or torch.equal(f, x.flip(-1)) for f in flips)
    assert any(torch.equal(f, x.flip(-1)) for f in flips)
    crop = train_transform(Augment(crop=8), (8, 8), fill=(-1.0, -2.0, -3.0))
    out = torch.stack([crop(x) for _ in range(50)])
    for c, v in enumerate((-1.0, -2.0, -3.0)):
        assert torch.all((out[:, c] == v) | (out[:, c] > 0))
        assert (out[:, c] == v).any()

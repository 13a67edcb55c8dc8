"""The protocol's augmentation applied to a training batch (the seam's own
minimal implementation, until the data pipeline's is wired in)."""

from __future__ import annotations

import torch

from dagnas.training.augment import augment_batch
from dagnas.training.protocols import Augment


def gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_nothing_to_do_returns_the_batch_itself():
    x = torch.randn(4, 3, 8, 8)
    assert augment_batch(x, Augment(), gen()) is x
    vectors = torch.randn(4, 5)
    assert augment_batch(vectors, Augment(crop=2, flip=True), gen()) is vectors


def test_crop_shifts_each_image_within_the_padding():
    x = torch.arange(64.0).view(1, 1, 8, 8).repeat(200, 1, 1, 1) + 1
    y = augment_batch(x, Augment(crop=2), gen())
    assert y.shape == x.shape and not torch.equal(x, y)
    for img in y[:, 0]:  # some (dy, dx) in [-2, 2]² makes it the shifted original
        assert any(
            torch.equal(img, torch.roll(x[0, 0], (dy, dx), (0, 1)) * mask(dy, dx))
            for dy in range(-2, 3)
            for dx in range(-2, 3)
        )


def mask(dy: int, dx: int) -> torch.Tensor:
    m = torch.ones(8, 8)
    m[: max(dy, 0)], m[8 + min(dy, 0) :] = 0, 0
    m[:, : max(dx, 0)], m[:, 8 + min(dx, 0) :] = 0, 0
    return m


def test_flip_mirrors_about_half_of_the_images():
    x = torch.randn(2000, 1, 4, 4)
    y = augment_batch(x, Augment(flip=True), gen())
    flipped = (y == x.flip(-1)).flatten(1).all(1)
    assert ((y == x).flatten(1).all(1) | flipped).all()
    assert abs(flipped.float().mean().item() - 0.5) < 0.05


def test_cutout_zeroes_one_square_of_the_length_clipped_at_the_borders():
    x = torch.ones(3000, 2, 32, 32)
    y = augment_batch(x, Augment(cutout=16), gen())
    zeros = (y == 0).all(1)  # every channel zeroed together
    assert torch.equal((y == 0).any(1), zeros)
    counts = zeros.flatten(1).sum(1)
    assert counts.max() == 16 * 16 and counts.min() >= 8 * 8
    # DARTS's Cutout: the centre is uniform over the image, so the mean area of
    # [c - 8, c + 8) clipped to [0, 32) is (sum over c of its clipped length / 32)²
    side = sum(min(c + 8, 32) - max(c - 8, 0) for c in range(32)) / 32
    assert abs(counts.float().mean().item() - side**2) < 3


def test_the_draws_follow_the_generator():
    x = torch.randn(16, 3, 8, 8)
    aug = Augment(crop=2, flip=True, cutout=4)
    assert torch.equal(augment_batch(x, aug, gen(1)), augment_batch(x, aug, gen(1)))
    assert not torch.equal(augment_batch(x, aug, gen(1)), augment_batch(x, aug, gen(2)))

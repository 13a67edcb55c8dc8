"""Does the data pipeline starve training? Images/s of each loader vs of a training step.

On the CIFAR-10 subset in ``shared/data`` (4000 training images, 32×32×3),
augmented as DARTS retrains (crop 4, flip, cutout 16), batch 96:

- ``in-memory``: the splits' tensors on the device, a random batch indexed
  and augmented at once by :func:`dagnas.data.augment_batch` (no DataLoader);
- ``loader``: :func:`dagnas.data.make_loader` over the same tensors, the
  ``torchvision.transforms.v2`` pipeline run per image in ``workers``;
- ``folder``: the same images written as PNGs in an ``ImageFolder`` layout,
  decoded per image (``load_dataset("folder:...")``), then as ``loader``;
- ``train step``: forward, backward and SGD step of a small CNN on a batch
  already in memory (the consumer the loaders feed).

``vs_step`` is a loader's images/s over the training step's: above 1 the
loader keeps up with training run one after the other in one process (with
workers > 0 the two overlap).

    PYTHONPATH=. python -m benchmarks.data_pipeline [--data-root ../shared/data] [--seconds 3]

Prints a table; ``--result FILE`` writes the JSON.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from torch import nn

from benchmarks.common import ROOT, machine, pick_device, set_threads, table, write_json
from dagnas.data import Augment, DataSplits, augment_batch, load_dataset, make_loader

AUGMENT = Augment(crop=4, flip=True, cutout=16)


def small_cnn(classes: int) -> nn.Module:
    """Three conv-BN-ReLU layers (32, 64, 128 channels), pooling, a linear head."""
    layers: list[nn.Module] = []
    c_in = 3
    for c in (32, 64, 128):
        layers += [nn.Conv2d(c_in, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        layers.append(nn.MaxPool2d(2))
        c_in = c
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, classes))


def rate(batches: Iterator[Any], batch: int, seconds: float, device: str) -> float:
    """Images per second of drawing batches (moved to ``device``) for about ``seconds``."""
    next(batches)  # warm-up: workers start, caches fill
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        x = next(batches)[0].to(device, non_blocking=True)
        n += len(x)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return n / (time.perf_counter() - start)


def endless(make: Callable[[], Any]) -> Iterator[Any]:
    """Batches from ``make()`` (a DataLoader) epoch after epoch."""
    while True:
        yield from make()


def in_memory(data: DataSplits, batch: int, device: str) -> Iterator[Any]:
    """The fast path: index the device tensors, augment the batch on the device."""
    x, y = (t.to(device) for t in data.train.tensors)
    gen = torch.Generator(device).manual_seed(0)
    while True:
        idx = torch.randint(len(x), (batch,), generator=gen, device=device)
        yield augment_batch(x[idx], AUGMENT, fill=data.black, generator=gen), y[idx]


def train_steps(classes: int, batch: int, device: str) -> Iterator[Any]:
    """One SGD step of :func:`small_cnn` per item, on a fixed batch."""
    model = small_cnn(classes).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.025, momentum=0.9)
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = torch.randint(classes, (batch,), device=device)
    while True:
        opt.zero_grad(set_to_none=True)
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        yield x, y


def write_folder(data: DataSplits, root: Path, n: int) -> None:
    """The first ``n`` training images as PNGs in ``root/<label>/<i>.png``."""
    x, y = data.train.tensors
    mean, std = (torch.tensor(v).view(3, 1, 1) for v in (data.mean, data.std))
    for i in range(min(n, len(x))):
        pixels = ((x[i] * std + mean).clamp(0, 1) * 255).round().byte().permute(1, 2, 0)
        (root / str(int(y[i]))).mkdir(parents=True, exist_ok=True)
        Image.fromarray(pixels.numpy()).save(root / str(int(y[i])) / f"{i}.png")


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    data = load_dataset("cifar10", args.data_root)
    b, s, dev = args.batch, args.seconds, args.device
    workers = [int(w) for w in args.workers.split(",")]
    rows = [{"path": "train step", "images_per_s": rate(train_steps(10, b, dev), b, s, dev)}]
    rows.append({"path": "in-memory", "images_per_s": rate(in_memory(data, b, dev), b, s, dev)})

    def loader(split: Any, w: int) -> Iterator[Any]:
        opts = {"shuffle": True, "augment": AUGMENT, "fill": data.black, "workers": w}
        return endless(lambda: make_loader(split, b, **opts, drop_last=True))

    for w in workers:
        r = rate(loader(data.train, w), b, s, dev)
        rows.append({"path": "loader", "workers": w, "images_per_s": r})
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(data, Path(tmp), args.folder_images)
        folder = load_dataset(f"folder:{tmp}", workers=max(workers))
        for w in workers:
            r = rate(loader(folder.train, w), b, s, dev)
            rows.append({"path": "folder", "workers": w, "images_per_s": r})
    step = rows[0]["images_per_s"]
    for r in rows[1:]:
        r["vs_step"] = r["images_per_s"] / step
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = os.environ.get("DAGNAS_SHARED_DATA", str(ROOT.parent / "shared" / "data"))
    p.add_argument("--data-root", default=shared, help="holds CIFAR10-subset/")
    p.add_argument("--batch", type=int, default=96)
    p.add_argument("--seconds", type=float, default=3.0, help="timed seconds per row")
    p.add_argument("--workers", default="0,2", help="DataLoader workers to try")
    p.add_argument("--folder-images", type=int, default=2000, help="PNGs in the folder case")
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--result", help="write the JSON result here")
    args = p.parse_args(argv)
    args.device = pick_device(args.device)
    set_threads(args.threads)
    torch.manual_seed(0)
    rows = measure(args)
    print(table(rows, ["path", "workers", "images_per_s", "vs_step"]))
    if args.result:
        config = {k: v for k, v in vars(args).items() if k != "result"}
        write_json(args.result, {"config": config, "machine": machine(), "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

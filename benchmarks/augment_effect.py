"""Does augmentation help a short retraining? The ``quick`` protocol with and without it.

The same architecture (a DARTS genotype in the darts_cifar10 space, at the
size given) retrained on the CIFAR-10 subset in ``../shared/data`` (4000
training images, 1000 test images) by the ``quick`` protocol, once with its
augmentation (random crop, flip) and once with none, for several seeds;
test accuracy as mean ± std over the seeds, and the last epoch's training
loss. Writes JSON and prints a table:

    PYTHONPATH=. python -m benchmarks.augment_effect --out augment_effect.json
    PYTHONPATH=. python -m benchmarks.augment_effect --epochs 20 --cutout 16 --seeds 0 1 2
    PYTHONPATH=. python -m benchmarks.augment_effect --epochs 4 --limit 1000 --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, machine, pick_device, set_threads, table, write_json
from dagnas.data import load_dataset
from dagnas.export.fixed import from_genotype
from dagnas.spaces import load_space
from dagnas.training.protocols import get_protocol
from dagnas.training.retrain import retrain


def runs(args: argparse.Namespace) -> list[dict[str, Any]]:
    """One retraining per (augmentation on/off, seed): its settings and figures."""
    rows = []
    for augmented in args.sides:
        for seed in args.seeds:
            data = load_dataset("cifar10", args.data, seed=seed, limit=args.limit)
            spec = load_space("darts_cifar10")
            arch = from_genotype(args.genotype, spec, data.input_shape, data.num_classes)
            crop = {} if args.crop is None else {"crop": args.crop}
            augment = {"cutout": args.cutout, **crop} if augmented else {"crop": 0, "flip": False}
            protocol = get_protocol(
                "quick",
                epochs=args.epochs,
                channels=args.channels,
                layers=args.layers,
                seed=seed,
                augment=augment,
                eval_every=args.eval_every or args.epochs,
            )
            epochs: list[dict[str, Any]] = []
            result = retrain(
                arch, data, protocol=protocol, device=args.device, on_epoch=epochs.append
            )
            row = {"augmented": augmented, "seed": seed, **protocol.augment.model_dump()}
            figures = {k: result[k] for k in ("test_acc", "wall_time")}
            rows.append({**row, **figures, "train_loss": epochs[-1]["train_loss"]})
            print(
                f"augmented={augmented} seed={seed}: test acc {result['test_acc']:.4f},"
                f" last epoch's training loss {epochs[-1]['train_loss']:.3f}"
            )
    return rows


def summary(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for augmented in sorted({r["augmented"] for r in rows}, reverse=True):
        side = [r for r in rows if r["augmented"] == augmented]
        accs = [r["test_acc"] for r in side]
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        loss = statistics.mean(r["train_loss"] for r in side)
        out.append(
            {"augmented": augmented, "mean": statistics.mean(accs), "std": std, "train loss": loss}
        )
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shared = os.environ.get("DAGNAS_SHARED_DATA", ROOT.parent / "shared" / "data")
    p.add_argument("--data", type=Path, default=shared, help="folder holding CIFAR10-subset")
    p.add_argument("--genotype", default="DARTS_V2")
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--layers", type=int, default=5)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--limit", type=int, help="use N training images (default: all)")
    p.add_argument("--cutout", type=int, default=0, help="cutout length with augmentation")
    p.add_argument(
        "--crop", type=int, help="crop padding with augmentation (default: the preset's; 0: off)"
    )
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument(
        "--eval-every", type=int, help="epochs between test scorings (default: the last only)"
    )
    p.add_argument(
        "--only", choices=["with", "without"], help="one side (e.g. sides in parallel processes)"
    )
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int)
    p.add_argument("--out", default="augment_effect.json")
    args = p.parse_args()
    args.sides = [s for s in (True, False) if args.only in (None, "with" if s else "without")]
    set_threads(args.threads)
    args.device = pick_device(args.device)
    rows = runs(args)
    means = summary(rows)
    names = ("genotype", "channels", "layers", "epochs", "limit", "cutout", "crop")
    settings = {k: getattr(args, k) for k in names}
    write_json(
        args.out, {"machine": machine(), "settings": settings, "summary": means, "runs": rows}
    )
    print(table(means, ["augmented", "mean", "std", "train loss"]))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

"""Mixed precision, channels-last and torch.compile: one training step, with and without.

``--target retrain`` (the default): a retraining step
(:meth:`dagnas.training.retrain.Retraining.train_step`: augmentation,
forward with the auxiliary head and drop-path, backward, gradient
clipping, SGD) of the DARTS_V2 network on random CIFAR-shaped batches.
``--target search``: a search step (architecture step, then weight step:
``search.accel``) of the darts_digits supernet, as ``dagnas run`` searches
it, on random digits-shaped batches. Each accelerator setting runs in its own
process, so its peak memory is its own (resident memory on a CPU, allocated
memory on a GPU). On a CPU one intra-op thread is the default: with more,
a machine shared with other processes makes every step wait for a
descheduled partner thread, many times slower in either memory format,
and settings timed at different moments would compare the load, not the
setting; the one-minute load average is recorded beside each row, and the
settings without compile are timed once more in one process, taking turns
each round (``turns``: ``speedup_in_turns``, the median of the per-round
speedups over fp32). Writes JSON and prints a table:

    PYTHONPATH=. python -m benchmarks.precision --out precision.json
    PYTHONPATH=. python -m benchmarks.precision --target search --batch 64 --compile
    PYTHONPATH=. python -m benchmarks.precision --device cuda --channels 36 --layers 20 --batch 96
    PYTHONPATH=. python -m benchmarks.precision one --precision bf16 --result one.json
    PYTHONPATH=. python -m benchmarks.precision turns --target search --result turns.json
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import torch
from torch.utils.data import TensorDataset

from benchmarks.common import (
    in_subprocess,
    interleaved,
    interleaved_times,
    load,
    machine,
    peak_memory,
    pick_device,
    ratios,
    set_threads,
    table,
    write_json,
)
from benchmarks.darts_step import step_fn
from dagnas.data import DataSplits
from dagnas.engine.loop import Searcher
from dagnas.export.fixed import from_genotype
from dagnas.spaces import load_space
from dagnas.training.protocols import get_protocol
from dagnas.training.retrain import Retraining
from dagnas.workflows.search import build_supernet, with_search

#: (name, precision, channels_last, compile)
SETTINGS = [
    ("fp32", "fp32", False, False),
    ("bf16", "bf16", False, False),
    ("fp32 + channels_last", "fp32", True, False),
    ("bf16 + channels_last", "bf16", True, False),
]
CUDA_SETTINGS = [("fp16", "fp16", False, False), ("fp16 + channels_last", "fp16", True, False)]
COMPILE_SETTINGS = [
    ("fp32 + compile", "fp32", False, True),
    ("bf16 + compile", "bf16", False, True),
]


def random_splits(batch: int, seed: int = 0) -> DataSplits:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, 3, 32, 32, generator=gen)
    y = torch.randint(10, (batch,), generator=gen)
    part = TensorDataset(x, y)
    return DataSplits(part, part, part, (3, 32, 32), 10, "random")


def retrain_step(args: argparse.Namespace, device: str) -> Callable[[], Any]:
    """One retraining step of DARTS_V2 at ``args``'s size and accelerator setting."""
    accel = {"precision": args.precision, "channels_last": args.channels_last}
    protocol = get_protocol(
        "darts_cifar10",
        channels=args.channels,
        layers=args.layers,
        batch_size=args.batch,
        accel={**accel, "compile": args.compile},
    )
    data = random_splits(args.batch)
    arch = from_genotype("DARTS_V2", load_space("darts_cifar10"), (3, 32, 32), 10)
    run = Retraining(arch, data, protocol, device)
    run.model.set_drop_path(protocol.drop_path)
    x, y = (t.to(device) for t in data.train.tensors)
    return lambda: run.train_step(x, y)


def search_step(args: argparse.Namespace, device: str) -> Callable[[], Any]:
    """One step of a darts_digits search at ``args``'s batch and accelerator setting."""
    accel = {"precision": args.precision, "channels_last": args.channels_last}
    spec = with_search(
        load_space("darts_digits"), batch_size=args.batch, accel={**accel, "compile": args.compile}
    )
    torch.manual_seed(0)
    model = build_supernet(spec, (1, 8, 8), 10).to(device)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, args.batch, 1, 8, 8, generator=gen).to(device)
    y = torch.randint(10, (2, args.batch), generator=gen).to(device)
    return step_fn(Searcher(model, (x[0], y[0]), (x[1], y[1]), spec.search))


def one(args: argparse.Namespace) -> dict[str, Any]:
    """Time ``args.steps`` steps of ``args.target`` under one setting, in this process."""
    set_threads(args.threads)
    device = pick_device(args.device)
    step = (search_step if args.target == "search" else retrain_step)(args, device)
    times = interleaved({"step": step}, args.steps, args.warmup, device)
    return {**times["step"], **peak_memory(device), "load": load()}


def turns(args: argparse.Namespace) -> dict[str, Any]:
    """The settings without compile in one process, taking turns each round: per
    setting, the median of its per-round speedups over fp32 (a burst of load from
    elsewhere hits every setting of a round alike)."""
    set_threads(args.threads)
    device = pick_device(args.device)
    make = search_step if args.target == "search" else retrain_step
    fns = {}
    for name, precision, channels_last, _ in SETTINGS:
        setting = {"precision": precision, "channels_last": channels_last, "compile": False}
        fns[name] = make(argparse.Namespace(**{**vars(args), **setting}), device)
    times = interleaved_times(fns, args.steps, args.warmup, device)
    return {n: ratios(times[SETTINGS[0][0]], t)["median"] for n, t in times.items()}


def main_table(args: argparse.Namespace) -> None:
    settings = list(SETTINGS)
    if args.device.startswith("cuda"):
        settings += CUDA_SETTINGS
    if args.compile:
        settings += COMPILE_SETTINGS
    common = ["--target", args.target, "--device", args.device, "--channels", str(args.channels)]
    common += ["--layers", str(args.layers), "--batch", str(args.batch)]
    common += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
    common += ["--threads", str(args.threads)]
    rows = []
    for name, precision, channels_last, compiled in settings:
        flags = ["--precision", precision] + ["--channels-last"] * channels_last
        flags += ["--compile"] * compiled
        measured = in_subprocess("precision", ["one", *flags, *common])
        rows.append({"setting": name, **measured, "step_ms": measured["median"] * 1e3})
    base = rows[0]["median"]
    in_turns = in_subprocess("precision", ["turns", *common])
    for r in rows:
        r["speedup"] = base / r["median"]
        r["speedup_in_turns"] = in_turns.get(r["setting"])
    size = {
        k: getattr(args, k) for k in ("target", "device", "channels", "layers", "batch", "steps")
    }
    write_json(args.out, {"machine": machine(), "size": size, "rows": rows})
    memory = "gpu_peak_mb" if args.device.startswith("cuda") else "peak_rss_mb"
    print(table(rows, ["setting", "step_ms", "speedup", "speedup_in_turns", memory, "load"]))
    print(f"wrote {args.out}")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", nargs="?", choices=["table", "one", "turns"], default="table")
    p.add_argument("--target", choices=["retrain", "search"], default="retrain")
    p.add_argument("--device", default="cpu")
    p.add_argument("--channels", type=int, default=16, help="retrain: the network's C")
    p.add_argument("--layers", type=int, default=8, help="retrain: the network's cells")
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (0: torch's choice)")
    p.add_argument("--precision", choices=["fp32", "bf16", "fp16"], default="fp32")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--compile", action="store_true", help="table: add torch.compile rows")
    p.add_argument("--out", default="precision.json")
    p.add_argument("--result", help="one, turns: write its JSON here")
    return p


def main() -> None:
    args = parser().parse_args()
    if args.mode in ("one", "turns"):
        write_json(args.result, (one if args.mode == "one" else turns)(args))
    else:
        main_table(args)


if __name__ == "__main__":
    main()

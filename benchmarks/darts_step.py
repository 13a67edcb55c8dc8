"""The DARTS space: one search step of dagnas beside the textbook reference.

A search step is what ``dagnas run`` does per minibatch: one architecture
step (first- or second-order hypergradient, Adam) on a validation batch,
then one weight step (SGD) on a training batch, on random CIFAR-shaped
input. Both networks get the same weights, the same α and the same data,
and before any timing :func:`check_same_math` shows that they compute the
same outputs and gradients.

Each piece runs alone too (``--result FILE`` writes its JSON):

    PYTHONPATH=. python -m benchmarks.darts_step side-by-side --channels 8 --layers 5 --batch 16
    PYTHONPATH=. python -m benchmarks.darts_step memory --impl reference --channels 8 --layers 5
    PYTHONPATH=. python -m benchmarks.darts_step sparse --channels 8 --layers 5 --batch 16
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx
import torch
from torch import nn

import dagnas
from benchmarks.common import (
    interleaved,
    interleaved_times,
    peak_memory,
    peak_rss_mb,
    pick_device,
    ratios,
    set_threads,
    stats,
    write_json,
)
from benchmarks.reference import TextbookDarts, copy_weights, paired_parameters
from dagnas.compile import Supernet, compile_supernet
from dagnas.compile.supernet import choices_of, groups_of
from dagnas.engine.loop import Searcher
from dagnas.relax import Softmax
from dagnas.spec import SearchConfig


@dataclass(frozen=True)
class DartsCase:
    """A DARTS CIFAR-10 space at ``channels``/``layers``, one step at ``batch``."""

    channels: int
    layers: int
    batch: int
    order: str = "first"

    @property
    def name(self) -> str:
        return f"C={self.channels} cells={self.layers} batch={self.batch} {self.order} order"


def darts_graph(case: DartsCase) -> nx.DiGraph:
    """The SearchGraph of spaces/darts_cifar10.yaml at the case's size."""
    spec = dagnas.load_space("darts_cifar10")
    spec = spec.model_copy(update={"channels": case.channels, "layers": case.layers})
    return dagnas.lower(spec, (3, 32, 32), 10)


def reference_of(net: Supernet) -> Supernet:
    """The textbook supernet with ``net``'s weights and α."""
    body = TextbookDarts(net.graph)
    copy_weights(net.body, body)
    relax = Softmax(choices_of(net.graph), groups_of(net.graph))
    relax.load_state_dict(net.relaxation.state_dict())
    return Supernet(net.graph, body, relax)


def build(case: DartsCase, impl: str, device: str, seed: int = 0) -> Supernet:
    """The dagnas supernet, or the reference (``impl``) with the same weights."""
    torch.manual_seed(seed)
    net = compile_supernet(darts_graph(case))
    return (net if impl == "dagnas" else reference_of(net)).to(device)


def searcher(model: Supernet, case: DartsCase, device: str, seed: int = 0) -> Searcher:
    """A Searcher over one random CIFAR-shaped batch each for training and validation."""
    g = torch.Generator().manual_seed(seed)
    data = [
        (
            torch.randn(case.batch, 3, 32, 32, generator=g),
            torch.randint(0, 10, (case.batch,), generator=g),
        )
        for _ in range(2)
    ]
    data = [tuple(t.to(device) for t in d) for d in data]
    cfg = SearchConfig.model_validate(
        {"batch_size": case.batch, "epochs": 1, "hypergradient": {"name": case.order}}
    )
    return Searcher(model, data[0], data[1], cfg)


def step_fn(s: Searcher):
    """One search step (architecture step, then weight step) of ``s``."""
    return s._one_step


def _max_rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def check_same_math(case: DartsCase, device: str, batch: int = 8, tol: float = 1e-8) -> dict:
    """Float64 logits and gradients (to every weight and α) of dagnas vs reference.

    Run on the case's full network at a small batch; raises when the largest
    relative difference exceeds ``tol``.
    """
    torch.manual_seed(1)
    net = compile_supernet(darts_graph(case))
    with torch.no_grad():
        for a in net.arch_parameters():
            a.normal_()
    ref = reference_of(net)
    net, ref = net.to(device, torch.float64), ref.to(device, torch.float64)
    x = torch.randn(batch, 3, 32, 32, device=device, dtype=torch.float64)
    y = torch.randint(0, 10, (batch,), device=device)
    pairs = paired_parameters(net.body, ref.body)
    found = {}
    for tag, model, params in (
        ("dagnas", net, [p for p, _ in pairs]),
        ("ref", ref, [q for _, q in pairs]),
    ):
        logits = model(x)
        loss = nn.functional.cross_entropy(logits, y)
        grads = torch.autograd.grad(loss, params + model.arch_parameters())
        found[tag] = (logits.detach(), grads)
    out = {
        "logits": _max_rel(found["dagnas"][0], found["ref"][0]),
        "grads": max(
            _max_rel(a, b) for a, b in zip(found["dagnas"][1], found["ref"][1], strict=True)
        ),
        "batch": batch,
        "dtype": "float64",
    }
    if max(out["logits"], out["grads"]) > tol:
        raise RuntimeError(f"dagnas and the reference differ on {case.name}: {out}")
    return out


def side_by_side(
    case: dict, device: str, steps: int, warmup: int, check_batch: int = 4
) -> dict[str, Any]:
    """Check equality, then time dagnas and the reference in turns, in one process.

    ``ratio`` is dagnas / reference per round (both ran in the same round).
    """
    c = DartsCase(**case)
    check = check_same_math(c, device, batch=check_batch)
    fns = {
        impl: step_fn(searcher(build(c, impl, device), c, device))
        for impl in ("dagnas", "reference")
    }
    times = interleaved_times(fns, steps, warmup, device)
    return {
        "case": asdict(c),
        "name": c.name,
        "check": check,
        "step_time": {k: stats(v) for k, v in times.items()},
        "ratio": ratios(times["dagnas"], times["reference"]),
        "times": times,
    }


def memory(case: dict, impl: str, device: str, steps: int = 1, warmup: int = 1) -> dict[str, Any]:
    """Peak memory of ``impl`` alone in this process (run it in a fresh one).

    ``base_rss_mb`` is the peak before the network was built (Python, torch,
    dagnas imported): the part of ``peak_rss_mb`` that is no one's network.
    """
    base = peak_rss_mb()
    if torch.device(device).type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    c = DartsCase(**case)
    s = searcher(build(c, impl, device), c, device)
    times = interleaved({impl: step_fn(s)}, steps, warmup, device)
    return {
        "case": asdict(c),
        "impl": impl,
        "step_time": times[impl],
        "base_rss_mb": base,
        **peak_memory(device),
    }


class PrunedSoftmax(Softmax):
    """softmax(α)·mask: DARTS with a fixed random set of ops pruned to exact zeros."""

    def __init__(
        self,
        choices: dict[str, list[str]],
        groups: dict[str, list[str]],
        zeros: float,
        seed: int = 0,
    ):
        super().__init__(choices, groups)
        sizes = [len(ops) for ops in choices.values()]
        g = torch.Generator().manual_seed(seed)
        pruned = torch.randperm(sum(sizes), generator=g)[: math.floor(zeros * sum(sizes) + 0.5)]
        mask = torch.ones(sum(sizes))
        mask[pruned] = 0.0
        self.register_buffer("mask", mask)
        self.sizes = sizes

    def forward(self) -> dict[str, torch.Tensor]:
        masks = self.mask.split(self.sizes)
        return {
            k: torch.softmax(a, -1) * m for (k, a), m in zip(self.alpha.items(), masks, strict=True)
        }


def sparse(
    case: dict, device: str, fractions: list[float], steps: int, warmup: int
) -> dict[str, Any]:
    """Step time of dagnas as the fraction of exactly-zero mixing weights grows.

    The first fraction is the baseline (0: dense); ``vs_dense`` is each
    fraction's step time over the baseline's, per round.
    """
    c = DartsCase(**case)
    fns, zeros = {}, {}
    for f in fractions:
        net = build(c, "dagnas", device)
        relax = PrunedSoftmax(net.relaxation.choices, net.relaxation.groups, f)
        relax.load_state_dict(net.relaxation.state_dict(), strict=False)
        with torch.no_grad():
            w = list(relax().values())
        zeros[f] = float(sum((v == 0).sum() for v in w)) / sum(v.numel() for v in w)
        fns[f"{f:.2f}"] = step_fn(
            searcher(Supernet(net.graph, net.body, relax).to(device), c, device)
        )
    times = list(interleaved_times(fns, steps, warmup, device).values())
    rows = [
        {
            "zeros": f,
            "measured_zeros": zeros[f],
            "step_time": stats(t),
            "vs_dense": ratios(t, times[0]),
        }
        for f, t in zip(fractions, times, strict=True)
    ]
    return {"case": asdict(c), "name": c.name, "rows": rows}


def _case_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--channels", type=int, default=8)
    p.add_argument("--layers", type=int, default=5)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--order", choices=("first", "second"), default="first")
    p.add_argument("--steps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's choice)")
    p.add_argument("--result", help="write the JSON result here")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """``side-by-side``, ``memory`` or ``sparse`` on one DARTS case; prints the JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.darts_step",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="what", required=True)
    _case_args(sub.add_parser("side-by-side", help="check, then time dagnas vs reference"))
    p = sub.add_parser("memory", help="peak memory of one impl (this process)")
    _case_args(p)
    p.add_argument("--impl", choices=("dagnas", "reference"), default="dagnas")
    p = sub.add_parser("sparse", help="step time vs fraction of exactly-zero weights")
    _case_args(p)
    p.add_argument("--fractions", default="0,0.5,0.75,0.9")
    args = parser.parse_args(argv)
    set_threads(args.threads)
    device = pick_device(args.device)
    case = {k: getattr(args, k) for k in ("channels", "layers", "batch", "order")}
    if args.what == "side-by-side":
        out = side_by_side(case, device, args.steps, args.warmup)
    elif args.what == "memory":
        out = memory(case, args.impl, device, args.steps, args.warmup)
    else:
        fractions = [float(f) for f in args.fractions.split(",")]
        out = sparse(case, device, fractions, args.steps, args.warmup)
    out["threads"] = torch.get_num_threads()
    if args.result:
        write_json(args.result, out)
    else:
        print(json.dumps(out, indent=2))
    return out


if __name__ == "__main__":
    main()

"""The DARTS space: one search step of dagnas beside the textbook reference.

A search step is what ``dagnas run`` does per minibatch: one architecture
step (first- or second-order hypergradient, Adam) on a validation batch,
then one weight step (SGD) on a training batch, on random CIFAR-shaped
input. Both networks get the same weights, the same α and the same data,
and before any timing :func:`check_same_math` shows that they compute the
same outputs and gradients.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx
import torch
from torch import nn

from benchmarks.common import interleaved, peak_memory
from benchmarks.reference import TextbookDarts, copy_weights, paired_parameters
from dagnas.compile import Supernet, compile_supernet
from dagnas.compile.supernet import choices_of, groups_of
from dagnas.relax import Softmax
from dagnas.run import builtin_spaces
from dagnas.search.loop import Searcher
from dagnas.spec import SearchConfig, load_space
from dagnas.spec.lower import lower


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
    spec = load_space(builtin_spaces()["darts_cifar10"])
    spec = spec.model_copy(update={"channels": case.channels, "layers": case.layers})
    return lower(spec, (3, 32, 32), 10)


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
    return lambda: s._one_step(s.lr())


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


def side_by_side(case: dict, device: str, steps: int, warmup: int) -> dict[str, Any]:
    """Check equality, then time dagnas and the reference in turns, in one process."""
    c = DartsCase(**case)
    check = check_same_math(c, device)
    fns = {
        impl: step_fn(searcher(build(c, impl, device), c, device))
        for impl in ("dagnas", "reference")
    }
    times = interleaved(fns, steps, warmup, device)
    return {"case": asdict(c), "name": c.name, "check": check, "step_time": times}


def memory(case: dict, impl: str, device: str, steps: int = 1, warmup: int = 1) -> dict[str, Any]:
    """Peak memory of ``impl`` alone in this process (run it in a fresh one)."""
    c = DartsCase(**case)
    s = searcher(build(c, impl, device), c, device)
    times = interleaved({impl: step_fn(s)}, steps, warmup, device)
    return {"case": asdict(c), "impl": impl, "step_time": times[impl], **peak_memory(device)}


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
    """Step time of dagnas as the fraction of exactly-zero mixing weights grows."""
    c = DartsCase(**case)
    fns = {}
    for f in fractions:
        net = build(c, "dagnas", device)
        relax = PrunedSoftmax(net.relaxation.choices, net.relaxation.groups, f)
        relax.load_state_dict(net.relaxation.state_dict(), strict=False)
        fns[f"{f:.2f}"] = step_fn(
            searcher(Supernet(net.graph, net.body, relax).to(device), c, device)
        )
    times = interleaved(fns, steps, warmup, device)
    dense = times[f"{fractions[0]:.2f}"]["median"]
    rows = [
        {"zeros": float(k), "step_time": t, "vs_dense": t["median"] / dense}
        for k, t in times.items()
    ]
    return {"case": asdict(c), "name": c.name, "rows": rows}

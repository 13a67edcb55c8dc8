"""A hypernetwork α = G(λ) that controls architecture complexity (Yakovlev et al.)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, cast

import torch
from pydantic import Field, NonNegativeFloat, PositiveFloat, model_validator
from torch import nn

from dagnas.errors import DagnasError
from dagnas.registry import Strict, StrictPositiveInt
from dagnas.relax.base import RELAXATIONS, Mixing, OpModules, Relaxation


def op_costs(ops: OpModules, kind: str) -> dict[str, list[float]]:
    """Per choice, each op's complexity, divided by the mean over every op of
    every choice: the average op costs 1, so uniform mixing weights cost the
    number of choices, and the costs keep their true proportions.

    ``params``: parameter count; ``norm``: Σ of its parameters' L2 norms
    (read now: weights change during the search). An op shared by several
    cells (one choice key) counts all its copies; `none` costs 0.
    **[choice]** Divided by the costliest op instead, the whole term is a
    fraction of a nat even at λ = 0.1 and steers nothing below it.
    """

    def cost(mods: list[nn.Module]) -> float:
        ps = [p.detach() for m in mods for p in m.parameters()]
        return float(sum(p.numel() for p in ps) if kind == "params" else sum(p.norm() for p in ps))

    raw = {k: [cost(mods) for mods in by_op.values()] for k, by_op in ops.items()}
    every = [c for cs in raw.values() for c in cs]
    mean = (sum(every) / len(every) if every else 0.0) or 1.0
    return {k: [c / mean for c in cs] for k, cs in raw.items()}


@RELAXATIONS.register("hypernet")
class Hypernet(Relaxation):
    """Yakovlev, Grebenkova, Bakhteev (2021): per group of choices (the edges
    into one node), a map from λ to their α: α = λ·b1 + b2 (``hidden: []``),
    or an MLP with ReLU hidden layers. Mixing is softmax(α/``temperature``),
    or α itself with ``mode: direct``. The architecture parameters are the
    maps' weights. **[choice]** The maps read log10 λ placed on the sampled
    range and centred, t = (2·log10 λ − log_min − log_max)/(log_max − log_min)
    ∈ [−1, 1] (``input: log``, the default; t = 0 when the range is one λ),
    not λ itself (``input: lam``, the paper's form). Fed λ, α = λ·b1 + b2 is
    b2 for every λ ≤ 1e-2, so only the largest λ differ. Fed an input in
    [0, 1], the gradient of the classification loss, which favours the same
    ops at every λ, drives b1 as it drives b2; centred, its share in b1
    averages out, and b1 learns what differs between λ: the complexity term.

    λ is drawn once per minibatch, log-uniformly in 10^[log_min, log_max],
    and used by both its weight step and its architecture step. The
    architecture loss adds λ·Σ_choices Σ_ops w_o(λ)·c_o, c_o the op's
    complexity (``complexity: params | norm``, normalised so the average op
    of the space costs 1). ``final(lam)`` gives the weights at any λ
    without a new search (``final_lam`` when none is given).

    **[choice]** λ is drawn from 10^U(−4, −1) by default, the range the family
    is derived over (the authors' code draws 10^U(−5, 0): there the largest λ
    outweigh the classification loss, and the maps learn mostly them). The
    spec fills ``search.arch.lr`` = 0.01 where the user gave none: Adam
    moves each map weight by about its lr per step whatever the size of its
    gradient, so at DARTS's 3e-4 the maps stay near their init in a short
    search, and at 0.05 the slope saturates within the lowest decade
    (``benchmarks/hypernet_lambda.py`` measures the family).
    """

    arch_defaults: ClassVar[dict[str, Any]] = {"lr": 0.01}

    class Options(Strict):
        hidden: list[StrictPositiveInt] = []
        mode: Literal["softmax", "direct"] = "softmax"
        temperature: PositiveFloat = 1.0
        log_min: float = -4.0
        log_max: float = -1.0
        complexity: Literal["params", "norm"] = "params"
        final_lam: NonNegativeFloat = Field(1e-3, description="λ of final() by default")
        input: Literal["lam", "log"] = "log"

        @model_validator(mode="after")
        def _range(self) -> Hypernet.Options:
            if self.log_min > self.log_max:
                raise ValueError(f"log_min {self.log_min} exceeds log_max {self.log_max}")
            if self.input == "log" and self.final_lam <= 0:
                raise ValueError("input 'log' needs final_lam > 0")
            return self

    def __init__(self, choices: dict[str, list[str]], groups: dict[str, list[str]], **options: Any):
        super().__init__(choices, groups, **options)
        self.nets = nn.ModuleDict(
            {g: self._net([len(choices[k]) for k in keys]) for g, keys in groups.items()}
        )
        self.lam = self.options.final_lam
        self.ops: OpModules = {}
        self.costs: dict[str, list[float]] = {}

    def _net(self, sizes: list[int]) -> nn.Sequential:
        """λ (1,) → the α of choices with ``sizes`` ops, concatenated. Starts
        near α = 0 (DARTS's init), or at uniform weights in ``direct`` mode."""
        widths = [1, *self.options.hidden]
        layers: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            layers += [nn.Linear(a, b), nn.ReLU()]
        last = nn.Linear(widths[-1], sum(sizes))
        nn.init.normal_(last.weight, std=1e-3)
        with torch.no_grad():
            if self.options.mode == "direct":
                last.bias.copy_(torch.cat([torch.full((n,), 1 / n) for n in sizes]))
            else:
                nn.init.normal_(last.bias, std=1e-3)
        return nn.Sequential(*layers, last)

    def net_input(self, lam: float) -> float:
        """What the maps read for ``lam``: λ itself, or its centred place on the
        log range (−1 at 10^log_min, 1 at 10^log_max, 0 in the middle)."""
        o = self.options
        if o.input == "lam":
            return lam
        if lam <= 0:
            raise DagnasError(f"hypernet with input 'log' needs λ > 0, got {lam}")
        if o.log_max == o.log_min:
            return 0.0
        return (2 * math.log10(lam) - o.log_min - o.log_max) / (o.log_max - o.log_min)

    def alphas(self, lam: float) -> Mixing:
        """The raw α of every choice at ``lam``."""
        out: Mixing = {}
        t = self.net_input(lam)
        for g, keys in self.groups.items():
            net = self.nets[g]
            flat = net(torch.tensor([[t]], dtype=net[-1].bias.dtype, device=net[-1].bias.device))
            parts = flat[0].split([len(self.choices[k]) for k in keys])
            out.update(zip(keys, parts, strict=True))
        return out

    def mixing_at(self, lam: float) -> Mixing:
        a = self.alphas(lam)
        if self.options.mode == "direct":
            return a
        return {k: torch.softmax(v / self.options.temperature, -1) for k, v in a.items()}

    def forward(self) -> Mixing:
        return self.mixing_at(self.lam)

    def final(self, lam: float | None = None) -> Mixing:
        with torch.no_grad():
            return self.mixing_at(self.options.final_lam if lam is None else lam)

    def new_minibatch(self) -> None:
        lo, hi = self.options.log_min, self.options.log_max
        self.lam = 10 ** (lo + (hi - lo) * torch.rand(()).item())

    def _rows(self, key: str, options: Sequence[int]) -> tuple[nn.Linear, list[int]]:
        """The last layer of the map that gives choice ``key``'s α, and the rows
        of that layer that give ``options``."""
        group = next(g for g, keys in self.groups.items() if key in keys)
        keys = self.groups[group]
        start = sum(len(self.choices[k]) for k in keys[: keys.index(key)])
        last = cast(nn.Linear, self.nets[group][-1])
        return last, [start + i for i in sorted(set(options))]

    def option_parameters(
        self, key: str, options: Sequence[int]
    ) -> list[tuple[nn.Parameter, list[int]]]:
        last, rows = self._rows(key, options)
        return [(last.weight, rows), (last.bias, rows)]

    def reset_options(self, key: str, options: Sequence[int]) -> None:
        """Replaced candidates (dense-block resampling): their rows of the map's
        last layer are drawn afresh as at construction (α(λ) near 0, or 1/n in
        ``direct`` mode); hidden layers, which every option shares, stay."""
        last, rows = self._rows(key, options)
        n = len(self.choices[key])
        with torch.no_grad():
            last.weight[rows] = 1e-3 * torch.randn(len(rows), last.in_features).to(last.weight)
            if self.options.mode == "direct":
                last.bias[rows] = 1 / n
            else:
                last.bias[rows] = 1e-3 * torch.randn(len(rows)).to(last.bias)

    def bind(self, ops: OpModules) -> None:
        self.ops = ops
        self.costs = op_costs(ops, "params")

    def loss(self, mixing: Mixing) -> torch.Tensor | None:
        if not self.ops:
            return None
        costs = self.costs if self.options.complexity == "params" else op_costs(self.ops, "norm")
        total = sum((w * w.new_tensor(costs[k])).sum() for k, w in mixing.items() if k in costs)
        return self.lam * total

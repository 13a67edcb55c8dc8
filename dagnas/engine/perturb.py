"""Perturbation-based derivation (DARTS-PT, Wang et al. 2021).

An op's importance is how much the supernet's validation accuracy drops
when that op alone is removed (its mixing weight set to 0), all else kept.
This is the one-shot form: every op is scored on the same trained supernet,
without the paper's fine-tuning between edge decisions.
"""

from __future__ import annotations

from typing import Any, ClassVar

import networkx as nx
import torch
from torch import nn

from dagnas.engine.components import DERIVE_RULES
from dagnas.engine.derive import Weights, _finish, _keep, _skeleton
from dagnas.ops import is_zero
from dagnas.registry import Strict, StrictPositiveInt

Score = tuple[float, float]  # (accuracy drop, loss increase)


@torch.no_grad()
def supernet_score(model: nn.Module, weights: Weights, x: torch.Tensor, y: torch.Tensor) -> Score:
    """(accuracy, mean cross-entropy) of the supernet in eval mode with ``weights``."""
    was_training = model.training
    model.eval()
    logits = torch.cat([model(xb, weights) for xb in x.split(1024)])
    model.train(was_training)
    acc = (logits.argmax(1) == y).float().mean().item()
    return acc, nn.functional.cross_entropy(logits, y).item()


def op_drops(
    model: nn.Module,
    weights: Weights,
    choices: dict[str, list[str]],
    x: torch.Tensor,
    y: torch.Tensor,
) -> dict[str, list[Score]]:
    """Per choice and op: (accuracy drop, loss increase) when that op is removed.

    Ops that already weigh 0 and zero ops (never computed) change nothing:
    their score is (0, 0) without a forward pass.
    """
    weights = {k: w.to(x.device) for k, w in weights.items()}
    base_acc, base_loss = supernet_score(model, weights, x, y)
    drops: dict[str, list[Score]] = {}
    for key, w in weights.items():
        if key not in choices:  # a node's edge weights (edge normalisation): no op
            continue
        drops[key] = []
        for i, op in enumerate(choices[key]):
            if w[i].item() == 0 or is_zero(op):
                drops[key].append((0.0, 0.0))
                continue
            removed = w.clone()
            removed[i] = 0.0
            acc, loss = supernet_score(model, {**weights, key: removed}, x, y)
            drops[key].append((base_acc - acc, loss - base_loss))
    return drops


@DERIVE_RULES.register("perturbation")
class Perturbation:
    """Per edge keep the op whose removal hurts validation accuracy most
    (ties: the larger loss increase, then the larger weight); with ``k``,
    keep per node the k incoming edges whose kept op scores highest
    (DARTS's edge selection, ranked by score instead of weight).

    Without ``k`` every edge keeps an op (like ``argmax``); DARTS cells want
    ``k: 2``. Scored on the first ``samples`` validation examples, at the cost
    of one supernet forward pass per (choice, live op). Needs the supernet:
    ``derive(..., model=, val=)`` passes it.
    """

    needs_model: ClassVar[bool] = True

    class Options(Strict):
        k: StrictPositiveInt | None = None
        samples: StrictPositiveInt = 512

    def __init__(self, k: int | None = None, samples: int = 512):
        self.k, self.samples = k, samples

    def __call__(
        self,
        g: nx.DiGraph,
        weights: Weights,
        run: str | None = None,
        *,
        model: Any,
        val: tuple[torch.Tensor, torch.Tensor],
    ) -> nx.DiGraph:
        x, y = val[0][: self.samples], val[1][: self.samples]
        choices = {d["key"]: d["ops"] for _, _, d in g.edges(data=True) if "ops" in d}
        drops = op_drops(model, weights, choices, x, y)
        arch = _skeleton(g, run)
        for v in g.nodes:
            picked = []
            for u, _, d in g.in_edges(v, data=True):
                if "ops" not in d:
                    continue
                w, scores = weights[d["key"]], drops[d["key"]]
                best = max(range(len(scores)), key=lambda i: (*scores[i], w[i].item()))
                picked.append(((*scores[best], w[best].item()), u, d, best))
            picked.sort(key=lambda p: p[0], reverse=True)
            for score, u, d, best in picked[: self.k]:
                _keep(arch, u, v, d, weights[d["key"]], best)
                arch.edges[u, v]["score"] = score[0]
        return _finish(arch)

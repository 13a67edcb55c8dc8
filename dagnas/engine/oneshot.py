"""One-shot block selection for dense blocks: each candidate scored alone.

After a weight-sharing search the supernet's shared weights let any block
be evaluated without training it (Bender et al., "Understanding and
Simplifying One-Shot Architecture Search", ICML 2018; Guo et al., "Single
Path One-Shot NAS", ECCV 2020, which selects among candidates this way).
The ``one_shot`` rule puts each block of a stage alone into the supernet
(the stage's mixing weight one-hot on it, the other stages as they are) and
keeps the one with the best validation accuracy. The mixing weights decide
which blocks the stage still holds at the end (resampling keeps the blocks
with the largest ones); this rule decides between them by what each block
does, not by how its weight drifted while the blocks beside it changed.
"""

from __future__ import annotations

from typing import Any, ClassVar

import networkx as nx
import torch
from torch import nn

from dagnas.engine.components import DERIVE_RULES
from dagnas.engine.derive import Weights, choose_blocks
from dagnas.engine.perturb import supernet_score
from dagnas.registry import Strict, StrictPositiveInt
from dagnas.samplers import Block


@DERIVE_RULES.register("one_shot")
class OneShotBlock:
    """Dense blocks: per stage, of the blocks the stage holds, the one whose
    supernet (that block alone in its stage, shared weights) scores the best
    accuracy on the first ``samples`` validation examples (all: null); ties:
    the lower loss, then the larger mixing weight.

    Needs the supernet (``derive(..., model=, val=)``); it costs one forward
    pass of those examples per block, so the search applies it after every
    epoch too (``every_epoch``): the trajectory follows the rule the run ends with.
    """

    needs_model: ClassVar[bool] = True
    every_epoch: ClassVar[bool] = True

    class Options(Strict):
        samples: StrictPositiveInt | None = None

    def __init__(self, samples: int | None = None):
        self.samples = samples

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
        on_device = {k: w.to(x.device) for k, w in weights.items()}

        def pick(n: int, key: str, blocks: list[Block]) -> tuple[int, dict[str, Any]]:
            stage, w = model.body.stages[n], on_device[key]
            alone = {**on_device, key: nn.functional.one_hot(torch.tensor(0), len(w)).to(w)}
            held = stage.blocks[0]
            scores = []
            try:
                for b, block in enumerate(blocks):
                    stage.set_blocks([0], [block])  # slot 0 carries each candidate in turn
                    acc, loss = supernet_score(model, alone, x, y)
                    scores.append((acc, -loss, w[b].item()))
            finally:
                stage.set_blocks([0], [held])
            best = max(range(len(blocks)), key=scores.__getitem__)
            return best, {"val_acc": scores[best][0], "scores": [s[0] for s in scores]}

        return choose_blocks(g, weights, run, pick)

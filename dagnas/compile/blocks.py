"""The network of a `dense_blocks` space: stages of masked blocks and a linear head.

In the supernet (``search=True``) each stage holds k blocks drawn by the
space's sampler (seeded from the run's seed) and mixes them with the
relaxation's weights over blocks; between architecture phases
:meth:`DenseBlocksNetwork.end_phase` asks the sampler for new blocks, swaps
their masks in, and leaves the shared weights as they are. In a child network
(``search=False``) each stage holds the one block of its Architecture edges,
with weights only for those edges.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

import networkx as nx
import torch
from torch import nn

from dagnas.compile.body import Body, History, Replaced
from dagnas.compile.dense import DenseStage
from dagnas.relax import Mixing
from dagnas.samplers import (
    Block,
    DagConstraints,
    DagSampler,
    block_to_json,
    make_block,
    make_sampler,
)
from dagnas.samplers.report import stage_seed

log = logging.getLogger(__name__)


def stage_samplers(macro: dict[str, Any]) -> list[DagSampler]:
    """One sampler per stage of a lowered `dense_blocks` space (its ``macro``)."""
    opts = dict(macro["sampler"])
    name = opts.pop("name")
    return [
        make_sampler(
            name,
            DagConstraints.from_dict(st["constraints"]),
            stage_seed(macro["seed"], n),
            **opts,
        )
        for n, st in enumerate(macro["stages"])
    ]


class BlockSamplers(nn.Module):
    """The stages' samplers; their state travels in ``state_dict()`` as extra state."""

    def __init__(self, samplers: Sequence[DagSampler]):
        super().__init__()
        self.samplers = list(samplers)

    def get_extra_state(self) -> str:
        return json.dumps([s.state_dict() for s in self.samplers])

    def set_extra_state(self, state: str) -> None:
        for sampler, st in zip(self.samplers, json.loads(state), strict=True):
            sampler.load_state_dict(st)


def refill(old: Sequence[Block], new: Sequence[Block]) -> dict[int, Block]:
    """Slot → block for the slots whose block changes: a block found in ``old``
    keeps its slot, the others fill the remaining slots in order."""
    free = list(range(len(old)))
    fresh = []
    for block in new:
        if block in old and old.index(block) in free:
            free.remove(old.index(block))
        else:
            fresh.append(block)
    return dict(zip(free, fresh, strict=True))


def _arch_block(g: nx.DiGraph, cell: str) -> Block:
    """The edges of ``cell`` in an Architecture, by vertex index."""
    index = g.nodes(data="index")
    return make_block(
        (index[u], index[v]) for u, v in g.edges if g.nodes[u]["cell"] == g.nodes[v]["cell"] == cell
    )


class DenseBlocksNetwork(Body):
    """Flattened input → stages → linear head. ``forward(x, mixing)`` reads
    ``mixing["<stage>:blocks"]`` (k,) per stage; ``mixing=None`` in a child net."""

    def __init__(self, g: nx.DiGraph, search: bool):
        super().__init__()
        m = g.graph["macro"]
        self.macro = m
        self.keys = [f"{st['name']}:blocks" for st in m["stages"]]
        samplers = stage_samplers(m) if search else []
        self.stages = nn.ModuleList()
        for n, st in enumerate(m["stages"]):
            if search:
                pairs = DagConstraints.from_dict(st["constraints"]).allowed_edges()
                blocks = samplers[n].sample(st["blocks"])
            else:
                blocks = [_arch_block(g, st["name"])]
                pairs = list(blocks[0])
            self.stages.append(
                DenseStage(
                    st["in_width"],
                    st["width"],
                    st["vertices"],
                    pairs,
                    blocks,
                    st["aggregate"],
                    st["activation"],
                )
            )
        self.samplers = BlockSamplers(samplers) if search else None
        self.head = nn.Linear(m["stages"][-1]["width"], g.graph["num_classes"])

    def forward(self, x: torch.Tensor, mixing: Mixing | None) -> torch.Tensor:
        x = x.flatten(1)
        for stage, key in zip(self.stages, self.keys, strict=True):
            x = stage(x, mixing[key] if mixing is not None else None)
        return self.head(x)

    def annotate(self, g: nx.DiGraph) -> None:
        """Record the current blocks in ``g.graph["blocks"]`` (stage → edges per slot)."""
        g.graph["blocks"] = {
            st["name"]: [block_to_json(b) for b in stage.blocks]
            for st, stage in zip(self.macro["stages"], self.stages, strict=True)
        }

    def end_phase(self, weights: Mixing, epoch: int, final: bool) -> tuple[History, Replaced]:
        """After an architecture phase: record the blocks with their mixing weights
        and, every ``resample.every`` epochs but not after the last, resample.

        Returns ``({"blocks": record}, {choice key: slots to start afresh})``:
        the replaced slots, or every slot with ``resample.fresh: all``. The
        shared weights are untouched; only the masks of replaced slots change.
        """
        every, keep = self.macro["resample"]["every"], self.macro["resample"]["keep"]
        samplers = self.samplers.samplers if self.samplers is not None else []
        resample = bool(samplers) and not final and every > 0 and epoch % every == 0
        record: dict[str, Any] = {"epoch": epoch, "resampled": resample, "stages": {}}
        reset: Replaced = {}
        for n, (st, stage, key) in enumerate(
            zip(self.macro["stages"], self.stages, self.keys, strict=True)
        ):
            pi = weights[key].tolist()
            entry: dict[str, Any] = {
                "blocks": [
                    {"slot": b, "edges": block_to_json(block), "alpha": pi[b]}
                    for b, block in enumerate(stage.blocks)
                ]
            }
            if resample:
                if sum(pi) <= 0:  # sparse α can switch a whole stage off: nothing to learn
                    log.warning(
                        "epoch %d: every block of stage %s has mixing weight 0; the sampler"
                        " learns nothing from this phase and keeps blocks in slot order",
                        epoch,
                        st["name"],
                    )
                    entry["all_zero"] = True
                    pi = [1.0] * len(pi)
                new = samplers[n].resample(stage.blocks, pi, keep)
                changes = refill(stage.blocks, new)
                stage.set_blocks(list(changes), list(changes.values()))
                entry["replaced"] = [
                    {"slot": s, "edges": block_to_json(b)} for s, b in changes.items()
                ]
                fresh_all = self.macro["resample"].get("fresh") == "all"
                reset[key] = list(range(len(stage.blocks))) if fresh_all else list(changes)
            record["stages"][st["name"]] = entry
        return {"blocks": record}, reset

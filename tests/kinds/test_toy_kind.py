"""Adding a space kind is adding a file: a toy `chain` kind, defined here, runs end to end.

A chain is ``layers`` vector layers in a row, each choosing its op; it is
loaded from YAML, lowered, compiled, searched, derived, sampled and
retrained without any change to dagnas.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from itertools import pairwise
from typing import Literal

import networkx as nx
import numpy as np
import pytest
import torch
from pydantic import Field, PositiveInt
from torch import nn

from dagnas.compile import Body, ChildNet, compile_supernet
from dagnas.compile.edge import MixedEdge, edge_ops
from dagnas.data import load_dataset
from dagnas.engine.derive import derive
from dagnas.engine.loop import Searcher
from dagnas.errors import SpecError
from dagnas.evaluate.candidates import sample_architectures
from dagnas.kinds import KINDS, DeriveRule, SpaceKind, get_kind, register_kind
from dagnas.kinds.edges import EDGE_RULES, draw_ops
from dagnas.measure.formulas import edge_params
from dagnas.measure.params import graph_params
from dagnas.registry import Component
from dagnas.relax import Mixing
from dagnas.spec import json_schema, load_space, parse_spec
from dagnas.spec.lower import lower
from dagnas.spec.models import OpName, SpaceBase
from dagnas.training.retrain import TrainConfig, retrain


class ChainSpec(SpaceBase):
    """``layers`` vector layers of ``width`` in a row, each choosing one of ``ops``."""

    kind: Literal["chain"]
    layers: PositiveInt = 2
    width: PositiveInt = Field(16, le=4096)
    ops: list[OpName] = Field(min_length=1)
    derive: DeriveRule = Component(name="argmax")


class ChainNet(Body):
    """The layers in order; the last one maps to the classes."""

    def __init__(self, g: nx.DiGraph, search: bool):
        super().__init__()
        order = sorted(g, key=lambda n: g.nodes[n]["index"])
        pairs = [(u, v, g.edges[u, v]) for u, v in pairwise(order)]
        self.keys = [d["key"] for _, _, d in pairs]
        width = dict(g.nodes(data="width"))
        self.layers = nn.ModuleList(
            MixedEdge(edge_ops(d), width[u], width[v], 1, search, d["key"]) for u, v, d in pairs
        )

    def forward(self, x: torch.Tensor, mixing: Mixing | None) -> torch.Tensor:
        x = x.flatten(1)
        for key, layer in zip(self.keys, self.layers, strict=True):
            x = layer(x, mixing[key] if mixing else None)
        return x


class Chain(SpaceKind):
    name = "chain"
    spec = ChainSpec
    body = ChainNet
    derive_rules = EDGE_RULES

    def lower(self, spec: ChainSpec, g: nx.DiGraph) -> None:
        widths = [math.prod(g.graph["input_shape"])]
        widths += [spec.width] * (spec.layers - 1) + [g.graph["num_classes"]]
        for i, width in enumerate(widths):
            role = "input" if i == 0 else ("output" if i == spec.layers else "hidden")
            g.add_node(f"chain:{i}", role=role, cell="chain", index=i, width=width)
        for i in range(spec.layers):
            key = f"chain:{i}->{i + 1}"
            g.add_edge(f"chain:{i}", f"chain:{i + 1}", ops=list(spec.ops), key=key)
        g.graph.update(macro={}, cells=["chain"])

    def params(self, arch: nx.DiGraph) -> int:
        return edge_params(arch)

    def draw(self, graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
        return draw_ops(graph, n, rng)


SPACE = """\
kind: chain
name: toy_chain
layers: 3
width: 12
ops: [linear_relu, linear_tanh, linear]
search:
  epochs: 1
  max_steps: 3
  batch_size: 32
  data_limit: 300
"""


@pytest.fixture
def chain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The chain kind registered for one test (the registry is restored after)."""
    monkeypatch.setattr(KINDS, "_items", dict(KINDS._items))
    register_kind(Chain)
    yield


def test_the_toy_kind_runs_end_to_end(chain, tmp_path):
    path = tmp_path / "chain.yaml"
    path.write_text(SPACE)
    spec = load_space(path)
    assert isinstance(spec, ChainSpec) and get_kind("chain").spec is ChainSpec
    cfg = spec.search
    data = load_dataset(cfg.data, limit=cfg.data_limit, val_fraction=cfg.val_fraction)
    g = lower(spec, data.input_shape, data.num_classes)
    model = compile_supernet(g, cfg.relaxation.name)
    result = Searcher(model, data.train.tensors, data.val.tensors, cfg).run()
    assert result.steps == 3
    mixing = {k: w.detach() for k, w in model.relaxation().items()}
    arch = derive(model.current_graph(), mixing, run="toy")
    assert arch.number_of_edges() == 3 and {op for *_, op in arch.edges(data="op")} <= set(spec.ops)
    assert graph_params(arch) == sum(p.numel() for p in ChildNet(arch).parameters())
    assert len(sample_architectures(g, 4, seed=0)) == 4
    summary = retrain(arch, data, tmp_path / "retrain", TrainConfig(epochs=1))
    assert 0 <= summary["test_acc"] <= 1 and summary["flops"] > 0


def test_the_toy_kind_is_checked_like_any_other(chain):
    assert "chain" in str(json_schema())
    with pytest.raises(SpecError, match="rule 'best_block' applies to dense_blocks spaces"):
        parse_spec(SPACE + "derive: best_block\n")
    with pytest.raises(SpecError, match="unknown key 'widht'"):
        parse_spec(SPACE + "widht: 3\n")


def test_an_unregistered_kind_is_unknown():
    with pytest.raises(SpecError, match="unknown kind 'chain'"):
        parse_spec(SPACE)

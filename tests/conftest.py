"""Shared fixtures: tiny spaces and batches, and the offline datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

# The suite's tensors are tiny: one intra-op thread is faster, and far faster (10x+)
# when other processes share the 2 cores and threads thrash.
torch.set_num_threads(1)

TINY_DAG = """\
kind: dag
name: tiny_dag
nodes:
  - {name: x, role: input}
  - {name: a, width: 6}
  - {name: b, width: 6}
  - {name: out, role: output}
edges:
  - {from: x, to: a, ops: [linear_relu, linear, zero]}
  - {from: x, to: b, ops: [linear, zero]}
  - {from: a, to: b, ops: [identity, linear_relu, zero]}
  - {from: a, to: out, ops: [linear, zero]}
  - {from: b, to: out, ops: [linear, zero]}
"""

TINY_CELL = """\
kind: darts_cell
name: tiny_cell
channels: 4
layers: 3
nodes: 2
stem_multiplier: 1
ops: [none, skip_connect, max_pool_3x3, avg_pool_3x3, sep_conv_3x3, dil_conv_3x3]
"""

TINY_DENSE = """\
kind: dense_blocks
name: tiny_dense
stages:
  - {blocks: 3, vertices: 4, width: 6}
"""


def shared_data() -> Path | None:
    """The offline datasets beside the checkout (../shared/data), if present."""
    env = os.environ.get("DAGNAS_SHARED_DATA")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        cand = parent / "shared" / "data"
        if cand.is_dir():
            return cand
    return None


@pytest.fixture
def shared() -> Path:
    path = shared_data()
    if path is None:
        pytest.skip("../shared/data is not present")
    return path


@pytest.fixture
def tiny_dag_graph():
    return lower(parse_spec(TINY_DAG), (5,), 3)


@pytest.fixture
def tiny_cell_graph():
    return lower(parse_spec(TINY_CELL), (1, 8, 8), 3)


@pytest.fixture
def tiny_dense_graph():
    return lower(parse_spec(TINY_DENSE), (5,), 3)


@pytest.fixture
def tiny_dag_net(tiny_dag_graph):
    torch.manual_seed(0)
    return compile_supernet(tiny_dag_graph)

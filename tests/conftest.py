"""Shared fixtures: tiny spaces and batches, and the offline datasets."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NoReturn

import pytest
import torch
from hypothesis import settings

import dagnas
from dagnas.spec import parse_spec

# The suite's tensors are tiny: one intra-op thread is faster, and far faster (10x+)
# when other processes share the 2 cores and threads thrash.
torch.set_num_threads(1)
os.environ["DAGNAS_THREADS"] = "1"  # what the thread policy of searches and trainings reads

# Property tests on shared, loaded machines: no per-example deadline (timings
# vary 20x with load), no example database left in the checkout.
settings.register_profile("dagnas", deadline=None, database=None)
settings.load_profile("dagnas")

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


def find_shared_data() -> tuple[Path | None, str]:
    """``$DAGNAS_SHARED_DATA``, else ``shared/data`` in the nearest parent that has one.

    Returns the folder (or None) and, when absent, why.
    """
    env = os.environ.get("DAGNAS_SHARED_DATA")
    if env:
        if Path(env).is_dir():
            return Path(env), ""
        return None, f"DAGNAS_SHARED_DATA={env} is not a folder"
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data"
        if candidate.is_dir():
            return candidate, ""
    return None, "no shared/data folder above the tests; set DAGNAS_SHARED_DATA to it"


def data_missing(reason: str) -> NoReturn:
    """Skip a test whose offline data is absent; under CI (``CI=true``) fail it instead,
    so that a missing data folder cannot pass a run by skipping its tests."""
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(f"{reason} (CI is set: the offline data must be present)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The offline datasets folder (see :func:`data_missing` when it is absent)."""
    path, why = find_shared_data()
    if path is None:
        data_missing(f"offline datasets not found: {why}")
    return path


@pytest.fixture
def tiny_dag_graph():
    return dagnas.lower(parse_spec(TINY_DAG), (5,), 3)


@pytest.fixture
def tiny_cell_graph():
    return dagnas.lower(parse_spec(TINY_CELL), (1, 8, 8), 3)


@pytest.fixture
def tiny_dense_graph():
    return dagnas.lower(parse_spec(TINY_DENSE), (5,), 3)


@pytest.fixture
def tiny_dag_net():
    torch.manual_seed(0)
    return dagnas.build_supernet(parse_spec(TINY_DAG), (5,), 3)

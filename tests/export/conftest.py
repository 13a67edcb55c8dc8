"""Fixtures for the export tests."""

from __future__ import annotations

import networkx as nx
import pytest

from tests.export.archs import chain_block, darts_arch, darts_cell


@pytest.fixture
def cell() -> nx.DiGraph:
    """One DARTS-like normal cell."""
    return darts_cell()


@pytest.fixture
def arch() -> nx.DiGraph:
    """A DARTS-like Architecture with a normal and a reduce cell."""
    return darts_arch()


@pytest.fixture
def block() -> nx.DiGraph:
    """The 5-vertex chain-with-skips block."""
    return chain_block()

"""Architectures derived from the shipped spaces, for the format tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import torch

import dagnas.spaces
from dagnas.engine.derive import derive
from dagnas.spec import load_space
from dagnas.spec.lower import lower

SPACES = Path(dagnas.spaces.__file__).parent
#: shipped darts_cell spaces with two input nodes and a concat output
GENOTYPE_SPACES = ["darts_cifar10", "darts_digits", "darts_digits_prime"]
CIFAR = ((3, 32, 32), 10)


def space(name: str, **update: Any) -> Any:
    """A shipped space by name, with ``update`` applied (e.g. channels=36)."""
    spec = load_space(SPACES / f"{name}.yaml")
    return spec.model_copy(update=update) if update else spec


def derived(spec: Any, seed: int, shape: tuple[int, ...] = (3, 8, 8)) -> nx.DiGraph:
    """The Architecture ``spec``'s rule derives from random mixing weights."""
    g = lower(spec, shape, 10)
    gen = torch.Generator().manual_seed(seed)
    weights = {
        d["key"]: torch.rand(len(d["ops"]), generator=gen).softmax(0)
        for _, _, d in g.edges(data=True)
        if "ops" in d
    }
    return derive(g, weights, run=f"seed{seed}")

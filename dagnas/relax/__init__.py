"""Relaxations of the discrete architecture choice, registered by name."""

from dagnas.relax.base import RELAXATIONS, Mixing, OpModules, Relaxation, Softmax, alpha_dict
from dagnas.relax.clipped import Clipped
from dagnas.relax.hypernet import Hypernet
from dagnas.relax.sampled import Dirichlet, Gumbel
from dagnas.relax.sigmoid import Sigmoid
from dagnas.relax.sparse import Sparsemax, SparseSimplex

__all__ = [
    "RELAXATIONS",
    "Clipped",
    "Dirichlet",
    "Gumbel",
    "Hypernet",
    "Mixing",
    "OpModules",
    "Relaxation",
    "Sigmoid",
    "Softmax",
    "SparseSimplex",
    "Sparsemax",
    "alpha_dict",
]

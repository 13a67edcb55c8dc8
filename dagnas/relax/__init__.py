"""Relaxations of the discrete architecture choice, registered by name."""

from dagnas.relax.base import RELAXATIONS, Mixing, OpModules, Relaxation, Softmax
from dagnas.relax.clipped import Clipped
from dagnas.relax.hypernet import Hypernet
from dagnas.relax.remedies import AuxiliarySkip, SmoothedSoftmax
from dagnas.relax.sampled import Dirichlet, Gumbel
from dagnas.relax.sigmoid import Sigmoid
from dagnas.relax.sparse import Sparsemax, SparseSimplex

__all__ = [
    "RELAXATIONS",
    "AuxiliarySkip",
    "Clipped",
    "Dirichlet",
    "Gumbel",
    "Hypernet",
    "Mixing",
    "OpModules",
    "Relaxation",
    "Sigmoid",
    "SmoothedSoftmax",
    "Softmax",
    "SparseSimplex",
    "Sparsemax",
]

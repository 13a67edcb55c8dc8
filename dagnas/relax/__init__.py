"""Relaxations of the discrete architecture choice, registered by name."""

from dagnas.relax.base import RELAXATIONS, Mixing, Relaxation, Softmax, alpha_dict
from dagnas.relax.clipped import Clipped

__all__ = ["RELAXATIONS", "Clipped", "Mixing", "Relaxation", "Softmax", "alpha_dict"]

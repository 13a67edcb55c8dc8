"""Relaxations of the discrete architecture choice, registered by name."""

from dagnas.relax.base import RELAXATIONS, Mixing, Relaxation, Softmax, alpha_dict

__all__ = ["RELAXATIONS", "Mixing", "Relaxation", "Softmax", "alpha_dict"]

"""Compile SearchGraphs into supernets and Architectures into child networks."""

from dagnas.compile.body import Body
from dagnas.compile.supernet import (
    ChildNet,
    Supernet,
    choices_of,
    compile_supernet,
    groups_of,
)

__all__ = ["Body", "ChildNet", "Supernet", "choices_of", "compile_supernet", "groups_of"]

"""Compile SearchGraphs into supernets and Architectures into child networks."""

from dagnas.compile.supernet import (
    ChildNet,
    Supernet,
    choices_of,
    compile_supernet,
    groups_of,
)

__all__ = ["ChildNet", "Supernet", "choices_of", "compile_supernet", "groups_of"]

"""Space kinds, one file each, registered by name (see :mod:`dagnas.kinds.base`).

A new kind is a new file: a spec model (``SpaceBase`` subclass with
``kind: Literal["<name>"]`` and ``derive: DeriveRule``) and a ``SpaceKind``
subclass decorated with ``@register_kind``.
"""

from dagnas.kinds.base import KINDS, DeriveRule, SpaceKind, get_kind, kind_of, register_kind

# isort: off
# registers the built-in kinds, in the order errors and the JSON Schema list them
from dagnas.kinds import darts_cell, dag, dense_blocks  # noqa: F401
# isort: on

__all__ = ["KINDS", "DeriveRule", "SpaceKind", "get_kind", "kind_of", "register_kind"]

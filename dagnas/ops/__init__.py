"""Candidate operations, registered by name (see :mod:`dagnas.ops.registry`)."""

from dagnas.ops import image, vector  # noqa: F401  (registers the built-in ops)
from dagnas.ops.image import FactorizedReduce, ReLUConvBN
from dagnas.ops.registry import OPS, OpDef, is_zero, register_op

__all__ = ["OPS", "FactorizedReduce", "OpDef", "ReLUConvBN", "is_zero", "register_op"]

"""The bilevel search engine and its registered components."""

from dagnas.search import derive, hypergrad, schedules  # noqa: F401  (registers)
from dagnas.search.components import (
    DERIVE_RULES,
    HYPERGRADIENTS,
    REGULARIZERS,
    SCHEDULES,
    Regularizer,
    Schedule,
)

__all__ = ["DERIVE_RULES", "HYPERGRADIENTS", "REGULARIZERS", "SCHEDULES", "Regularizer", "Schedule"]

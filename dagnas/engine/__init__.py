"""The bilevel search engine and its registered components."""

from dagnas.engine import (  # noqa: F401  (registers)
    derive,
    hypergrad,
    perturb,
    regularizers,
    schedules,
)
from dagnas.engine.components import (
    DERIVE_RULES,
    HYPERGRADIENTS,
    REGULARIZERS,
    SCHEDULES,
    Regularizer,
    Schedule,
)

__all__ = ["DERIVE_RULES", "HYPERGRADIENTS", "REGULARIZERS", "SCHEDULES", "Regularizer", "Schedule"]

"""The bilevel search engine and its registered components."""

from dagnas.engine import (  # noqa: F401  (registers)
    derive,
    hypergrad,
    oneshot,
    perturb,
    regularizers,
    schedules,
    stopping,
)
from dagnas.engine.components import (
    DERIVE_RULES,
    EARLY_STOPS,
    HYPERGRADIENTS,
    REGULARIZERS,
    SCHEDULES,
    EarlyStop,
    Regularizer,
    Schedule,
)

__all__ = [
    "DERIVE_RULES",
    "EARLY_STOPS",
    "HYPERGRADIENTS",
    "REGULARIZERS",
    "SCHEDULES",
    "EarlyStop",
    "Regularizer",
    "Schedule",
]

"""dagnas: differentiable architecture search over graph search spaces.

The public verbs follow the pipeline::

    import dagnas

    spec = dagnas.load_space("darts_digits")        # a YAML path or a built-in name
    graph = dagnas.lower(spec, (1, 8, 8), 10)        # the SearchGraph (networkx)
    net = dagnas.build_supernet(spec, (1, 8, 8), 10) # the Supernet (torch)
    out = dagnas.search(spec, max_steps=3)           # search on the spec's data, derive
    arch = out.architecture                          # networkx, one op per edge
    result = dagnas.retrain(arch, data="digits", epochs=1, out="runs/r1")
    model = dagnas.load_model("runs/r1")             # the trained network, kept

``dagnas.derive(graph, mixing)`` derives an architecture from any mixing
weights. ``import dagnas`` stays light (it imports no torch): each verb is
imported the first time it is used.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("dagnas")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

#: verb → the module that defines it
_VERBS = {
    "load_space": "dagnas.spaces",
    "lower": "dagnas.spec.lower",
    "build_supernet": "dagnas.workflows.search",
    "search": "dagnas.workflows.search",
    "derive": "dagnas.engine.derive",
    "load_model": "dagnas.training",
    "retrain": "dagnas.workflows.retrain",
}

__all__ = [
    "__version__",
    "build_supernet",
    "derive",
    "load_model",
    "load_space",
    "lower",
    "retrain",
    "search",
]

if TYPE_CHECKING:
    from dagnas.engine.derive import derive
    from dagnas.spaces import load_space
    from dagnas.spec.lower import lower
    from dagnas.training import load_model
    from dagnas.workflows.retrain import retrain
    from dagnas.workflows.search import build_supernet, search


def __getattr__(name: str) -> Any:
    if name not in _VERBS:
        raise AttributeError(f"module 'dagnas' has no attribute '{name}'")
    value = getattr(importlib.import_module(_VERBS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_VERBS))

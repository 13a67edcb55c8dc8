"""dagnas: differentiable architecture search over graph search spaces.

The public verbs follow the pipeline::

    import dagnas

    spec = dagnas.load_space("darts_digits")        # a YAML path or a built-in name
    graph = dagnas.lower(spec, (1, 8, 8), 10)        # the SearchGraph (networkx)
    net = dagnas.build_supernet(spec, (1, 8, 8), 10) # the Supernet (torch)
    out = dagnas.search(spec, max_steps=3)           # search on the spec's data, derive
    arch = out.architecture                          # networkx, one op per edge
    result = dagnas.retrain(arch, data="digits", epochs=1)

``dagnas.derive(graph, mixing)`` derives an architecture from any mixing
weights. ``import dagnas`` stays light (it imports no torch): each verb is
imported the first time it is used.

``dagnas.search`` is both the verb and, as an attribute path, the
subpackage of the search engine: ``dagnas.search(spec)`` runs a search,
``dagnas.search.loop`` and ``from dagnas.search.loop import Searcher`` reach
the engine.
"""

from __future__ import annotations

import importlib
import sys
import types
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
    "derive": "dagnas.search.derive",
    "retrain": "dagnas.workflows.retrain",
}

__all__ = ["__version__", "build_supernet", "derive", "load_space", "lower", "retrain", "search"]

if TYPE_CHECKING:
    from dagnas.search.derive import derive
    from dagnas.spaces import load_space
    from dagnas.spec.lower import lower
    from dagnas.workflows.retrain import retrain
    from dagnas.workflows.search import build_supernet, search
else:

    class _SearchVerb:
        """Calling it runs :func:`dagnas.workflows.search.search`; its attributes are
        the ``dagnas.search`` subpackage's."""

        __doc__ = "Search a spec and derive its architecture (dagnas.workflows.search.search)."

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return importlib.import_module("dagnas.workflows.search").search(*args, **kwargs)

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            return getattr(importlib.import_module("dagnas.search"), name)

        def __repr__(self) -> str:
            return "<dagnas.search: the search verb and the search engine's package>"

    search = _SearchVerb()


def __getattr__(name: str) -> Any:
    if name not in _VERBS:
        raise AttributeError(f"module 'dagnas' has no attribute '{name}'")
    value = getattr(importlib.import_module(_VERBS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_VERBS))


class _Package(types.ModuleType):
    """The dagnas package: importing the subpackage ``dagnas.search`` leaves the
    verb in place (the import system would otherwise set the attribute to it)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "search" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

"""Optional dependencies: imported by the function that needs them, with an error
that names the extra installing them (``pip install 'dagnas[EXTRA]'``)."""

from __future__ import annotations

import importlib
from types import ModuleType

from dagnas.errors import DagnasError


def optional_module(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module``, or a DagnasError saying ``what`` needs it and how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise DagnasError(
            f"{what} needs the optional dependency '{extra}' ({e}); install it with"
            f" pip install 'dagnas[{extra}]'"
        ) from None

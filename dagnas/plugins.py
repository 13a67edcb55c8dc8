"""User code that registers ops, relaxations, rules, loggers, kinds: plugins.

A plugin is a module that registers components when imported (``@register_op``,
``RELAXATIONS.register``...). Installed packages announce theirs under the
entry-point group ``dagnas.plugins``::

    [project.entry-points."dagnas.plugins"]
    myops = "myops.registry"

and the command line imports more with ``dagnas --import MODULE``.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

from dagnas.errors import DagnasError

log = logging.getLogger(__name__)
GROUP = "dagnas.plugins"


def load_plugins(modules: Sequence[str] = (), entry_point_group: str = GROUP) -> list[str]:
    """Import the installed plugins of ``entry_point_group``, then ``modules`` (the
    current folder is searched first, as ``python -m`` would); returns what was loaded."""
    loaded = []
    for ep in entry_points(group=entry_point_group):
        try:
            ep.load()
        except Exception as e:  # a broken plugin is named, never a traceback
            raise DagnasError(
                f"the plugin '{ep.name}' ({ep.value}, entry point group {entry_point_group})"
                f" failed to load: {type(e).__name__}: {e}; fix or uninstall it"
            ) from e
        loaded.append(ep.value)
    if modules and str(Path.cwd()) not in sys.path and "" not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as e:
            raise DagnasError(
                f"--import {name}: {e}; give an importable module name (a file"
                f" {name.replace('.', '/')}.py in the current folder, or an installed module)"
            ) from e
        loaded.append(name)
    for name in loaded:
        log.info("loaded plugin %s", name)
    return loaded

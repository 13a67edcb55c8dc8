"""Ready search spaces (YAML), shipped as package data; ``spaces/`` links here.

A space is named by a path to a YAML file or by a built-in name (the file's
stem, e.g. ``darts_digits``); :func:`load_space` takes either.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from dagnas.spec import load_space as load_space_file

#: The space ``dagnas run`` searches when given none: a space whose cells the
#: embedded digits tell apart (from chance to 0.96), so that a first search
#: ends on a decision; on ``darts_digits`` every cell scores within a few
#: test images of the others (README, "Does the default run decide?").
DEFAULT_SPACE = "nb201_tiny"


def builtin_spaces() -> dict[str, Path]:
    """Name → path of the YAML spaces shipped with dagnas."""
    root = Path(str(resources.files(__name__)))
    return {p.stem: p for p in sorted(root.glob("*.yaml"))}


def resolve_space(arg: str | Path | None) -> Path:
    """A path, a built-in space name, or None for the default space.

    An existing file wins over a built-in of the same name; anything else is
    returned as a path, so that loading it names the missing file.
    """
    if arg is None:
        return builtin_spaces()[DEFAULT_SPACE]
    path = Path(arg)
    if not path.exists() and str(arg) in builtin_spaces():
        return builtin_spaces()[str(arg)]
    return path


def load_space(arg: str | Path | None = None) -> Any:
    """The validated spec of a YAML file or a built-in space (default: nb201_tiny)."""
    return load_space_file(resolve_space(arg))

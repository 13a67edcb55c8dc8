"""The faults tests' tiny space (see procs.py for the processes that run it)."""

from __future__ import annotations

from pathlib import Path

import pytest
from procs import SPACE


@pytest.fixture
def space(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(SPACE)
    return path

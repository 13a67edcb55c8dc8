"""`dagnas derive` on a run whose config.yaml was edited since its checkpoint names
the fields that differ (as `--resume` does), not a state-dict mismatch."""

from __future__ import annotations

from pathlib import Path

import pytest

import dagnas
from dagnas.errors import RunError
from dagnas.workflows.rederive import load_supernet


def test_an_edited_config_names_the_fields_that_differ(tmp_path: Path) -> None:
    run = tmp_path / "run"
    dagnas.search("mlp_dag", run, max_steps=2, epochs=1, data_limit=64, device="cpu")
    load_supernet(run)  # unchanged: loads
    config = run / "config.yaml"
    config.write_text(config.read_text().replace("width: 64", "width: 32"))
    with pytest.raises(RunError, match=r"nodes\[1\]\.width: 64 → 32; nodes\[2\]\.width: 64 → 32"):
        load_supernet(run)

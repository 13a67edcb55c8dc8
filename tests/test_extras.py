"""Optional dependencies: a missing one is a message naming its extra."""

from __future__ import annotations

import sys

import networkx as nx
import pytest

from dagnas.analysis.predict import load_predictor
from dagnas.errors import DagnasError
from dagnas.export import to_pyg
from dagnas.loggers import open_trackers
from dagnas.registry import Component


def test_pyg_is_an_extra(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("torch_geometric", "torch_geometric.data"):
        monkeypatch.setitem(sys.modules, name, None)  # import fails as if not installed
    with pytest.raises(DagnasError, match=r"pip install 'dagnas\[pyg\]'"):
        to_pyg(nx.DiGraph())
    with pytest.raises(DagnasError, match=r"pip install 'dagnas\[pyg\]'"):
        load_predictor(tmp_path / "predictor.pt")


def test_tensorboard_is_an_extra(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)
    with pytest.raises(DagnasError, match=r"--logger tensorboard needs.*dagnas\[tensorboard\]"):
        open_trackers([Component(name="tensorboard")], tmp_path, "r", {})


def test_the_core_imports_without_torch_geometric() -> None:
    import subprocess

    code = (
        "import sys; sys.modules['torch_geometric'] = None\n"
        "import dagnas.cli.main, dagnas.workflows.search, dagnas.analysis.report\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]

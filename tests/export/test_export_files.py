"""Tests for dagnas.export.files and atomic writes: JSON, GraphML, write_architecture."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from dagnas.errors import DagnasError
from dagnas.export import (
    read_json,
    write_architecture,
    write_graphml,
    write_json,
)
from dagnas.io import atomic_write_bytes
from tests.export.archs import assert_same_graph


def test_json_round_trip(arch: nx.DiGraph, tmp_path: Path) -> None:
    path = write_json(arch, tmp_path / "a.json")
    assert path == tmp_path / "a.json"
    assert_same_graph(arch, read_json(path))


def test_plain_networkx_loads_the_file_without_dagnas(block: nx.DiGraph, tmp_path: Path) -> None:
    path = write_json(block, tmp_path / "a.json")
    code = (
        "import sys, json; sys.modules['dagnas'] = None\n"
        "import networkx as nx\n"
        f"g = nx.node_link_graph(json.load(open({str(path)!r})), edges='edges')\n"
        "print(type(g).__name__, g.number_of_nodes(), g.number_of_edges(), g.graph['kind'])\n"
    )
    out = subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["DiGraph", "5", "7", "dense_blocks"]


def test_numpy_scalars_are_written_as_numbers(block: nx.DiGraph, tmp_path: Path) -> None:
    block.edges["b0", "b1"]["alpha"] = np.float32(0.5)
    g = read_json(write_json(block, tmp_path / "a.json"))
    assert g.edges["b0", "b1"]["alpha"] == 0.5


def test_nan_alpha_is_refused(block: nx.DiGraph, tmp_path: Path) -> None:
    block.edges["b0", "b1"]["alpha"] = float("nan")
    with pytest.raises(DagnasError, match=r"a\.json"):
        write_json(block, tmp_path / "a.json")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ('{"nodes": [', "invalid JSON"),
        ("[1, 2]", "JSON object"),
        ('{"nodes": [{"id": "a"}], "edges": [{"source": "a", "target": "z"}]}', "unknown node"),
    ],
)
def test_malformed_json_names_the_file(tmp_path: Path, text: str, what: str) -> None:
    path = tmp_path / "broken.json"
    path.write_text(text)
    with pytest.raises(DagnasError, match=what) as info:
        read_json(path)
    assert str(path) in str(info.value)


def test_invalid_json_error_has_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "nodes": [,\n')
    with pytest.raises(DagnasError, match=r"broken\.json:2:\d+: invalid JSON"):
        read_json(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DagnasError, match="no such file"):
        read_json(tmp_path / "nope.json")


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_failed_atomic_write_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # os.replace onto a directory fails
    with pytest.raises(OSError):
        atomic_write_bytes(target, b"data")
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]
    assert list(target.iterdir()) == []


def test_graphml_loads_with_networkx(arch: nx.DiGraph, tmp_path: Path) -> None:
    path = write_graphml(arch, tmp_path / "a.graphml")
    g = nx.read_graphml(path)
    assert isinstance(g, nx.DiGraph)
    assert set(g) == set(arch)
    assert set(g.edges) == set(arch.edges)
    assert "run" not in g.graph  # None is dropped
    assert json.loads(g.graph["macro"]) == arch.graph["macro"]
    assert json.loads(g.graph["input_shape"]) == [3, 8, 8]
    assert g.graph["nb201"] is False
    e = g.edges["normal:0", "normal:2"]
    assert e["op"] == "sep_conv_3x3" and e["searched"] is True
    assert json.loads(e["weights"]) == arch.edges["normal:0", "normal:2"]["weights"]
    assert g.nodes["normal:2"]["index"] == 2
    assert "weights" in arch.edges["normal:0", "normal:2"]  # the original is untouched


def test_graphml_mixed_int_and_float_alpha(block: nx.DiGraph, tmp_path: Path) -> None:
    block.edges["b0", "b1"]["alpha"] = 1
    g = nx.read_graphml(write_graphml(block, tmp_path / "a.graphml"))
    assert g.edges["b0", "b1"]["alpha"] == 1.0
    assert g.edges["b1", "b2"]["alpha"] == pytest.approx(0.9)


def test_write_architecture(arch: nx.DiGraph, tmp_path: Path) -> None:
    paths = write_architecture(arch, tmp_path / "out", stem="found")
    assert set(paths) == {"json", "graphml", "png"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "found.dot",
        "found.graphml",
        "found.json",
        "found.png",
    ]
    assert_same_graph(arch, read_json(paths["json"]))
    assert paths["png"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_graph_too_large_for_matplotlib_keeps_only_its_dot_text(
    arch: nx.DiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog
) -> None:
    """Without graphviz, a graph over the edge limit is left to its DOT text (its
    matplotlib layout would take minutes) and the run goes on, with a warning."""
    drawing = importlib.import_module("dagnas.export.draw")  # the package exports draw()

    monkeypatch.setattr(drawing.shutil, "which", lambda name: None)  # no graphviz here
    monkeypatch.setattr(drawing, "MATPLOTLIB_MAX_EDGES", arch.number_of_edges() - 1)
    paths = write_architecture(arch, tmp_path / "out", stem="found")
    assert set(paths) == {"json", "graphml"}
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "found.dot",
        "found.graphml",
        "found.json",
    ]
    assert "not drawn" in caplog.text and "found.dot" in caplog.text
    monkeypatch.setattr(drawing, "MATPLOTLIB_MAX_EDGES", arch.number_of_edges())
    assert write_architecture(arch, tmp_path / "out", stem="found")["png"].exists()

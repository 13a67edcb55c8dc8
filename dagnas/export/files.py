"""Architecture files: node-link JSON and GraphML, written atomically."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.export.draw import draw
from dagnas.graph import from_json_dict, to_json_dict
from dagnas.io import atomic_write_bytes

PathLike = str | os.PathLike[str]


def _plain(value: Any) -> Any:
    """json.dumps fallback: numpy/torch scalars and arrays become Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def write_json(arch: nx.DiGraph, path: PathLike) -> Path:
    """Write ``arch`` as networkx node-link JSON (strict: no NaN/inf) and return the path."""
    try:
        text = json.dumps(to_json_dict(arch), indent=2, allow_nan=False, default=_plain)
    except (TypeError, ValueError) as e:
        raise DagnasError(
            f"cannot write {path}: an attribute of the architecture is not JSON ({e}); "
            "store plain str/int/float/bool/list/dict values (finite floats)"
        ) from e
    return atomic_write_bytes(path, (text + "\n").encode())


def read_json(path: PathLike) -> nx.DiGraph:
    """Read an Architecture written by ``write_json`` (or any directed node-link JSON)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise DagnasError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise DagnasError(f"{path}: cannot read: {e}") from e
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DagnasError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from e
    try:
        return from_json_dict(data)
    except DagnasError as e:
        raise DagnasError(f"{path}: {e}") from e


def _graphml_value(value: Any) -> Any:
    """A value GraphML can hold: scalars as they are, containers as JSON text."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


def _graphml_attrs(attrs: dict[str, Any]) -> dict[str, Any]:
    """Attributes for GraphML: None dropped, lists/dicts/others as JSON strings."""
    return {k: _graphml_value(v) for k, v in attrs.items() if v is not None}


def to_graphml_graph(arch: nx.DiGraph) -> nx.DiGraph:
    """Copy of ``arch`` whose attributes GraphML can store (see ``_graphml_attrs``)."""
    g = nx.DiGraph()
    g.graph.update(_graphml_attrs(arch.graph))
    g.add_nodes_from((n, _graphml_attrs(d)) for n, d in arch.nodes(data=True))
    g.add_edges_from((u, v, _graphml_attrs(d)) for u, v, d in arch.edges(data=True))
    return g


def write_graphml(arch: nx.DiGraph, path: PathLike) -> Path:
    """Write ``arch`` as GraphML; list/dict attributes become JSON strings, None is dropped."""
    buf = io.BytesIO()
    nx.write_graphml(to_graphml_graph(arch), buf, infer_numeric_types=True)
    return atomic_write_bytes(path, buf.getvalue())


def write_architecture(
    arch: nx.DiGraph, out_dir: PathLike, stem: str = "architecture"
) -> dict[str, Path]:
    """Write ``{stem}.json``, ``{stem}.graphml`` and ``{stem}.png`` into ``out_dir``.

    Creates ``out_dir`` if needed; returns the paths keyed "json", "graphml", "png".
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "json": write_json(arch, out / f"{stem}.json"),
        "graphml": write_graphml(arch, out / f"{stem}.graphml"),
        "png": draw(arch, out / f"{stem}.png"),
    }

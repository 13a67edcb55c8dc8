"""Architecture files: node-link JSON and GraphML, written atomically.

Reading one checks it against the model of an Architecture (:class:`ArchFile`:
graph attributes, nodes with roles and positive widths, edges with known
ops), its ``macro`` against its kind's model (what the child network is
built from: a darts_cell's channels and layers, a dense stage's widths) and
its structure (some edges, no cycle, every output reached from an
input) before anything is compiled from it; errors name the file and the
node or edge.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any, Literal

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from dagnas.errors import DagnasError
from dagnas.export.dot import Mixing
from dagnas.export.draw import draw
from dagnas.graph import (
    MACRO_MODELS,
    NETWORK_MACRO,
    from_json_dict,
    input_nodes,
    output_nodes,
    to_json_dict,
)
from dagnas.io import atomic_write_bytes
from dagnas.ops import OPS
from dagnas.registry import did_you_mean

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


#: clearer words for pydantic's errors on an architecture file
MESSAGES = {
    "missing": "is missing",
    "too_short": "is empty; an architecture needs its nodes and edges",
}
#: the ops of fixed edges into a cell's output (not in the op registry)
FIXED_OPS = ("concat", "output")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ArchGraph(_Open):
    """The graph attributes an Architecture needs (others are kept as they are)."""

    kind: str
    input_shape: list[PositiveInt] = Field(min_length=1, max_length=3)
    num_classes: int = Field(ge=2)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        known = sorted(NETWORK_MACRO)  # every registered kind
        if known and kind not in known:
            hint = did_you_mean(kind, known)
            raise ValueError(f"unknown space kind '{kind}'{hint} (known: {', '.join(known)})")
        return kind


class ArchNode(_Open):
    id: Any
    role: Literal["input", "hidden", "output"]
    width: PositiveInt | None = None


class ArchEdge(_Open):
    source: Any
    target: Any
    op: str
    ops_kept: list[str] | None = None

    @field_validator("op")
    @classmethod
    def _known_op(cls, op: str) -> str:
        if op not in OPS and op not in FIXED_OPS:
            raise ValueError(OPS.unknown_message(op))
        return op

    @field_validator("ops_kept")
    @classmethod
    def _known_ops(cls, ops: list[str] | None) -> list[str] | None:
        for op in ops or []:
            if op not in OPS:
                raise ValueError(OPS.unknown_message(op))
        return ops


class ArchFile(_Open):
    """An Architecture in node-link JSON, as ``write_json`` writes it."""

    graph: ArchGraph
    nodes: list[ArchNode] = Field(min_length=2)
    edges: list[ArchEdge] = Field(min_length=1)


def _where(d: dict[str, Any], loc: tuple[Any, ...]) -> str:
    """``nodes[3] 'normal:2'.width``: a location in a node-link dict, naming its node or edge."""
    text = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            item = d.get(str(loc[i - 1]), [None] * (part + 1))[part] if i else None
            if isinstance(item, dict):
                ends = (item.get("source"), item.get("target"))
                text += f" {item['id']!r}" if "id" in item else f" {ends[0]!r}->{ends[1]!r}"
        else:
            text += f".{part}" if text else str(part)
    return text


def _validate(model: type[BaseModel], d: dict[str, Any], at: tuple[str, ...], source: str) -> None:
    """Check the part of node-link dict ``d`` at path ``at`` against ``model``;
    DagnasError naming ``source`` and where the first error lies otherwise."""
    value: Any = d
    for key in at:
        value = value.get(key) if isinstance(value, dict) else None
    try:
        model.model_validate(value)
    except ValidationError as e:
        err = e.errors()[0]
        msg = err["msg"].removeprefix("Value error, ")
        if not at:
            msg = MESSAGES.get(err["type"], msg)
        else:  # a kind's macro: the child network is built from it
            msg = "is missing" if value is None or err["type"] == "missing" else msg
            kind = d["graph"]["kind"]
            msg += f"; a {kind} network is built from it (dagnas derive RUN writes a run's anew)"
        raise DagnasError(f"{source}: {_where(d, at + tuple(err['loc']))}: {msg}") from None


def check_architecture(d: Any, source: str) -> nx.DiGraph:
    """The Architecture of node-link dict ``d`` once it fits :class:`ArchFile` and
    its structure can be compiled; DagnasError naming ``source`` and the node or
    edge otherwise."""
    if not isinstance(d, dict):
        raise DagnasError(f"{source}: expected a JSON object (node-link graph)")
    _validate(ArchFile, d, (), source)
    if d["graph"]["kind"] in MACRO_MODELS:
        _validate(MACRO_MODELS[d["graph"]["kind"]], d, ("graph", "macro"), source)
    try:
        arch = from_json_dict(d)
    except DagnasError as e:
        raise DagnasError(f"{source}: {e}") from None
    try:
        cycle = nx.find_cycle(arch)
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        path = " -> ".join(str(u) for u, _ in cycle)
        raise DagnasError(f"{source}: edges form a cycle {path} -> {cycle[0][0]}; remove one")
    ins = input_nodes(arch)
    for out in output_nodes(arch):
        if not any(nx.has_path(arch, s, out) for s in ins):
            raise DagnasError(
                f"{source}: no edge path leads from an input node to output node {out!r}"
            )
    return arch


def read_json(path: PathLike) -> nx.DiGraph:
    """Read any directed node-link JSON (an Architecture written by ``write_json``);
    :func:`read_architecture` also checks it can be compiled."""
    try:
        return from_json_dict(_read_dict(path))
    except DagnasError as e:
        raise DagnasError(f"{path}: {e}") from e


def read_architecture(path: PathLike) -> nx.DiGraph:
    """Read an Architecture to compile or train, checked (:func:`check_architecture`)."""
    return check_architecture(_read_dict(path), str(path))


def _read_dict(path: PathLike) -> Any:
    """The JSON in ``path``; DagnasError naming the file (and line) otherwise."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise DagnasError(f"{path}: no such file") from e
    except (OSError, UnicodeDecodeError) as e:
        raise DagnasError(f"{path}: cannot read: {e}") from e
    try:
        data = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as e:
        raise DagnasError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from e
    except _NotJson as e:
        line = text[: text.find(str(e))].count("\n") + 1
        raise DagnasError(
            f"{path}:{line}: {e} is not a JSON number (dagnas writes strict JSON); put a finite"
            " number there, or derive the architecture again"
        ) from None
    return data


class _NotJson(ValueError):
    """NaN, Infinity or -Infinity in a file read as JSON."""


def _not_json(name: str) -> Any:
    raise _NotJson(name)


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
    arch: nx.DiGraph,
    out_dir: PathLike,
    stem: str = "architecture",
    mixing: Mixing | None = None,
) -> dict[str, Path]:
    """Write ``{stem}.json``, ``{stem}.graphml`` and ``{stem}.png`` into ``out_dir``;
    with ``mixing`` (edge key → op → weight) searched edges are drawn as thick as
    their weight.

    Creates ``out_dir`` if needed; returns the paths keyed "json", "graphml" and
    "png" (no "png" for a graph too large to draw: :func:`dagnas.export.draw.draw`).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": write_json(arch, out / f"{stem}.json"),
        "graphml": write_graphml(arch, out / f"{stem}.graphml"),
        "png": draw(arch, out / f"{stem}.png", mixing=mixing),
    }
    return {k: v for k, v in paths.items() if v is not None}

"""Change fields of a loaded spec: the one way overrides reach a spec.

A key is a dotted path from the spec's root (``search.epochs``,
``search.relaxation.name``, ``stages.0.width``, ``node_norm``); a value is
anything the YAML could hold there. :func:`parse_assignment` reads the
command line's ``KEY=VALUE`` form, the value as YAML (``3`` is a number,
``null`` is None, ``[a, b]`` a list). The result is validated like the YAML
file, so an unknown key or a bad value is a :class:`SpecError` naming the
key, and the spec keeps its source file for the errors found later. Fields
the spec left at their defaults are filled again after the change, as the
YAML's would be (``search.relaxation=sparse_simplex`` brings that
relaxation's ``arch`` defaults where the spec set none).

Rules, applied in order: a mapping without ``name`` merges into the section
it names (``search.arch={lr: 0.01}`` keeps the other ``arch`` settings); a
component's ``name`` replaces the component (``search.relaxation.name=gumbel``
drops the previous relaxation's options, the new one's defaults fill in);
anything else replaces the value.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from dagnas.errors import SpecError, SpecIssue, format_loc
from dagnas.registry import Component
from dagnas.spec.load import pydantic_issues, spec_adapter

S = TypeVar("S", bound=BaseModel)
Key = tuple[str | int, ...]


def parse_assignment(text: str) -> tuple[str, Any]:
    """``"search.arch.lr=1e-3"`` → ``("search.arch.lr", 0.001)``; the value is read as YAML."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise SpecError([(text, "an override is KEY=VALUE, e.g. search.epochs=3")])
    try:
        return key, yaml.safe_load(value)
    except yaml.YAMLError as e:
        problem = getattr(e, "problem", None) or str(e)
        raise SpecError([(key, f"the value '{value}' is not YAML: {problem}")]) from None


def apply_overrides(spec: S, overrides: Mapping[str, Any], *, origin: str = "override") -> S:
    """``spec`` with each dotted key of ``overrides`` set to its value, validated.

    ``origin`` names where the overrides came from in error messages
    (``--set``, ``method 'crb'``). Raises :class:`SpecError`.
    """
    if not overrides:
        return spec
    data = spec.model_dump(by_alias=True, exclude_unset=True)  # defaults follow the new values
    for text, value in overrides.items():
        key = _split(text)
        _assign(data, key, value, _is_component(type(spec), key[:-1]) and key[-1] == "name", text)
    try:
        new = spec_adapter().validate_python(data)
    except ValidationError as e:
        issues = pydantic_issues(e, data)
        raise SpecError([(_where(origin, loc), msg) for loc, msg in issues]) from None
    except SpecIssue as e:
        raise SpecError([(_where(origin, e.loc), e.msg)]) from None
    keys = [tuple(_split(text)) for text in overrides]
    new._source = Overridden(spec._source, origin, keys)  # later errors: the file, or --set
    return new


def _where(origin: str, loc: Key) -> str:
    return f"{origin} {format_loc(loc)}".strip()


@dataclass
class Overridden:
    """Where a field of an overridden spec came from, for errors found after
    loading: a field at, under or holding an overridden key is the override's
    (``--set ops``); any other, the spec file's line (``base``, a Locator or None)."""

    base: Any
    origin: str
    keys: list[tuple[str | int, ...]]

    def where(self, loc: Key) -> str:
        loc = tuple(loc)
        touched = any(loc[: len(k)] == k or (loc and k[: len(loc)] == loc) for k in self.keys)
        if touched or self.base is None:
            return _where(self.origin, loc)
        return self.base.where(loc)


def _split(text: str) -> Key:
    parts = text.strip().split(".")
    if not all(parts):
        raise SpecError([(text, "a key is dotted field names, e.g. search.arch.lr")])
    return tuple(int(p) if p.isdigit() else p for p in parts)


def _assign(data: dict[str, Any], key: Key, value: Any, replace: bool, text: str) -> None:
    """Set ``data`` at ``key``; ``replace``: the key is a component's name."""
    node: Any = data
    for depth in range(1, len(key)):
        node = _child(node, key[:depth], text)
    last = key[-1]
    if not isinstance(node, dict):
        _child(node, key, text)  # raises unless ``last`` is an item of a list
        node[last] = value
    elif replace:
        node.clear()
        node[last] = value
    elif isinstance(value, dict) and "name" not in value and isinstance(node.get(last), dict):
        node[last] = {**node[last], **value}
    else:
        node[last] = value


def _child(node: Any, key: Key, text: str) -> Any:
    """The value at ``key[-1]`` of ``node`` (a new section if a mapping lacks it)."""
    part, where = key[-1], format_loc(key[:-1])
    if isinstance(node, dict):
        return node.setdefault(part, {})  # an unknown key fails validation, with hints
    if isinstance(node, list):
        if isinstance(part, int) and part < len(node):
            return node[part]
        raise SpecError([(text, f"'{where}' is a list of {len(node)}; no item {part}")])
    raise SpecError([(text, f"'{where}' is a value ({node!r}), not a section with '{part}'")])


def _is_component(model: Any, key: Key) -> bool:
    """Whether the field at ``key`` of ``model`` is a registered component."""
    tp: Any = model
    for part in key:
        tp = _unwrap(tp)
        if isinstance(part, int):
            tp = get_args(tp)[0] if get_origin(tp) is list else None
        elif isinstance(tp, type) and issubclass(tp, BaseModel) and part in tp.model_fields:
            tp = tp.model_fields[part].annotation
        else:
            return False
    tp = _unwrap(tp)
    return isinstance(tp, type) and issubclass(tp, Component)


def _unwrap(tp: Any) -> Any:
    """``Annotated[X, ...]`` and ``X | None`` → ``X``."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            rest = [a for a in get_args(tp) if a is not type(None)]
            if len(rest) != 1:
                return tp
            tp = rest[0]
        else:
            return tp

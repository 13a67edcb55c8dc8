"""Lower a spec to the SearchGraph: one networkx DiGraph for every space kind.

Graph attributes: ``kind``, ``space``, ``input_shape``, ``num_classes``,
``macro`` (how cells are stacked), ``derive`` (the rule and its options).
Nodes ``"<cell>:<name>"`` carry ``role`` (input/hidden/output), ``cell``,
``index`` and, for `dag` and `dense_blocks` spaces, ``width`` and
``aggregate``. Searched edges carry ``ops`` (candidate op names) and ``key``
(the choice id, e.g. ``"normal:0->2"``); fixed edges into a cell's output
carry ``op`` ("concat" or "output") and ``searched=False``. What each kind
adds is its :meth:`~dagnas.kinds.SpaceKind.lower` (see its file in
:mod:`dagnas.kinds`).
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from dagnas.kinds.base import get_kind
from dagnas.spec.models import issue_at

SearchGraph = nx.DiGraph


def resolve_shapes(
    spec: Any, input_shape: tuple[int, ...], num_classes: int
) -> tuple[tuple[int, ...], int]:
    """The data's shape and classes, checked against what the spec fixes."""
    if spec.input_shape is not None and tuple(spec.input_shape) != tuple(input_shape):
        raise issue_at(
            spec,
            ("input_shape",),
            f"the spec fixes input_shape {list(spec.input_shape)} but the data has"
            f" {list(input_shape)}; remove input_shape or use matching data",
        )
    if spec.num_classes is not None and spec.num_classes != num_classes:
        raise issue_at(
            spec,
            ("num_classes",),
            f"the spec fixes num_classes {spec.num_classes} but the data has {num_classes}"
            " classes; remove num_classes or use matching data",
        )
    return tuple(input_shape), num_classes


def lower(spec: Any, input_shape: tuple[int, ...], num_classes: int) -> SearchGraph:
    """Lower any spec kind to its SearchGraph, for data of the given shape."""
    input_shape, num_classes = resolve_shapes(spec, input_shape, num_classes)
    g = nx.DiGraph(
        kind=spec.kind,
        space=spec.name,
        input_shape=list(input_shape),
        num_classes=num_classes,
        derive={"name": spec.derive.name, **spec.derive.options},
    )
    get_kind(spec.kind).lower(spec, g)
    return g

"""Lower a spec to the SearchGraph: one networkx DiGraph for every space kind.

Graph attributes: ``kind``, ``space``, ``input_shape``, ``num_classes``,
``macro`` (how cells are stacked), ``derive`` (the rule and its options).
Nodes ``"<cell>:<name>"`` carry ``role`` (input/hidden/output), ``cell``,
``index`` and, for `dag` and `dense_blocks` spaces, ``width`` and
``aggregate``. Searched edges carry ``ops`` (candidate op names) and ``key``
(the choice id, e.g. ``"normal:0->2"``); fixed edges into a cell's output
carry ``op`` ("concat" or "output") and ``searched=False``.

A `dense_blocks` space searches blocks, not edge ops. Each stage ``s<n>`` is
a cell with vertices ``"s<n>:v<i>"`` (v0 the input, the last the output) and
one edge per vertex pair that has a shared weight (``op`` the dense op, e.g.
"linear_relu", and ``shared=True``). Its choices are given by the graph
attributes ``choices`` (``{"s0:blocks": ["b0", ..., "b<k-1>"]}``) and
``groups`` (``{"s0": ["s0:blocks"]}``), which take precedence over edge ops
wherever choices are read (:func:`dagnas.compile.choices_of`). ``macro``
holds the stages (sizes, aggregate, activation, constraints), the sampler,
the resample schedule and the seed the initial blocks are drawn with.
"""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from dagnas.ops import OPS
from dagnas.spec.load import issue_at
from dagnas.spec.models import DagSpec, DartsCellSpec, DenseBlocksSpec

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
    if isinstance(spec, DartsCellSpec):
        _lower_darts(spec, g)
    elif isinstance(spec, DagSpec):
        _lower_dag(spec, g)
    elif isinstance(spec, DenseBlocksSpec):
        _lower_dense(spec, g)
    else:  # a new kind must add its lowering here
        raise TypeError(f"no lowering for spec kind {spec.kind!r}")
    return g


def darts_reductions(spec: DartsCellSpec) -> list[int]:
    """Layers that reduce: the spec's, or DARTS's n//3 and 2n//3."""
    if spec.reductions is not None:
        return sorted(set(spec.reductions))
    n = spec.layers
    return sorted({n // 3, 2 * n // 3}) if n >= 3 else []


def _lower_darts(spec: DartsCellSpec, g: SearchGraph) -> None:
    if len(g.graph["input_shape"]) != 3:
        raise issue_at(
            spec,
            ("kind",),
            f"a darts_cell space needs images (C, H, W); the data has shape"
            f" {g.graph['input_shape']}",
        )
    reductions = darts_reductions(spec)
    g.graph["macro"] = {
        "channels": spec.channels,
        "layers": spec.layers,
        "reductions": reductions,
        "reduction_type": spec.reduction_type,
        "stem_multiplier": spec.stem_multiplier,
        "input_nodes": spec.input_nodes,
        "nodes": spec.nodes,
        "output": spec.output,
        "preprocess": spec.preprocess,
        "final_activation": spec.final_activation,
        "node_norm": spec.node_norm,
    }
    cells = {"normal": spec.ops}
    if reductions and spec.reduction_type == "cell":
        cells["reduce"] = spec.reduction_ops or spec.ops
    allowed = {tuple(int(p) for p in e.split("->")) for e in spec.edges} if spec.edges else None
    n_in, n_all = spec.input_nodes, spec.input_nodes + spec.nodes
    for cell, ops in cells.items():
        for i in range(n_all):
            g.add_node(f"{cell}:{i}", role="input" if i < n_in else "hidden", cell=cell, index=i)
        out = f"{cell}:out"
        g.add_node(out, role="output", cell=cell, index=n_all)
        for j in range(n_in, n_all):
            for i in range(j):
                if allowed is None or (i, j) in allowed:
                    g.add_edge(f"{cell}:{i}", f"{cell}:{j}", ops=list(ops), key=f"{cell}:{i}->{j}")
        fed = range(n_in, n_all) if spec.output == "concat" else [n_all - 1]
        for j in fed:
            g.add_edge(
                f"{cell}:{j}",
                out,
                op="concat" if spec.output == "concat" else "output",
                searched=False,
            )
    g.graph["cells"] = list(cells)


def _lower_dag(spec: DagSpec, g: SearchGraph) -> None:
    shape = g.graph["input_shape"]
    domain = next(
        (OPS.get(op).domain for e in spec.edges for op in e.ops if OPS.get(op).domain != "any"),
        "vector",
    )
    if domain == "image" and len(shape) != 3:
        raise issue_at(
            spec, ("edges",), f"image ops need image data (C, H, W); the data has shape {shape}"
        )
    in_width = shape[0] if domain == "image" else math.prod(shape)
    g.graph["macro"] = {"domain": domain}
    g.graph["cells"] = ["dag"]
    index = {n.name: i for i, n in enumerate(spec.nodes)}
    structure = nx.DiGraph([(e.source, e.target) for e in spec.edges])
    structure.add_nodes_from(index)
    widths: dict[str, int] = {}
    for name in nx.lexicographical_topological_sort(structure, key=index.get):
        node = spec.nodes[index[name]]
        widths[name] = _node_width(spec, node, in_width, g.graph["num_classes"], structure, widths)
        g.add_node(
            f"dag:{name}",
            role=node.role,
            cell="dag",
            index=index[name],
            width=widths[name],
            aggregate=node.aggregate,
        )
    for k, e in enumerate(spec.edges):
        for m, op in enumerate(e.ops):
            if OPS.get(op).same_width and widths[e.source] != widths[e.target]:
                raise issue_at(
                    spec,
                    ("edges", k, "ops", m),
                    f"op '{op}' keeps the width, but node '{e.source}' has width"
                    f" {widths[e.source]} and node '{e.target}' has width {widths[e.target]};"
                    " give both nodes the same width or use a width-changing op",
                )
        g.add_edge(
            f"dag:{e.source}", f"dag:{e.target}", ops=list(e.ops), key=f"dag:{e.source}->{e.target}"
        )


def _node_width(
    spec: DagSpec,
    node: Any,
    in_width: int,
    classes: int,
    structure: nx.DiGraph,
    widths: dict[str, int],
) -> int:
    if node.role == "input":
        if node.width is not None and node.width != in_width:
            raise issue_at(
                spec,
                ("nodes", [n.name for n in spec.nodes].index(node.name), "width"),
                f"input node width {node.width} does not match the data ({in_width}); remove it",
            )
        return in_width
    if node.width is not None:
        return node.width
    if node.role == "output":
        return classes
    preds = {widths[p] for p in structure.predecessors(node.name)}
    if len(preds) == 1:
        return preds.pop()
    raise issue_at(
        spec,
        ("nodes", [n.name for n in spec.nodes].index(node.name), "width"),
        f"node '{node.name}' needs a width: its inputs have different widths {sorted(preds)}",
    )


def _lower_dense(spec: DenseBlocksSpec, g: SearchGraph) -> None:
    from dagnas.ops.vector import dense_op
    from dagnas.spec.densecheck import stage_constraints

    stages: list[dict[str, Any]] = []
    in_width = math.prod(g.graph["input_shape"])  # images are flattened
    for n, stage in enumerate(spec.stages):
        name, nv, op = f"s{n}", stage.vertices, dense_op(stage.activation)
        constraints = stage_constraints(stage)
        for v in range(nv):
            g.add_node(
                f"{name}:v{v}",
                role="input" if v == 0 else ("output" if v == nv - 1 else "hidden"),
                cell=name,
                index=v,
                width=in_width if v == 0 else stage.width,
                aggregate=stage.aggregate,
            )
        for i, j in constraints.allowed_edges():
            g.add_edge(f"{name}:v{i}", f"{name}:v{j}", op=op, shared=True)
        stages.append(
            {
                "name": name,
                "blocks": stage.blocks,
                "vertices": nv,
                "in_width": in_width,
                "width": stage.width,
                "aggregate": stage.aggregate,
                "activation": stage.activation,
                "op": op,
                "constraints": constraints.to_dict(),
            }
        )
        in_width = stage.width
    g.graph["macro"] = {
        "stages": stages,
        "sampler": {"name": spec.sampler.name, **spec.sampler.options},
        "resample": spec.resample.model_dump(),
        "seed": spec.search.seed,
    }
    g.graph["cells"] = [st["name"] for st in stages]
    g.graph["choices"] = {
        f"{st['name']}:blocks": [f"b{b}" for b in range(st["blocks"])] for st in stages
    }
    g.graph["groups"] = {st["name"]: [f"{st['name']}:blocks"] for st in stages}

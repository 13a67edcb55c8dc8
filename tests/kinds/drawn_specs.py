"""Hypothesis strategies of small specs of every kind, as YAML documents.

They draw the spec's fields freely within small bounds, so many drawn specs
are invalid; the property tests check that every spec ``check_spec``
accepts runs, and that what it refuses is refused with a file and line.
"""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st

IMAGE_OPS = ["none", "skip_connect", "max_pool_3x3", "avg_pool_3x3", "sep_conv_3x3", "nor_conv_1x1"]
VECTOR_OPS = ["zero", "identity", "linear", "linear_relu"]
RELAXATIONS = ["softmax", "sigmoid", "gumbel", "sparse_simplex", "clipped"]
EDGE_RULES = st.one_of(
    st.just({"name": "argmax"}),
    st.builds(lambda k: {"name": "topk", "k": k}, st.integers(1, 4)),
    st.builds(lambda t: {"name": "threshold", "threshold": t}, st.sampled_from([0.0, 0.3, 0.9])),
    st.just({"name": "support"}),
)


def search(draw: Any, data: list[str]) -> dict[str, Any]:
    return {
        "data": draw(st.sampled_from(data)),
        "relaxation": {"name": draw(st.sampled_from(RELAXATIONS))},
    }


@st.composite
def darts_cells(draw: Any) -> dict[str, Any]:
    layers = draw(st.integers(1, 4))
    n_in, nodes = draw(st.sampled_from([1, 2])), draw(st.integers(1, 3))
    spec: dict[str, Any] = {
        "kind": "darts_cell",
        "channels": draw(st.integers(1, 4)),
        "layers": layers,
        "stem_multiplier": draw(st.integers(1, 2)),
        "input_nodes": n_in,
        "nodes": nodes,
        "output": draw(st.sampled_from(["concat", "last"])),
        "reduction_type": draw(st.sampled_from(["cell", "resblock"])),
        "preprocess": draw(st.booleans()),
        "ops": draw(st.lists(st.sampled_from(IMAGE_OPS), min_size=1, max_size=3, unique=True)),
        "derive": draw(EDGE_RULES),
        "search": search(draw, ["digits", "mnist", "cifar10"]),
    }
    if draw(st.booleans()):
        spec["reductions"] = draw(st.lists(st.integers(0, layers - 1), max_size=3, unique=True))
    if draw(st.booleans()):
        pairs = [f"{i}->{j}" for j in range(n_in, n_in + nodes) for i in range(j)]
        spec["edges"] = draw(st.lists(st.sampled_from(pairs), min_size=1, unique=True))
    return spec


@st.composite
def dags(draw: Any) -> dict[str, Any]:
    image = draw(st.booleans())
    ops = IMAGE_OPS if image else VECTOR_OPS
    n_in, n_hidden = draw(st.integers(1, 2)), draw(st.integers(0, 3))
    widths = st.sampled_from([None, None, None, 1, 3, 10])
    names = [f"i{k}" for k in range(n_in)] + [f"h{k}" for k in range(n_hidden)] + ["out"]
    nodes = [{"name": n, "role": "input"} for n in names[:n_in]]
    for n in names[n_in:]:
        node = {"name": n, "role": "output" if n == "out" else "hidden"}
        if (w := draw(widths)) is not None:
            node["width"] = w
        if draw(st.booleans()):
            node["aggregate"] = "mean"
        nodes.append(node)
    pairs = {(i, j) for j in range(n_in, len(names)) for i in range(j) if names[i] != "out"}
    chosen = {p for p in sorted(pairs) if draw(st.booleans())}
    for j in range(n_in, len(names)):  # mostly connected: every node fed, every node feeding
        if not any(b == j for _, b in chosen):
            chosen.add((draw(st.integers(0, j - 1)) if j < len(names) - 1 else 0, j))
    for i in range(len(names) - 1):
        if not any(a == i for a, _ in chosen):
            chosen.add((i, len(names) - 1))
    edge_ops = st.lists(st.sampled_from(ops), min_size=1, max_size=3, unique=True)
    edges = [
        {"from": names[i], "to": names[j], "ops": draw(edge_ops)}
        for i, j in sorted(chosen)
        if names[i] != "out"
    ]
    return {
        "kind": "dag",
        "nodes": nodes,
        "edges": edges,
        "derive": draw(EDGE_RULES),
        "search": search(draw, ["digits"] if image else ["digits", "mnist1d"]),
    }


@st.composite
def dense_blocks(draw: Any) -> dict[str, Any]:
    stages = []
    for _ in range(draw(st.integers(1, 2))):
        vertices = draw(st.integers(2, 4))
        stages.append(
            {
                "blocks": draw(st.integers(1, 3)),
                "vertices": vertices,
                "width": draw(st.integers(1, 8)),
                "aggregate": draw(st.sampled_from(["sum", "mean"])),
                "activation": draw(st.sampled_from(["relu", "tanh"])),
                "constraints": {
                    "connected": draw(st.booleans()),
                    "min_edges": draw(st.integers(0, 2)),
                },
            }
        )
    return {
        "kind": "dense_blocks",
        "stages": stages,
        "sampler": {"name": draw(st.sampled_from(["uniform", "density"]))},
        "resample": {"every": draw(st.integers(0, 1))},
        "search": search(draw, ["digits", "mnist1d"]),
    }


def as_yaml(spec: dict[str, Any]) -> str:
    return yaml.safe_dump(spec, sort_keys=False)

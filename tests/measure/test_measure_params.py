"""graph_params: the parameter count from the graph equals the child module's."""

from __future__ import annotations

import pytest
from torch import nn

from dagnas.compile import ChildNet
from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import sample_architectures
from dagnas.measure.formulas import OP_PARAMS, op_params
from dagnas.measure.params import graph_params
from dagnas.ops import OPS, register_op
from dagnas.spaces import builtin_spaces
from dagnas.spec import load_space
from dagnas.spec.lower import lower
from tests.analysis.synth import layered_archs


def module_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def shapes(op: str) -> list[tuple[int, int, int]]:
    """(c_in, c_out, stride) the op can be built with."""
    if OPS.get(op).domain == "vector":
        return [(5, 7, 1), (6, 6, 1)] if not OPS.get(op).same_width else [(6, 6, 1)]
    if OPS.get(op).same_width:
        return [(6, 6, 1), (6, 6, 2)]
    return [(4, 6, 1), (6, 6, 1), (6, 6, 2), (3, 5, 2)]


@pytest.mark.parametrize("op", OPS.names())
def test_every_registered_op_has_a_formula_equal_to_the_built_child_op(op):
    assert op in OP_PARAMS
    for c_in, c_out, stride in shapes(op):
        built = OPS.get(op).build(c_in, c_out, stride, affine=True, search_bn=False)
        assert op_params(op, c_in, c_out, stride) == module_params(built), (c_in, c_out, stride)


@pytest.mark.parametrize(
    ("space", "shape", "n"),
    [
        ("darts_digits", (1, 8, 8), 4),
        ("nb201", (3, 8, 8), 2),
        ("mlp_dag", (1, 8, 8), 4),
        ("dense_digits", (1, 8, 8), 6),
        ("dense_mnist", (1, 28, 28), 4),
    ],
)
def test_graph_params_equals_child_module_params_on_builtin_spaces(space, shape, n):
    g = lower(load_space(builtin_spaces()[space]), shape, 10)
    for arch in sample_architectures(g, n, seed=3):
        assert graph_params(arch) == module_params(ChildNet(arch))


def test_graph_params_on_tiny_cells_dag_spaces_and_linear_heads(tiny_cell_graph, tiny_dag_graph):
    for g in (tiny_cell_graph, tiny_dag_graph):
        for arch in sample_architectures(g, 3, seed=1):
            assert graph_params(arch) == module_params(ChildNet(arch))
    for arch in layered_archs(5):  # width-4 output, 2 classes: a linear head is added
        assert graph_params(arch) == module_params(ChildNet(arch))


def test_graph_params_on_a_shrunk_darts_cifar10():
    spec = load_space(builtin_spaces()["darts_cifar10"])
    spec = spec.model_copy(update={"layers": 5, "channels": 6})
    arch = sample_architectures(lower(spec, (3, 8, 8), 10), 1, seed=0)[0]
    assert graph_params(arch) == module_params(ChildNet(arch))


def test_an_op_without_formula_is_counted_by_building_it():
    name = "test_params_bilinear"
    if name not in OPS:
        register_op(name, domain="vector")(
            lambda c_in, c_out, stride, **_: nn.Bilinear(c_in, c_in, c_out)
        )
    assert name not in OP_PARAMS
    assert op_params(name, 3, 4) == 3 * 3 * 4 + 4


def test_unknown_space_kind_is_a_clear_error():
    arch = layered_archs(1)[0]
    arch.graph["kind"] = "hypercube"
    with pytest.raises(DagnasError, match="no parameter count for space kind 'hypercube'"):
        graph_params(arch)


def test_graph_params_counts_every_op_an_edge_kept(tiny_dag_graph):
    arch = sample_architectures(tiny_dag_graph, 1, seed=0)[0]
    u, v = "dag:x", "dag:a"
    arch.edges[u, v].update(op="linear", ops_kept=["linear", "linear_relu"])
    assert graph_params(arch) == module_params(ChildNet(arch))


def test_dense_block_params_in_closed_form():
    spec = load_space(builtin_spaces()["dense_mnist"])  # 5 vertices of width 128, 784 inputs
    g = lower(spec, (1, 28, 28), 10)
    for arch in sample_architectures(g, 4, seed=0):
        sources = [arch.nodes[u]["index"] for u, _ in arch.edges]
        expected = sum((784 if i == 0 else 128) * 128 + 128 for i in sources)
        assert graph_params(arch) == expected + 128 * 10 + 10

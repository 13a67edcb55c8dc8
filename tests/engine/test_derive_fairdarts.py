"""FairDARTS's derivation (threshold_sparse): top-2 edges per node, then each
edge's best op if σ ≥ 0.85; its NB201 string is the network the child trains."""

from __future__ import annotations

import torch

from dagnas.compile import ChildNet, choices_of
from dagnas.compile.edge import edge_ops
from dagnas.engine.derive import derive
from dagnas.export.fixed import from_nb201
from dagnas.export.nb201 import parse_nb201
from dagnas.graph import canonical_hash
from dagnas.spaces import load_space
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower
from dagnas.spec.overrides import apply_overrides
from dagnas.workflows.methods import apply_method, resolve_method

# NB201 ops: [none, skip_connect, nor_conv_1x1, nor_conv_3x3, avg_pool_3x3]; σ of `none` is 0
SIGMA = {
    "normal:0->1": [0.0, 0.9, 0.95, 0.1, 0.2],  # two ops above 0.85: the old rule sums both
    "normal:0->2": [0.0, 0.1, 0.1, 0.86, 0.1],
    "normal:1->2": [0.0, 0.5, 0.6, 0.2, 0.3],  # best below 0.85: cut
    "normal:0->3": [0.0, 0.99, 0.1, 0.1, 0.1],
    "normal:1->3": [0.0, 0.1, 0.1, 0.1, 0.9],  # above 0.85 but third of node 3's edges: cut
    "normal:2->3": [0.0, 0.1, 0.1, 0.95, 0.1],
}
EXPECTED = "|nor_conv_1x1~0|+|nor_conv_3x3~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"


def nb201_graph(rule: dict):
    spec = apply_overrides(load_space("nb201"), {"derive": rule}, origin="")
    return spec, lower(spec, (3, 32, 32), 10)


def weights() -> dict[str, torch.Tensor]:
    return {k: torch.tensor(v) for k, v in SIGMA.items()}


def test_top2_edges_then_the_best_op_above_the_threshold():
    _, g = nb201_graph({"name": "threshold_sparse"})
    arch = derive(g, weights())
    assert arch.graph["nb201"] == EXPECTED
    assert not any("ops_kept" in d for *_, d in arch.edges(data=True))


def test_the_nb201_string_is_the_network_the_child_trains():
    spec, g = nb201_graph({"name": "threshold_sparse"})
    arch = derive(g, weights())
    child = ChildNet(arch).body.layers[0]
    for (i, j), op in parse_nb201(arch.graph["nb201"]).items():
        assert edge_ops(arch.edges[f"normal:{i}", f"normal:{j}"]) == [op]
        assert set(child.edges[f"{i}->{j}"].ops) == ({op} - {"none"})
    # the table look-up's architecture, built from the string, is the same network
    looked_up = from_nb201(arch.graph["nb201"], spec, (3, 32, 32), 10)
    assert canonical_hash(looked_up) == canonical_hash(arch)


def test_no_op_above_the_threshold_falls_back_as_threshold_does():
    _, g = nb201_graph({"name": "threshold_sparse"})
    arch = derive(g, {k: w * 0.5 for k, w in weights().items()})
    assert "derive_fallback" in arch.graph
    assert arch.graph["nb201"] == (
        "|nor_conv_1x1~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|avg_pool_3x3~1|nor_conv_3x3~2|"
    )


def test_the_old_threshold_rule_sums_ops_and_so_has_no_nb201_string():
    _, g = nb201_graph({"name": "threshold", "threshold": 0.85})
    arch = derive(g, weights())
    assert arch.edges["normal:0", "normal:1"]["ops_kept"] == ["nor_conv_1x1", "skip_connect"]
    assert "nb201" not in arch.graph  # it once said nor_conv_1x1 alone


def test_without_a_none_candidate_a_cut_edge_is_dropped():
    spec = parse_spec(
        "kind: darts_cell\nchannels: 4\nlayers: 1\nreductions: []\nnodes: 2\n"
        "ops: [skip_connect, sep_conv_3x3]\nderive: {name: threshold_sparse}\n"
    )
    g = lower(spec, (1, 8, 8), 3)
    w = {k: torch.tensor([0.9, 0.1]) for k in choices_of(g)}
    w["normal:0->3"] = torch.tensor([0.3, 0.2])  # node 3's weakest edge: not in its top 2
    w["normal:1->3"] = torch.tensor([0.95, 0.2])
    w["normal:2->3"] = torch.tensor([0.5, 0.6])  # in the top 2, its best below 0.85
    arch = derive(g, w)
    assert [(u, d["op"]) for u, _, d in arch.in_edges("normal:3", data=True)] == [
        ("normal:1", "skip_connect")
    ]
    assert {u for u, _ in arch.in_edges("normal:2")} == {"normal:0", "normal:1"}


def test_the_sigmoid_method_derives_as_fairdarts_on_darts_cells_only():
    method = resolve_method("sigmoid")
    cell = apply_method(load_space("nb201_tiny"), method)
    assert cell.search.relaxation.name == "sigmoid" and cell.derive.name == "threshold_sparse"
    dag = apply_method(load_space("mlp_dag"), method)
    assert dag.search.relaxation.name == "sigmoid" and dag.derive.name == "argmax"

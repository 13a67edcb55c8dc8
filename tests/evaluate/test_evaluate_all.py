"""Every architecture of a small space (evaluate --all) and its CSV table."""

from __future__ import annotations

import itertools

import pytest

from dagnas.bench import load_table, query_architecture
from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import all_architectures
from dagnas.evaluate.jobs import DataRef, EvalPlan, evaluate_space
from dagnas.evaluate.table import export_table
from dagnas.graph import canonical_hash
from dagnas.kinds import get_kind
from dagnas.samplers import DagConstraints, space_size
from dagnas.spaces import load_space
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower
from dagnas.training.retrain import TrainConfig
from tests.analysis.synth import layered_space


def searched_ops(arch) -> dict[str, str]:
    return {d["key"]: d["op"] for _, _, d in arch.edges(data=True) if d.get("searched")}


def test_argmax_space_lists_every_op_combination_once():
    g = lower(load_space("nb201_tiny"), (1, 8, 8), 10)
    archs = all_architectures(g)
    assert get_kind("darts_cell").size(g) == len(archs) == 125
    assert len({canonical_hash(a) for a in archs}) == 125
    ops = g.edges["normal:0", "normal:1"]["ops"]
    combos = {tuple(searched_ops(a)[k] for k in sorted(searched_ops(a))) for a in archs}
    assert combos == set(itertools.product(ops, repeat=3))
    assert [a.graph["run"] for a in archs[:2]] == ["all:0", "all:1"]


ONE_CELL = """\
kind: darts_cell
name: one_cell
channels: 4
layers: 1
reductions: []
nodes: 2
ops: [none, skip_connect, sep_conv_3x3]
"""


def test_topk_space_keeps_k_edges_per_node_with_non_none_ops(tiny_cell_graph):
    # per cell: node 2 both in-edges, 5 live ops each; node 3: 2 of 3 in-edges
    assert get_kind("darts_cell").size(tiny_cell_graph) == (25 * 3 * 25) ** 2
    archs = all_architectures(lower(parse_spec(ONE_CELL), (1, 8, 8), 3))
    # 2*2 * 3*2*2 labelled; when node 3 reads inputs 0, 1 as node 2 does, nodes 2
    # and 3 are interchangeable: those 4*4 cells are 4 + 6 classes
    assert len(archs) == 4 * 12 - 16 + 10
    for a in archs:
        for v, role in a.nodes(data="role"):
            if role == "hidden":
                kept = [d for _, _, d in a.in_edges(v, data=True) if d.get("searched")]
                assert len(kept) == 2 and all(d["op"] != "none" for d in kept)


def test_dense_blocks_space_lists_each_block_class_once():
    g = lower(load_space("dense5_digits"), (1, 8, 8), 10)
    archs = all_architectures(g)
    assert len(archs) == space_size(DagConstraints(5, connected=True)) == 98
    assert len({canonical_hash(a) for a in archs}) == 98


def test_a_space_too_large_or_with_a_multi_op_rule_is_refused(tiny_cell_graph):
    g = lower(load_space("darts_digits"), (1, 8, 8), 10)
    with pytest.raises(DagnasError, match=r"holds \d+ architectures .* draw a sample instead"):
        all_architectures(g)
    tiny_cell_graph.graph["derive"] = {"name": "threshold", "threshold": 0.85}
    with pytest.raises(DagnasError, match="rule 'threshold' may keep any subset"):
        all_architectures(tiny_cell_graph)
    tiny_cell_graph.graph["derive"] = {"name": "threshold_sparse", "k": 2, "threshold": 0.85}
    with pytest.raises(DagnasError, match="'threshold_sparse' keeps one op or none on each"):
        all_architectures(tiny_cell_graph)


def test_plan_takes_a_sample_or_all_not_both():
    spec = parse_spec(layered_space(2))
    for bad in ({}, {"sample": 2, "exhaustive": True}):
        with pytest.raises(DagnasError, match="not both"):
            evaluate_space(spec, "unused.sqlite", EvalPlan(**bad))


def test_all_architectures_train_into_a_table_that_bench_reads_back(tmp_path):
    spec, store = parse_spec(layered_space(1, name="two")), tmp_path / "e.sqlite"
    train = TrainConfig(epochs=1)
    plan = EvalPlan(data=DataRef("digits", limit=100), train=train, seeds=2, exhaustive=True)
    summary = evaluate_space(spec, store, plan)
    g = lower(spec, (1, 8, 8), 10)
    archs = all_architectures(g)
    assert summary.candidates == len(archs) and summary.trained == 2 * len(archs)
    n = export_table(store, tmp_path / "t.csv", space="two")
    table = load_table(tmp_path / "t.csv")
    assert n == len(table.scores) == len(archs) and table.kind == "hash"
    assert table.arch_column == "arch" and "accuracy" in table.metrics
    assert len(archs) == 4  # x->h0, h0->out: linear or zero
    for arch in archs:
        hit = query_architecture(table, arch)
        assert hit.arch == "hash:" + canonical_hash(arch)
        assert 0 <= hit.metrics["accuracy"] <= 1 and hit.metrics["seeds"] == 2

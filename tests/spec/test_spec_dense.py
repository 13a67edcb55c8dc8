"""The `dense_blocks` spec: bad input is a located SpecError; lowering shapes the graph."""

from __future__ import annotations

import pytest

from dagnas.compile import choices_of, groups_of
from dagnas.errors import SpecError
from dagnas.samplers import DagConstraints, space_size
from dagnas.spec import load_space, parse_spec
from dagnas.spec.lower import lower

GOOD = """\
kind: dense_blocks
stages:
  - blocks: 4
    vertices: 4
    width: 16
    constraints:
      max_skip: 2
"""


def error_of(text: str) -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(text, "space.yaml")
    return str(info.value)


def test_defaults_are_filled_in():
    spec = parse_spec(GOOD)
    stage = spec.stages[0]
    assert (stage.aggregate, stage.activation, stage.constraints.connected) == ("sum", "relu", True)
    assert spec.sampler.name == "uniform" and spec.sampler.options == {"method": "auto"}
    assert (spec.resample.every, spec.resample.keep) == (1, None)
    assert spec.derive.name == "best_block"


def test_constraints_leaving_no_dag_name_the_field_and_line():
    msg = error_of(GOOD.replace("max_skip: 2", "max_edges: 2"))
    assert msg.startswith("space.yaml:7: stages[0].constraints.max_edges: constraints leave no DAG")
    assert "raise max_edges to 3" in msg


def test_min_edges_above_what_the_vertices_allow():
    msg = error_of(GOOD.replace("max_skip: 2", "min_edges: 7"))
    assert msg.startswith("space.yaml:7: stages[0].constraints.min_edges:")
    assert "only 6 edges are possible on 4 vertices" in msg


def test_more_blocks_than_the_space_holds():
    size = space_size(DagConstraints(4, max_skip=2))  # checked against networkx in samplers
    assert 4 <= size < 9
    msg = error_of(GOOD.replace("blocks: 4", "blocks: 9"))
    assert msg.startswith("space.yaml:3: stages[0].blocks: blocks=9 but the constrained space")
    assert f"holds only {size} distinct DAGs on 4 vertices" in msg


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("blocks: 4", "blocks: 0", "space.yaml:3: stages[0].blocks"),
        ("width: 16", "width: -3", "space.yaml:5: stages[0].width"),
        ("vertices: 4", "vertices: 1", "space.yaml:4: stages[0].vertices"),
        ("max_skip: 2", "max_skip: 0", "space.yaml:7: stages[0].constraints.max_skip"),
    ],
)
def test_non_positive_sizes(old: str, new: str, where: str):
    msg = error_of(GOOD.replace(old, new))
    assert msg.startswith(where)
    assert "greater than" in msg


def test_unknown_activation_and_sampler_names():
    msg = error_of(GOOD.replace("    width: 16\n", "    width: 16\n    activation: rleu\n"))
    assert "space.yaml:6: stages[0].activation: unknown activation 'rleu'" in msg
    assert "did you mean 'relu'?" in msg and "gelu" in msg
    msg = error_of(GOOD + "sampler: {name: densty}\n")
    assert "space.yaml:8: sampler: unknown sampler 'densty'; did you mean 'density'?" in msg


def test_sampler_options_are_checked():
    msg = error_of(GOOD + "sampler: {name: density, beta: 2}\n")
    assert "space.yaml:8: sampler: option 'beta' of sampler 'density'" in msg
    msg = error_of(GOOD + "sampler: {name: uniform, tau: 1}\n")
    assert "option 'tau' does not belong to sampler 'uniform'" in msg


def test_keep_must_fit_every_stage_and_be_given_once():
    msg = error_of(GOOD + "resample: {keep: 5}\n")
    assert "space.yaml:8: resample.keep: keep=5 but a stage has only 4 blocks" in msg
    msg = error_of(GOOD + "sampler: {name: density, keep: 1}\nresample: {keep: 2}\n")
    assert "resample.keep: keep is given twice" in msg


def test_derive_rule_must_fit_the_kind():
    msg = error_of(GOOD + "derive: argmax\n")
    assert "space.yaml:8: derive: derivation rule 'argmax' applies to darts_cell, dag" in msg
    dag = "kind: dag\nnodes: [{name: x, role: input}, {name: o, role: output}]\n"
    dag += "edges: [{from: x, to: o, ops: [linear]}]\nderive: best_block\n"
    assert "rule 'best_block' applies to dense_blocks spaces, not dag" in error_of(dag)


def test_lowering_two_stages():
    text = GOOD + "  - {blocks: 2, vertices: 3, width: 8, aggregate: mean, activation: tanh}\n"
    g = lower(parse_spec(text), (1, 4, 5), 3)
    assert g.graph["cells"] == ["s0", "s1"]
    s0, s1 = g.graph["macro"]["stages"]
    assert (s0["in_width"], s0["width"], s1["in_width"], s1["width"]) == (20, 16, 16, 8)
    assert s1["op"] == "linear_tanh" and s1["aggregate"] == "mean"
    assert choices_of(g) == {"s0:blocks": ["b0", "b1", "b2", "b3"], "s1:blocks": ["b0", "b1"]}
    assert groups_of(g) == {"s0": ["s0:blocks"], "s1": ["s1:blocks"]}
    assert g.nodes["s0:v0"]["role"] == "input" and g.nodes["s0:v3"]["role"] == "output"
    assert g.nodes["s0:v0"]["width"] == 20 and g.nodes["s0:v2"]["width"] == 16
    pairs = sorted((g.nodes[u]["index"], g.nodes[v]["index"]) for u, v in g.edges if "s0" in u)
    assert pairs == DagConstraints(4, max_skip=2).allowed_edges()  # no 0->3: skip 3 > 2


def test_shipped_dense_spaces_load():
    for name in ("dense_digits", "dense_mnist"):
        spec = load_space(f"spaces/{name}.yaml")
        assert spec.kind == "dense_blocks"
    mnist = load_space("spaces/dense_mnist.yaml").stages[0]
    assert (mnist.blocks, mnist.vertices, mnist.width) == (8, 5, 128)


def test_unknown_nested_keys_suggest_the_right_one():
    msg = error_of(GOOD.replace("max_skip: 2", "max_skp: 2") + "resample: {evry: 2}\n")
    assert "space.yaml:7: stages[0].constraints.max_skp: unknown key 'max_skp'" in msg
    assert "did you mean 'max_skip'?" in msg
    assert "space.yaml:8: resample.evry: unknown key 'evry'; did you mean 'every'?" in msg

"""Every kind of bad spec ends in a SpecError naming file, line, field and fix."""

from __future__ import annotations

import textwrap

import pytest

from dagnas.errors import SpecError
from dagnas.spec import load_space, parse_spec
from dagnas.spec.lower import lower

DAG = """\
kind: dag
nodes:
  - {name: x, role: input}
  - {name: h, width: 16}
  - {name: out, role: output}
edges:
  - {from: x, to: h, ops: [linear_relu]}
  - {from: h, to: out, ops: [linear, zero]}
"""


def error_of(text: str, source: str = "space.yaml") -> str:
    with pytest.raises(SpecError) as info:
        parse_spec(textwrap.dedent(text), source)
    return str(info.value)


def test_yaml_syntax_error_names_line_and_column():
    msg = error_of("kind: dag\nnodes: [a, b\n")
    assert msg.startswith("space.yaml:3:")
    assert "YAML syntax error" in msg


def test_empty_file():
    assert "the file is empty" in error_of("")
    assert "the file is empty" in error_of("# only a comment\n")


def test_non_mapping():
    assert "must be a YAML mapping" in error_of("- kind: dag\n")
    assert "found a str" in error_of("just text\n")


def test_unknown_key_with_did_you_mean():
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nchanels: 8\n")
    assert "space.yaml:3: chanels: unknown key 'chanels'; did you mean 'channels'?" in msg


def test_unknown_nested_key_names_path():
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nsearch:\n  weights:\n    lrr: 0.1\n")
    assert "space.yaml:5: search.weights.lrr" in msg
    assert "did you mean 'lr'?" in msg


@pytest.mark.parametrize(
    "value, expected",
    [
        (
            "crop",
            "space.yaml:4: search.augment: Input should be 'none' or 'default' (got 'crop');"
            " or a mapping with keys crop, cutout, flip",
        ),
        (
            "{crop: 4, flop: true}",
            "space.yaml:4: search.augment.flop: unknown key 'flop'; did you mean 'flip'?"
            " (allowed here: crop, cutout, flip)",
        ),
        ("{crop: -1}", "space.yaml:4: search.augment.crop: Input should be greater than"),
    ],
)
def test_a_union_field_reports_the_member_its_value_meant(value, expected):
    msg = error_of(f"kind: darts_cell\nops: [skip_connect]\nsearch:\n  augment: {value}\n")
    assert expected in msg
    assert "literal[" not in msg and "Augment" not in msg and len(msg.splitlines()) == 1


def test_unknown_op_lists_known_ops():
    msg = error_of("kind: darts_cell\nops: [skip_connect, sep_conv3x3]\n")
    assert "space.yaml:2: ops[1]: unknown op 'sep_conv3x3'; did you mean 'sep_conv_3x3'?" in msg
    assert "known: " in msg and "dil_conv_5x5" in msg


def test_unknown_kind():
    msg = error_of("kind: dart_cell\n")
    assert "unknown kind 'dart_cell'; did you mean 'darts_cell'?" in msg
    assert "missing 'kind:'" in error_of("name: x\n")


def test_wrong_type_and_out_of_range():
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nchannels: many\n")
    assert "space.yaml:3: channels:" in msg and "'many'" in msg
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nlayers: -2\n")
    assert "space.yaml:3: layers:" in msg and "greater than 0" in msg


def test_missing_required_field():
    assert "ops: required field is missing" in error_of("kind: darts_cell\n")


def test_duplicate_key():
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nchannels: 8\nchannels: 9\n")
    assert "key 'channels' is given twice" in msg


def test_dag_cycle():
    text = DAG + "  - {from: h, to: g, ops: [linear]}\n  - {from: g, to: h, ops: [linear]}\n"
    text = text.replace("  - {name: out", "  - {name: g, width: 16}\n  - {name: out")
    msg = error_of(text)
    assert "the edges form a cycle: " in msg
    assert "h -> g -> h" in msg or "g -> h -> g" in msg


def test_dag_edge_to_undefined_node():
    msg = error_of(DAG + "  - {from: x, to: hh, ops: [linear]}\n")
    assert "space.yaml:9: edges[2].to: edge to undefined node 'hh'; did you mean 'h'?" in msg


def test_dag_unreachable_node():
    text = DAG.replace("  - {name: out", "  - {name: lone, width: 4}\n  - {name: out")
    text += "  - {from: lone, to: out, ops: [linear]}\n"
    msg = error_of(text)
    assert "space.yaml:5: nodes[2]: node 'lone' is not reached from any input node" in msg


def test_dag_node_reaching_no_output():
    text = DAG.replace("  - {name: out", "  - {name: dead, width: 4}\n  - {name: out")
    text += "  - {from: h, to: dead, ops: [linear]}\n"
    assert "node 'dead' does not reach the output node 'out'" in error_of(text)


def test_dag_ops_of_different_shape_into_one_node():
    text = DAG.replace(
        "{from: x, to: h, ops: [linear_relu]}", "{from: x, to: h, ops: [linear_relu, identity]}"
    )
    spec = parse_spec(text, "space.yaml")
    with pytest.raises(SpecError) as info:
        lower(spec, (64,), 10)
    msg = str(info.value)
    assert "space.yaml:7: edges[0].ops[1]: op 'identity' keeps the width" in msg
    assert "width 64" in msg and "width 16" in msg


def test_dag_mixing_image_and_vector_ops():
    text = DAG.replace("ops: [linear, zero]", "ops: [sep_conv_3x3, zero]")
    msg = error_of(text)
    assert "mixes image ops (sep_conv_3x3) and vector ops (" in msg and "linear_relu" in msg


def test_spec_shape_disagrees_with_data():
    spec = parse_spec("kind: darts_cell\nops: [skip_connect]\ninput_shape: [3, 32, 32]\n", "s.yaml")
    with pytest.raises(SpecError) as info:
        lower(spec, (1, 28, 28), 10)
    assert "[3, 32, 32]" in str(info.value) and "[1, 28, 28]" in str(info.value)
    assert "s.yaml:3: input_shape" in str(info.value)


def test_bad_component_name_and_foreign_option():
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nsearch:\n  relaxation: softmx\n")
    assert "unknown relaxation 'softmx'; did you mean 'softmax'?" in msg
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nderive: {name: topk, kk: 3}\n")
    assert "option 'kk' does not belong to derivation rule 'topk'; did you mean 'k'?" in msg


def test_darts_edge_restriction_checked():
    msg = error_of("kind: darts_cell\nops: [skip_connect]\nedges: ['3->1']\n")
    assert "edges[0]" in msg and "not a cell edge" in msg


def test_missing_file(tmp_path):
    with pytest.raises(SpecError, match="no such file"):
        load_space(tmp_path / "nope.yaml")

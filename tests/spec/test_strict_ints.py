"""The spec's integers are strict: YAML's ``true`` or ``"64"`` is a located error,
never read as 1 or 64; numbers given as YAML, also by ``--set``, still pass."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.errors import SpecError
from dagnas.spec import parse_spec
from dagnas.spec.overrides import apply_overrides, parse_assignment

DAG = """\
kind: dag
nodes:
  - {name: x, role: input}
  - {name: h, width: 16}
  - {name: out, role: output}
edges:
  - {from: x, to: h, ops: [linear_relu]}
  - {from: h, to: out, ops: [linear]}
search: {epochs: 2, batch_size: 8, seed: 1}
"""
CELL = "kind: darts_cell\nops: [skip_connect]\nchannels: 8\nlayers: 3\ninput_nodes: 2\n"
DENSE = """\
kind: dense_blocks
stages:
  - {blocks: 2, vertices: 3, width: 8, constraints: {min_edges: 1}}
resample: {every: 1}
"""

# (spec, the value replaced, its line, the field the error names)
FIELDS = [
    (DAG, "width: 16", 4, "nodes[1].width"),
    (DAG, "epochs: 2", 9, "search.epochs"),
    (DAG, "batch_size: 8", 9, "search.batch_size"),
    (DAG, "seed: 1", 9, "search.seed"),
    (CELL, "channels: 8", 3, "channels"),
    (CELL, "layers: 3", 4, "layers"),
    (CELL, "input_nodes: 2", 5, "input_nodes"),
    (DENSE, "blocks: 2", 3, "stages[0].blocks"),
    (DENSE, "vertices: 3", 3, "stages[0].vertices"),
    (DENSE, "width: 8", 3, "stages[0].width"),
    (DENSE, "min_edges: 1", 3, "stages[0].constraints.min_edges"),
    (DENSE, "every: 1", 4, "resample.every"),
]


@pytest.mark.parametrize("bad", ["true", '"2"', "2.0"])
@pytest.mark.parametrize("text, given, line, field", FIELDS, ids=[f[3] for f in FIELDS])
def test_a_boolean_or_a_string_is_not_an_integer(text, given, line, field, bad):
    name = given.partition(":")[0]
    parse_spec(text, "space.yaml")  # the spec as written is valid
    with pytest.raises(SpecError) as info:
        parse_spec(text.replace(given, f"{name}: {bad}"), "space.yaml")
    msg = str(info.value)
    assert msg.startswith(f"space.yaml:{line}: {field}: Input should be a valid integer"), msg
    assert "write a whole number such as 8, without quotes" in msg


def test_input_shape_items_are_strict():
    with pytest.raises(SpecError, match=r"space.yaml:6: input_shape\[1\]: .*valid integer"):
        parse_spec(CELL + "input_shape: [1, '8', 8]\n", "space.yaml")


def test_an_override_is_read_as_yaml_so_a_number_stays_an_int():
    spec = parse_spec(DAG, "space.yaml")
    new = apply_overrides(spec, dict([parse_assignment("nodes.1.width=64")]), origin="--set")
    assert new.nodes[1].width == 64 and type(new.nodes[1].width) is int
    with pytest.raises(SpecError, match=r"^--set nodes\[1\]\.width: .*valid integer"):
        apply_overrides(spec, dict([parse_assignment("nodes.1.width=true")]), origin="--set")


def test_validate_takes_a_number_by_set_and_refuses_a_quoted_one(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text(DAG)
    ok = CliRunner().invoke(main, ["validate", str(path), "--set", "nodes.1.width=64"])
    assert ok.exit_code == 0, ok.output
    bad = CliRunner().invoke(main, ["validate", str(path), "--set", "nodes.1.width='64'"])
    assert bad.exit_code != 0 and "nodes[1].width: Input should be a valid integer" in bad.output


@pytest.mark.parametrize(
    ("option", "where"),
    [
        ("derive: {name: topk, k: true}", "derive: option 'k'"),
        ("derive: {name: topk, k: '2'}", "derive: option 'k'"),
        ("search: {augment: {crop: true}}", "search.augment.crop: "),
    ],
)
def test_a_component_option_is_a_strict_integer_too(option: str, where: str) -> None:
    with pytest.raises(SpecError, match=rf"s\.yaml:6: {where}.*valid integer"):
        parse_spec(CELL + option + "\n", "s.yaml")

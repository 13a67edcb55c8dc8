"""A check that fails after loading blames the --set that changed the field, and
the spec file's line for a field the overrides left alone."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.errors import SpecError
from dagnas.spec import parse_spec
from dagnas.spec.check import check_spec
from dagnas.spec.overrides import apply_overrides

SPACE = """kind: dag
name: two
nodes:
  - {name: x, role: input}
  - {name: h, width: 8}
  - {name: out, role: output}
edges:
  - {from: x, to: h, ops: [linear_relu]}
  - {from: h, to: out, ops: [linear, zero]}
search: {data: digits}
"""


def test_a_field_set_on_the_command_line_is_blamed_on_the_set() -> None:
    result = CliRunner().invoke(main, ["validate", "nb201_tiny", "--set", "ops=[none]"])
    assert result.exit_code == 2
    assert "Error: --set ops: only zero ops (none) lead to the output" in result.output
    assert "nb201_tiny.yaml" not in result.output


def test_a_field_left_alone_keeps_its_line_in_the_file() -> None:
    spec = parse_spec(SPACE.replace("[linear, zero]", "[zero]"), "two.yaml")
    spec = apply_overrides(spec, {"search.epochs": 3}, origin="--set")
    with pytest.raises(SpecError, match=r"two\.yaml:9: edges\[1\]: only zero ops"):
        check_spec(spec)
    spec = apply_overrides(parse_spec(SPACE, "two.yaml"), {"edges.1.ops": ["zero"]}, origin="--set")
    with pytest.raises(SpecError, match=r"--set edges\[1\]: only zero ops"):
        check_spec(spec)

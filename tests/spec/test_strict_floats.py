"""A real-valued field takes a number, never YAML's ``true``/``false`` (pydantic's
lax mode would read them as 1.0 / 0.0): a located error, in the spec and in a
component's options; a number written as an int or in YAML 1.1's ``3e-4`` (a
string) still passes, and so does a field that takes a boolean as well."""

from __future__ import annotations

import pytest

from dagnas.errors import SpecError
from dagnas.spec import parse_spec
from dagnas.spec.overrides import apply_overrides, parse_assignment

DAG = """\
kind: dag
nodes:
  - {name: x, role: input}
  - {name: out, role: output}
edges:
  - {from: x, to: out, ops: [linear, zero]}
search:
  weights: {lr: 0.05, momentum: 0.9}
  arch: {lr: 3e-4}
  relaxation: {name: sigmoid, zero_one_weight: 10}
"""


@pytest.mark.parametrize(
    ("given", "line", "found"),
    [
        ("lr: 0.05", 8, "search.weights: 'lr' is a number, not true"),
        ("momentum: 0.9", 8, "search.weights: 'momentum' is a number, not true"),
        ("lr: 3e-4", 9, "search.arch: 'lr' is a number, not true"),
        (
            "zero_one_weight: 10",
            10,
            "search.relaxation: relaxation 'sigmoid': 'zero_one_weight' is a number, not true",
        ),
    ],
)
def test_true_is_not_a_number(given, line, found):
    spec = parse_spec(DAG, "space.yaml")  # as written: valid, numbers as given
    assert spec.search.arch.lr == 3e-4 and spec.search.relaxation.options["zero_one_weight"] == 10
    name = given.partition(":")[0]
    with pytest.raises(SpecError) as info:
        parse_spec(DAG.replace(given, f"{name}: true"), "space.yaml")
    assert str(info.value) == f"space.yaml:{line}: {found}"


def test_an_override_of_false_is_refused_and_a_boolean_option_still_takes_one():
    spec = parse_spec(DAG, "space.yaml")
    with pytest.raises(SpecError, match=r"^--set search\.weights: 'lr' is a number, not false$"):
        apply_overrides(spec, dict([parse_assignment("search.weights.lr=false")]), origin="--set")
    kept = apply_overrides(spec, {"search.relaxation.drop_zero": False}, origin="--set")
    assert kept.search.relaxation.options["drop_zero"] is False

"""Dotted overrides: set any spec field, validated like the YAML, errors naming the key."""

from __future__ import annotations

import pytest

from dagnas.errors import SpecError
from dagnas.spaces import load_space
from dagnas.spec.overrides import apply_overrides, parse_assignment


def sets(*texts: str) -> dict:
    return dict(parse_assignment(t) for t in texts)


def test_dotted_keys_set_fields_and_values_are_yaml():
    spec = load_space("darts_digits")
    new = apply_overrides(
        spec, sets("search.relaxation.name=gumbel", "search.arch.lr=1e-3", "ops.0=skip_connect")
    )
    assert new.search.relaxation.name == "gumbel"
    assert new.search.relaxation.options == {  # its defaults
        "tau_max": 10.0,
        "tau_min": 0.1,
        "anneal": "epoch",
        "undrawn": "scalar",
    }
    assert new.search.arch.lr == 1e-3 and new.search.arch.optimizer == spec.search.arch.optimizer
    assert new.ops[0] == "skip_connect" and new.search.epochs == spec.search.epochs
    assert parse_assignment("search.max_steps=null") == ("search.max_steps", None)


def test_a_mapping_merges_and_a_relaxation_brings_its_arch_defaults():
    spec = load_space("mlp_dag")
    new = apply_overrides(spec, {"search.relaxation": "sparse_simplex"})
    assert (new.search.arch.optimizer, new.search.arch.lr) == ("sgd", 0.1)
    merged = apply_overrides(spec, {"search.weights": {"lr": 0.5}})
    assert merged.search.weights.lr == 0.5
    assert merged.search.weights.momentum == spec.search.weights.momentum


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("search.epoch=3", "--set search.epoch: unknown key 'epoch'; did you mean 'epochs'?"),
        ("search.epochs=0", "--set search.epochs: Input should be greater than 0"),
        ("search.relaxation.name=gumbl", "unknown relaxation 'gumbl'; did you mean 'gumbel'?"),
        ("search.epochs.x=1", "'search.epochs' is a value (10), not a section with 'x'"),
        ("ops.20=identity", "'ops' is a list of 8; no item 20"),
        ("search.epochs", "an override is KEY=VALUE"),
    ],
)
def test_invalid_overrides_name_the_key(text, found):
    with pytest.raises(SpecError) as e:
        apply_overrides(load_space("darts_digits"), sets(text), origin="--set")
    assert found in str(e.value)


def test_the_spec_keeps_its_source_for_later_errors():
    spec = load_space("darts_digits")
    new = apply_overrides(spec, {"search.seed": 3})
    assert new._source.base is spec._source and new.search.seed == 3  # --set fields apart

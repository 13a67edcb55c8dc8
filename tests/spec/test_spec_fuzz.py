"""The spec loader on generated hostile documents: a spec, or a located SpecError.

A fixed, derandomised slice runs in the suite; ``benchmarks/fuzz_spec.py``
runs the same strategies for as long as asked.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from dagnas.errors import SpecError
from dagnas.spec import load_space, parse_spec
from tests.spec.spec_fuzz import SEEDS, SOURCE, documents, outcome

FAST = settings(
    max_examples=800,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def test_seeds_are_valid_specs():
    assert len(SEEDS) >= 10 and {outcome(t) for t in SEEDS} == {"valid"}


@pytest.mark.slow
@FAST
@given(documents())
def test_hostile_documents_validate_or_fail_located(text):
    outcome(text)


def test_mutations_reach_both_outcomes():
    """The strategy is not all noise: some mutated documents still validate."""
    once = settings(database=None, derandomize=True, max_examples=200, deadline=None)
    mutated = find(documents(), lambda t: t not in SEEDS and outcome(t) == "valid", settings=once)
    assert mutated not in SEEDS
    assert find(documents(), lambda t: outcome(t) == "error", settings=once)


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=300))
def test_random_bytes_in_a_file_fail_located(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "s.yaml"
    path.write_bytes(data)
    try:
        load_space(path)
    except SpecError as e:
        assert all(where.startswith(str(path)) for where, _ in e.issues)


#: a "billion laughs": each level 9 aliases of the one before, 9**8 values expanded
LAUGHS = "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefg", "bcdefgh", strict=True)
)
#: What the fuzzer (and its first runs against the old loader) found crashing, and
#: what each now says: (document, where, message fragment).
FOUND = [
    ("kind: dag\nnodes: " + "[" * 3000 + "]" * 3000, ":2:", "nested deeper than 64 levels"),
    ("kind: dag\nnodes: " + "1" * 5000, ":2:8", "cannot read this value as int: Exceeds"),
    ("!!timestamp 2001-99-99\n!!timestamp 2001\n", ":1:1", "cannot read this value as timestamp"),
    ("kind: !!float nope\n", ":1:7", "cannot read this value as float"),
    ("kind: &a [*a]\n", ":1", "kind[0]: a YAML alias refers to itself"),
    ("a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + LAUGHS + "kind: dag\n", ":1", "more than 200000"),
    ('kind: dag\nname: "\\ud800"\n', ":2: name", "lone surrogate '\\ud800'"),
    ("kind: dag\nname: a\x00\n", ":2", "character '\\x00' is not allowed"),
    ("kind: dag\nsearch: {weights: {lr_min: .inf}}\n", ":2: search.weights.lr_min", "finite"),
    ("kind: darts_cell\nops: [skip_connect]\nlayers: 100000\n", ":3: layers", "256"),
    ("kind: dag\nfunction-: null\n", ":2: function-", "unknown key 'function-'"),
]


@pytest.mark.parametrize(("text", "where", "fragment"), FOUND)
def test_what_the_fuzzer_found_is_a_located_spec_error(text, where, fragment):
    assert outcome(text) == "error"  # located in the file, and printable
    with pytest.raises(SpecError) as err:
        parse_spec(text, SOURCE)
    assert any(w.startswith(SOURCE + where) for w, _ in err.value.issues), err.value.issues
    assert fragment in str(err.value)

"""The spec loader on generated hostile documents: a spec, or a located SpecError.

A fixed, derandomised slice runs in the suite; ``benchmarks/fuzz_spec.py``
runs the same strategies for as long as asked.
"""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagnas.errors import SpecError
from dagnas.spec import load_space
from tests.spec.spec_fuzz import SEEDS, documents, outcome

FAST = settings(
    max_examples=600,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
SEEN: Counter[str] = Counter()


def test_seeds_are_valid_specs():
    assert len(SEEDS) >= 10 and {outcome(t) for t in SEEDS} == {"valid"}


@FAST
@given(documents())
def test_hostile_documents_validate_or_fail_located(text):
    SEEN[outcome(text)] += 1


def test_the_slice_exercised_both_outcomes():
    """Runs after the slice (file order): the mutations did not all fail, nor all pass."""
    assert SEEN["error"] > 100 and SEEN["valid"] > 10, SEEN


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.binary(max_size=300))
def test_random_bytes_in_a_file_fail_located(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("bytes") / "s.yaml"
    path.write_bytes(data)
    try:
        load_space(path)
    except SpecError as e:
        assert all(where.startswith(str(path)) for where, _ in e.issues)

"""Tests for dagnas.export.margins, against margins computed by hand."""

from __future__ import annotations

import pytest

from dagnas.export.margins import TINY_MARGIN, choice_margins, near_uniform

MIXING = {
    "normal:0->2": {"none": 0.1, "skip": 0.6, "conv": 0.3},  # 0.6 - 0.3
    "normal:1->2": {"none": 0.5, "skip": 0.2, "conv": 0.3},  # 0.5 - 0.3
    "s0:blocks": {"b0": 0.26, "b1": 0.25, "b2": 0.25, "b3": 0.24},  # 0.26 - 0.25
    "single": {"only": 0.9},
}


def test_margins_of_the_strongest_op() -> None:
    m = choice_margins(MIXING)
    assert m == pytest.approx(
        {"normal:0->2": 0.3, "normal:1->2": 0.2, "s0:blocks": 0.01, "single": 0.9}
    )


def test_margins_of_the_chosen_ops_only() -> None:
    m = choice_margins(MIXING, {"normal:1->2": "conv", "normal:0->2": "skip"})
    assert m == pytest.approx({"normal:1->2": 0.3 - 0.5, "normal:0->2": 0.3})


def test_weights_of_a_darts_digits_run_are_near_uniform() -> None:
    # 8 ops between 0.11 and 0.14, as the darts_digits run of the issue ended
    row = dict(zip("abcdefgh", [0.14, 0.13, 0.13, 0.125, 0.12, 0.12, 0.115, 0.11], strict=True))
    margins = choice_margins({f"e{i}": row for i in range(9)})
    assert margins["e0"] == pytest.approx(0.01)
    assert near_uniform(margins)


def test_near_uniform_needs_more_than_the_fraction_tiny() -> None:
    assert not near_uniform({})
    assert not near_uniform({"a": 0.01, "b": 0.3})  # half tiny: not more than half
    assert near_uniform({"a": 0.01, "b": 0.3, "c": TINY_MARGIN / 2})
    assert not near_uniform({"a": 0.01, "b": 0.3, "c": TINY_MARGIN})  # at the threshold: not tiny
    assert near_uniform({"a": 0.2, "b": 0.3}, threshold=0.35)
    assert near_uniform({"a": 0.01, "b": 0.3}, fraction=0.4)

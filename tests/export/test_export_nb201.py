"""NAS-Bench-201 strings: print, parse, and Architecture round trips."""

from __future__ import annotations

import pytest

from dagnas.errors import DagnasError
from dagnas.export.fixed import from_nb201
from dagnas.export.nb201 import EXAMPLE, nb201_string, parse_nb201
from dagnas.graph import canonical_hash, same_architecture
from tests.export.spaces import CIFAR, derived, space


def test_parse_lists_every_edge():
    ops = parse_nb201(EXAMPLE)
    assert ops == {
        (0, 1): "nor_conv_3x3",
        (0, 2): "nor_conv_3x3",
        (1, 2): "skip_connect",
        (0, 3): "none",
        (1, 3): "none",
        (2, 3): "avg_pool_3x3",
    }


@pytest.mark.parametrize("seed", range(5))
def test_derived_nb201_architecture_round_trips(seed):
    spec = space("nb201")
    arch = derived(spec, seed)
    text = nb201_string(arch)
    assert text == arch.graph["nb201"]
    back = from_nb201(text, spec, (3, 8, 8), 10, run=arch.graph["run"])
    assert canonical_hash(back) == canonical_hash(arch) and same_architecture(back, arch)
    assert back.graph == arch.graph and nb201_string(back) == text


def test_string_round_trips_through_an_architecture():
    arch = from_nb201(EXAMPLE, space("nb201"), *CIFAR)
    assert nb201_string(arch) == EXAMPLE
    assert arch.edges["normal:0", "normal:3"]["op"] == "none"


@pytest.mark.parametrize(
    "text, says",
    [
        ("|nor_conv_3x3~0|+|none~0|none~1|", "2 '\\+'-separated nodes"),
        ("|a~0|+|b~0|c~1|+|d~0|e~1|", "lists 2 inputs, expected 3"),
        ("|a~1|+|b~0|c~1|+|d~0|e~1|f~2|", "expected 'op~0'"),
        ("a~0|+|b~0|c~1|+|d~0|e~1|f~2|", "start and end"),
    ],
)
def test_malformed_strings_say_what(text, says):
    with pytest.raises(DagnasError, match=says):
        parse_nb201(text)


def test_ops_and_spaces_that_do_not_fit_are_refused():
    bad = EXAMPLE.replace("avg_pool_3x3", "sep_conv_3x3")
    with pytest.raises(DagnasError, match="'sep_conv_3x3' at edge 2->3 is not a candidate"):
        from_nb201(bad, space("nb201"), *CIFAR)
    with pytest.raises(DagnasError, match="unknown op 'conv9'"):
        from_nb201(EXAMPLE.replace("avg_pool_3x3", "conv9"), space("nb201"), *CIFAR)
    with pytest.raises(DagnasError, match="not NAS-Bench-201-shaped"):
        from_nb201(EXAMPLE, space("darts_cifar10"), *CIFAR)


def test_non_nb201_architecture_has_no_string():
    assert nb201_string(derived(space("darts_digits"), 0)) is None

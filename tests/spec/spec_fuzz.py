"""Hypothesis strategies of hostile spec documents, and the loader's contract.

Documents start from valid specs (the built-in spaces, raw and as resolved
configs with every default written out, and the tests' tiny spaces) and
are mutated twice over: as data (fields removed, retyped, out of range,
huge, non-finite, renamed to odd unicode, deeply nested, duplicated list
items) and as text (lines duplicated, giving duplicate keys; lines dropped
or swapped; odd characters, YAML tags, aliases and deep brackets spliced
in; the text cut short). The contract (:func:`outcome`): a spec validates,
or ``parse_spec`` raises a SpecError whose every issue names the file (and,
where there is one, the line and field) — never another exception.
"""

from __future__ import annotations

import copy
from typing import Any

import yaml
from hypothesis import strategies as st

from dagnas.errors import SpecError
from dagnas.spaces import builtin_spaces
from dagnas.spec import load_space, parse_spec
from dagnas.workflows.rundir import dump_spec
from tests.conftest import TINY_CELL, TINY_DAG

SOURCE = "fuzz.yaml"
ODD = [
    "\u202eevil",  # right-to-left override
    "a\u200bb",  # zero-width space
    "\ufeffkind",  # byte-order mark
    "\u2028",  # line separator
    "\x85",  # next line
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\U0001f600",  # outside the BMP
    "\\ud800",  # a lone surrogate, as a YAML escape in double quotes
    "日本語",
    "\t",
    "\x00",
    "\x7f",
    "ﬁ",  # a ligature NFKC folds
    "١٢",  # Arabic-Indic digits
]
SNIPPETS = [
    "&a [*a]",
    "*undefined",
    "!!python/object/apply:os.system [echo]",
    "!!binary '!!!'",
    "!!timestamp 2001-99-99",
    "!!float nope",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "? [a, b]\n: c",
    "<<: 3",
    "1" * 5000,
    "0x1F",
    "0o17",
    "1_000",
    ".nan",
    "-.inf",
    "1e400",
    "~",
    "%YAML 1.1\n---",
    "---\n---",
    '"\\ud800"',
    "[" * 400 + "]" * 400,
    "{a: " * 100 + "1" + "}" * 100,
    "- " * 80 + "x",
]


def _seeds() -> list[str]:
    texts = [TINY_DAG, TINY_CELL]
    for path in builtin_spaces().values():
        texts += [path.read_text(), dump_spec(load_space(path))]
    return texts


SEEDS = _seeds()
SEED_DATA = [yaml.safe_load(t) for t in SEEDS]

odd_text = st.sampled_from(ODD) | st.text(max_size=12)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([10**100, -(10**100), 2**63, 2**64 + 1, -1, 0, 1]),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(odd_text, inner, max_size=4),
    max_leaves=8,
)


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every path into ``node`` (dict keys and list indices), the root included."""
    found = [path]
    if isinstance(node, dict | list):
        for k, v in node.items() if isinstance(node, dict) else enumerate(node):
            found += _paths(v, (*path, k))
    return found


def _parent(data: Any, path: tuple) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated_data(draw: st.DrawFn) -> Any:
    """A valid spec's data after 1–4 structural mutations."""
    data = copy.deepcopy(draw(st.sampled_from(SEED_DATA)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(_paths(data)))
        if not path:
            data = draw(values) if draw(st.integers(0, 9)) == 0 else data
            continue
        parent, key = _parent(data, path), path[-1]
        op = draw(st.sampled_from(["remove", "replace", "rename", "nest", "duplicate", "add"]))
        if op == "remove":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(values)
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(odd_text | st.integers())] = parent.pop(key)
        elif op == "nest":
            for _ in range(draw(st.integers(1, 70))):
                parent[key] = draw(st.sampled_from([[parent[key]], {"x": parent[key]}]))
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif isinstance(parent, dict):
            parent[draw(odd_text)] = draw(values)
    return data


def _dump(data: Any, flow: bool | None, unicode: bool) -> str:
    return yaml.safe_dump(data, default_flow_style=flow, allow_unicode=unicode, sort_keys=False)


@st.composite
def mutated_text(draw: st.DrawFn, text: str) -> str:
    """``text`` after 0–3 line- and character-level mutations."""
    for _ in range(draw(st.integers(0, 3))):
        lines = text.split("\n")
        i = draw(st.integers(0, max(len(lines) - 1, 0)))
        op = draw(st.sampled_from(["dup", "drop", "swap", "splice", "char", "cut"]))
        if op == "dup":
            lines.insert(i, lines[i])
        elif op == "drop":
            del lines[i]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "splice":
            head = lines[i].split(":")[0] + ": " if ":" in lines[i] else ""
            lines[i] = head + draw(st.sampled_from(SNIPPETS))
        elif op == "char":
            pos = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:pos] + draw(odd_text) + lines[i][pos:]
        else:
            return text[: draw(st.integers(0, len(text)))]
        text = "\n".join(lines)
    return text


@st.composite
def documents(draw: st.DrawFn) -> str:
    """A hostile spec document: a seed's text, or a mutated seed's data, then text edits."""
    if draw(st.booleans()):
        text = draw(st.sampled_from(SEEDS))
    else:
        data = draw(mutated_data())
        text = _dump(data, draw(st.sampled_from([None, True, False])), draw(st.booleans()))
    return draw(mutated_text(text))


def outcome(text: str) -> str:
    """``"valid"`` or ``"error"`` (a SpecError located in the file); any other
    exception, an issue without the file, or an unprintable message fails."""
    try:
        parse_spec(text, SOURCE)
    except SpecError as e:
        assert e.issues, "a SpecError without issues"
        for where, msg in e.issues:
            assert where.startswith(SOURCE), f"issue without a location: {where!r}: {msg}"
            assert msg
        str(e).encode("utf-8")  # a message the terminal can print
        return "error"
    return "valid"

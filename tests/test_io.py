"""Atomic writes keep the umask's mode; JSON files are strict; JSON lines read back
after a kill drop a torn last line and name a bad one elsewhere."""

from __future__ import annotations

import json
import math
import os
import stat

import pytest

from dagnas.errors import RunError
from dagnas.io import (
    append_jsonl,
    atomic_write_json,
    atomic_write_text,
    current_umask,
    read_jsonl,
)


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_atomic_write_gives_the_mode_open_would(tmp_path, mask):
    old = os.umask(mask)
    try:
        assert current_umask() == mask
        written = atomic_write_text(tmp_path / "a.txt", "x")
        with open(tmp_path / "b.txt", "w") as f:
            f.write("x")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(written.stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o666 & ~mask


def test_non_finite_numbers_are_written_as_null(tmp_path):
    record = {"loss": math.nan, "deep": [1.0, {"x": math.inf}, -math.inf], "ok": 0.5}
    atomic_write_json(tmp_path / "s.json", record)
    append_jsonl(tmp_path / "m.jsonl", record)
    expected = {"loss": None, "deep": [1.0, {"x": None}, None], "ok": 0.5}

    def strict(token: str) -> float:
        raise ValueError(f"non-standard JSON token {token}")

    assert json.loads((tmp_path / "s.json").read_text(), parse_constant=strict) == expected
    line = (tmp_path / "m.jsonl").read_text().splitlines()[0]
    assert json.loads(line, parse_constant=strict) == expected


def test_read_jsonl_drops_a_torn_last_line(tmp_path):
    path = tmp_path / "h.jsonl"
    assert read_jsonl(path) == []
    for e in (1, 2):
        append_jsonl(path, {"epoch": e})
    with open(path, "a") as f:
        f.write('{"epoch": 3, "v')
    assert read_jsonl(path) == [{"epoch": 1}, {"epoch": 2}]


def test_read_jsonl_names_a_bad_line_before_the_last(tmp_path):
    path = tmp_path / "h.jsonl"
    path.write_text('{"epoch": 1}\nnot json\n{"epoch": 3}\n')
    with pytest.raises(RunError, match=r"h.jsonl:2: not a JSON line"):
        read_jsonl(path)

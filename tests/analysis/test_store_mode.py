"""A new evaluations store gets its mode from the umask, as every file dagnas writes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest

from dagnas.analysis.store import EvalStore
from dagnas.io import atomic_write_text
from tests.analysis.writers import evaluation


@pytest.fixture(params=[0o002, 0o077])
def umask(request) -> Iterator[int]:
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path: os.PathLike[str]) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_store_follows_the_umask_like_other_files(tmp_path, umask):
    with EvalStore(tmp_path / "evaluations.sqlite") as db:
        db.add(evaluation("a"))
        wal = tmp_path / "evaluations.sqlite-wal"
        assert mode(wal) == 0o666 & ~umask
    other = atomic_write_text(tmp_path / "summary.json", "{}")
    assert mode(tmp_path / "evaluations.sqlite") == mode(other) == 0o666 & ~umask


def test_an_existing_store_keeps_its_mode(tmp_path, umask):
    path = tmp_path / "evaluations.sqlite"
    EvalStore(path).close()
    path.chmod(0o640)
    with EvalStore(path) as db:
        db.add(evaluation("a"))
    assert mode(path) == 0o640

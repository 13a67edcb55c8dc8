"""A missing offline data folder skips its tests, except under CI, where it fails them."""

from __future__ import annotations

import pytest

from tests.conftest import data_missing, find_shared_data


def test_missing_data_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no MNIST"):
        data_missing("no MNIST")


def test_missing_data_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        data_missing("no MNIST")


def test_the_env_var_names_the_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGNAS_SHARED_DATA", str(tmp_path))
    assert find_shared_data() == (tmp_path, "")
    monkeypatch.setenv("DAGNAS_SHARED_DATA", str(tmp_path / "nope"))
    assert find_shared_data()[0] is None

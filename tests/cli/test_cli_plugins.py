"""User code: `dagnas --import MODULE` and the `dagnas.plugins` entry points."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dagnas import plugins
from dagnas.errors import DagnasError
from tests.spec.test_errors import DAG

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = '''\
from torch import nn

from dagnas.ops import register_op


@register_op("halve", domain="vector", same_width=False)
def halve(c_in, c_out, stride, **_):
    """A linear map at half its initial scale."""
    layer = nn.Linear(c_in, c_out)
    layer.weight.data.mul_(0.5)
    return layer
'''
SPACE = DAG + "  - {from: x, to: out, ops: [halve, linear]}\n"


def dagnas(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "dagnas", *args]
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_an_imported_module_registers_ops_for_validate_ops_and_schema(tmp_path: Path) -> None:
    (tmp_path / "myplug.py").write_text(PLUGIN)
    (tmp_path / "space.yaml").write_text(SPACE)
    without = dagnas(tmp_path, "validate", "space.yaml")
    assert without.returncode == 2 and "unknown op 'halve'" in without.stderr
    found = dagnas(tmp_path, "--import", "myplug", "validate", "space.yaml")
    assert found.returncode == 0, found.stderr
    listed = dagnas(tmp_path, "--import", "myplug", "ops", "--json")
    ops = {d["op"]: d for d in json.loads(listed.stdout)}
    assert ops["halve"]["domain"] == "vector" and ops["halve"]["width"] == "c_in → c_out"
    schema = dagnas(tmp_path, "--import", "myplug", "schema")
    assert '"halve"' in schema.stdout
    missing = dagnas(tmp_path, "--import", "nosuchplug", "ops")
    assert missing.returncode == 1 and "--import nosuchplug" in missing.stderr
    assert "Traceback" not in missing.stderr


class FakeEntryPoint:
    def __init__(self, name: str, fail: bool = False):
        self.name, self.value, self.fail, self.loaded = name, f"pkg.{name}", fail, False

    def load(self) -> None:
        if self.fail:
            raise RuntimeError("boom")
        self.loaded = True


def test_entry_points_are_loaded_and_a_broken_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = FakeEntryPoint("good")
    monkeypatch.setattr(plugins, "entry_points", lambda group: [good])
    assert plugins.load_plugins() == ["pkg.good"] and good.loaded
    monkeypatch.setattr(plugins, "entry_points", lambda group: [FakeEntryPoint("bad", True)])
    with pytest.raises(DagnasError, match=r"plugin 'bad' \(pkg.bad.*RuntimeError: boom"):
        plugins.load_plugins()

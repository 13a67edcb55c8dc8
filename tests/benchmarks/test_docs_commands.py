"""The benchmark commands the docs give run as written: each names a module of
``benchmarks`` run with ``python -m`` from the project root (``python
benchmarks/X.py`` cannot import ``benchmarks.common``), with options its parser has."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "benchmarks" / "tables" / "README.md"]
DOCS += sorted((ROOT / "benchmarks").glob("*.py"))
COMMAND = re.compile(r"python -m benchmarks\.(\w+)((?:\s+--?[\w-]+(?:[ =][^\s`-][^\s`]*)?)*)")


def commands() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        text = re.sub(r"\s*\n\s*", " ", doc.read_text())  # commands wrap across lines
        found += [(doc.name, m[1], m[2]) for m in COMMAND.finditer(text)]
    return found


def test_no_doc_runs_a_benchmark_as_a_script() -> None:
    for doc in DOCS:
        assert not re.search(r"python benchmarks/\w+\.py", doc.read_text()), doc


@pytest.mark.parametrize(("doc", "module", "args"), commands())
def test_a_documented_benchmark_command_names_its_module_and_options(
    doc: str, module: str, args: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    mod = importlib.import_module(f"benchmarks.{module}")
    monkeypatch.setattr(sys, "argv", [module, "--help"])
    with pytest.raises(SystemExit) as done:
        mod.main(["--help"]) if mod.main.__code__.co_argcount else mod.main()
    assert done.value.code == 0
    usage = capsys.readouterr().out
    missing = [f for f in re.findall(r"(--[\w-]+)", args) if f not in usage]
    assert not missing, f"{doc}: benchmarks.{module} has no {missing}"

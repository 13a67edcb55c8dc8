"""Imports point down the pipeline: no cycle in dagnas, no import hidden in a function.

The graph is built from the source with ``ast``: an edge A → B for every
module-level ``import``/``from`` of a dagnas module B in module A (imports
under ``if TYPE_CHECKING:`` only serve annotations and are left out).
Importing a module also runs its packages' ``__init__``; that every module
imports in a fresh interpreter, whatever comes first, is checked by
importing them all in two orders.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dagnas"

#: function-level dagnas imports allowed, with the reason (path relative to dagnas/)
ALLOWED_LOCAL: dict[str, str] = {
    "__main__.py": "the process's entry sets its signal handlers before the commands load",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, here: str) -> list[str]:
    """The dagnas modules an import statement names (a name that is a submodule counts)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    base = node.module or ""
    if node.level:  # relative import
        pkg = here if MODULES[here].name == "__init__.py" else here.rsplit(".", 1)[0]
        pkg = pkg.rsplit(".", node.level - 1)[0] if node.level > 1 else pkg
        base = f"{pkg}.{base}" if base else pkg
    found = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES]
    if base in MODULES and len(found) < len(node.names):
        found.append(base)
    return found


def _module_level(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """Import statements run when the module is imported (try/if bodies included)."""
    found: list[ast.Import | ast.ImportFrom] = []
    todo: list[ast.stmt] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody
            todo += [s for h in node.handlers for s in h.body]
    return found


def import_graph() -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(MODULES)
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _module_level(tree):
            g.add_edges_from((name, t) for t in _targets(node, name) if t != name)
    return g


def local_imports() -> list[str]:
    """``path:line: statement`` of every dagnas import inside a function, outside cli/."""
    found = []
    for name, path in MODULES.items():
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("cli/") or rel in ALLOWED_LOCAL:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom) and _targets(node, name):
                    found.append(f"{rel}:{node.lineno}: {ast.unparse(node)}")
    return sorted(set(found))


def test_the_module_import_graph_has_no_cycle():
    g = import_graph()
    assert g.number_of_edges() > 100  # the graph was built at all
    cycles = list(nx.simple_cycles(g))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + c[:1]) for c in cycles[:5])


def test_no_function_level_import_of_dagnas_outside_the_cli():
    assert local_imports() == []


def test_analysis_only_reads_the_store():
    """Nothing analysis/ imports, even indirectly, trains: no training, evaluation or search."""
    g = import_graph()
    trainers = ("dagnas.training", "dagnas.evaluate", "dagnas.engine.loop", "dagnas.workflows")
    for name in (m for m in MODULES if m.startswith("dagnas.analysis")):
        reached = nx.descendants(g, name)
        assert not [m for m in reached if m.startswith(trainers)], name


def test_the_checks_see_cycles_and_local_imports(tmp_path):
    """The helpers find what they look for (on a toy module set)."""
    tree = ast.parse("import dagnas.graph\nif TYPE_CHECKING:\n    import dagnas.io\n")
    assert [_targets(n, "dagnas.errors") for n in _module_level(tree)] == [["dagnas.graph"]]
    tree = ast.parse("from dagnas import graph, kinds\nfrom dagnas.ops import OPS\n")
    targets = sorted(t for n in _module_level(tree) for t in _targets(n, "dagnas.errors"))
    assert targets == ["dagnas.graph", "dagnas.kinds", "dagnas.ops"]


@pytest.mark.parametrize("order", ["reverse topological", "sorted"])
def test_every_module_imports_in_a_fresh_interpreter(order):
    g = import_graph()
    names = (
        list(reversed(list(nx.topological_sort(g))))
        if order == "reverse topological"
        else sorted(MODULES)
    )
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n"
    done = subprocess.run(
        [sys.executable, "-c", code, *names], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]

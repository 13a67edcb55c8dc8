"""The public verbs of ``import dagnas``: the README's "From Python" example, built-in
names, and a light import."""

from __future__ import annotations

import subprocess
import sys

import networkx as nx
import pytest

import dagnas
from dagnas.errors import SpecError


def test_the_readme_example_searches_and_retrains():
    out = dagnas.search(dagnas.load_space("darts_digits"), max_steps=3, epochs=1)
    assert isinstance(out.architecture, nx.DiGraph) and out.run_dir is None
    assert out.summary["steps"] == 3 and out.spec.search.max_steps == 3
    result = dagnas.retrain(out.architecture, data="digits", epochs=1, data_limit=200)
    assert 0.0 <= result["test_acc"] <= 1.0 and result["params"] > 0


def test_a_kept_retraining_loads_in_one_call(tmp_path):
    arch = dagnas.search("darts_digits", max_steps=1, epochs=1).architecture
    result = dagnas.retrain(
        arch, epochs=1, data_limit=200, protocol="quick", augment={"flip": False}, out=tmp_path
    )
    assert result["protocol"]["augment"] == {"crop": 4, "flip": False, "cutout": 0}
    model = dagnas.load_model(tmp_path)
    assert not model.training and "load_model" in dir(dagnas)


def test_search_writes_a_run_folder_when_given_one(tmp_path):
    out = dagnas.search("dense_digits", tmp_path / "run", max_steps=2, epochs=1)
    assert out.run_dir == tmp_path / "run"
    assert {"config.yaml", "summary.json", "architecture.json"} <= {
        p.name for p in out.run_dir.iterdir()
    }


def test_the_verbs_compose_by_hand():
    spec = dagnas.load_space("mlp_dag")
    graph = dagnas.lower(spec, (5,), 3)
    net = dagnas.build_supernet(spec, (5,), 3)
    assert set(net.graph.edges) == set(graph.edges)
    arch = dagnas.derive(net.graph, net.relaxation.final(), run="by-hand")
    assert arch.number_of_edges() > 0


def test_load_space_takes_a_builtin_name_or_a_path():
    by_name = dagnas.load_space("darts_digits")
    by_path = dagnas.load_space("spaces/darts_digits.yaml")
    assert by_name.model_dump() == by_path.model_dump() and by_name.name == "darts_digits"
    with pytest.raises(SpecError, match="no such file"):
        dagnas.load_space("darts_digitz")


def test_import_dagnas_stays_light_and_has_a_version():
    code = (
        "import sys, dagnas, dagnas.analysis.store\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print(dagnas.__version__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip()

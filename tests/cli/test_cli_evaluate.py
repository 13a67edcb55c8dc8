"""dagnas train and dagnas evaluate end to end: files, resumption after a kill, errors."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.evaluate.candidates import sample_architectures
from dagnas.export import write_json
from dagnas.graph import from_json_dict
from dagnas.measure.params import graph_params
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower
from tests.analysis.synth import layered_space
from tests.conftest import TINY_CELL, TINY_DAG

ROOT = Path(__file__).resolve().parents[2]


def arch_file(tmp_path: Path, shape: tuple[int, ...] = (1, 8, 8), classes: int = 10) -> Path:
    g = lower(parse_spec(TINY_CELL), shape, classes)
    return write_json(sample_architectures(g, 1, seed=0)[0], tmp_path / "arch.json")


def test_train_writes_metrics_and_result_with_graph_params(tmp_path):
    out = tmp_path / "run"
    args = ["train", str(arch_file(tmp_path)), "--epochs", "2", "--data-limit", "200"]
    res = CliRunner().invoke(main, [*args, "--device", "cpu", "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines] == [1, 2]
    result = json.loads((out / "result.json").read_text())
    assert result["params"] == result["graph_params"] > 0 and result["flops"] > 0
    assert result["test_acc"] == lines[-1]["test_acc"] and result["data"] == "digits"


def test_train_refuses_a_dataset_the_architecture_was_not_built_for(tmp_path):
    wrong_classes = arch_file(tmp_path, classes=3)
    res = CliRunner().invoke(main, ["train", str(wrong_classes), "--data-limit", "100"])
    assert res.exit_code == 1 and "has 3 outputs but digits has 10 classes" in res.output
    g = lower(parse_spec(TINY_DAG), (5,), 10)
    vector = write_json(sample_architectures(g, 1)[0], tmp_path / "vec.json")
    res = CliRunner().invoke(main, ["train", str(vector), "--data-limit", "100"])
    assert res.exit_code == 1 and "built for inputs of shape (5,)" in res.output
    assert "Traceback" not in res.output


def rows(store: Path) -> list[tuple]:
    if not store.exists():
        return []
    con = sqlite3.connect(store, timeout=30)
    try:
        return con.execute("SELECT hash, seed, accuracy, created FROM evaluations").fetchall()
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        con.close()


@pytest.mark.slow
def test_killed_evaluation_loses_no_row_and_trains_nothing_twice(tmp_path):
    space = tmp_path / "cell.yaml"
    space.write_text(TINY_CELL)
    store = tmp_path / "evals.sqlite"
    args = ["evaluate", str(space), "--sample", "8", "--data-limit", "300", "--store", str(store)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "dagnas", *args, "-q"], env=env, cwd=tmp_path)
    deadline = time.monotonic() + 120
    while len(rows(store)) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the evaluation ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = rows(store)
    assert 2 <= len(before) < 8

    res = CliRunner().invoke(main, [*args, "-q"])
    assert res.exit_code == 0, res.output
    after = rows(store)
    assert len(after) == 8
    assert set(before) <= set(after)  # finished rows kept as they were, not retrained
    assert f"│ already stored │ {len(before)}" in res.output
    con = sqlite3.connect(store)
    trained = con.execute("SELECT hash, seed FROM trainings").fetchall()
    assert len(trained) == len(set(trained)) == 8  # every candidate trained exactly once


def test_evaluate_on_mnist_from_the_shared_data(shared_data, tmp_path):
    space = tmp_path / "layered.yaml"
    space.write_text(layered_space(3, width=8))
    store = tmp_path / "evals.sqlite"
    args = [
        "evaluate",
        str(space),
        "--sample",
        "2",
        "--data",
        "mnist",
        "--data-root",
        str(shared_data),
    ]
    args += ["--data-limit", "300", "--store", str(store), "-q"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    con = sqlite3.connect(store)
    got = con.execute("SELECT dataset, params, graph FROM evaluations").fetchall()
    assert [r[0] for r in got] == ["mnist", "mnist"]
    for _, params, graph in got:
        assert params == graph_params(from_json_dict(json.loads(graph)))


def test_evaluate_errors_are_messages(tmp_path):
    res = CliRunner().invoke(main, ["evaluate", "no_such_space", "--sample", "2"])
    assert res.exit_code != 0 and "no_such_space" in res.output, res.output
    res = CliRunner().invoke(
        main,
        [
            "evaluate",
            "mlp_dag",
            "--sample",
            "1",
            "--address",
            "x:1",
            "--store",
            str(tmp_path / "s"),
        ],
    )
    assert res.exit_code == 1 and "--address is for the ray backend" in res.output

"""`dagnas export`, `dagnas query` and `dagnas train --genotype`."""

from __future__ import annotations

import json

import pytest
import torch
from click.testing import CliRunner

from dagnas.cli import main
from tests.bench.runs import CONV, MIXED, SKIP, write_csv, write_run

DIGITS_GENOTYPE = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('skip_connect', 1), ('dil_conv_3x3', 0),"
    " ('max_pool_3x3', 2), ('sep_conv_5x5', 1), ('avg_pool_3x3', 3)], normal_concat=[2, 3, 4],"
    " reduce=[('max_pool_3x3', 0), ('skip_connect', 1), ('sep_conv_3x3', 2), ('skip_connect', 0),"
    " ('dil_conv_5x5', 3), ('avg_pool_3x3', 1)], reduce_concat=[2, 3, 4])"
)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.slow
def test_export_text_and_pt2(tmp_path):
    run = write_run(tmp_path / "run", [MIXED])
    result = invoke("export", str(run), "--to", "nb201")
    assert result.exit_code == 0, result.output
    assert (run / "architecture-nb201.txt").read_text() == MIXED + "\n"
    out = tmp_path / "models"
    result = invoke("export", str(run / "architecture.json"), "--to", "pt2", "--out", str(out))
    assert result.exit_code == 0, result.output
    model = torch.export.load(out / "architecture-pt2.pt2").module()
    assert model(torch.randn(2, 3, 8, 8)).shape == (2, 10)


def test_export_errors(tmp_path):
    run = write_run(tmp_path / "run", [MIXED])
    result = invoke("export", str(run), "--to", "genotype")
    assert result.exit_code == 1 and "input_nodes 1" in result.output
    assert "Traceback" not in result.output
    result = invoke("export", str(tmp_path), "--to", "dot")
    assert result.exit_code == 1 and "no architecture.json" in result.output


def test_query_run_epochs_and_strings(tmp_path):
    table = str(write_csv(tmp_path / "t.csv"))
    run = str(write_run(tmp_path / "run", [CONV, SKIP]))
    result = invoke("query", table, run, "--every-epoch", "--json", "--metric", "test_acc")
    assert result.exit_code == 0, result.output
    lines = json.loads(result.output)  # one document: a list of the hits
    assert [(r["epoch"], r["arch"], r["test_acc"]) for r in lines] == [
        (1, CONV, 93.5),
        (2, SKIP, 10.0),
    ]
    result = invoke("query", table, run)
    assert result.exit_code == 0 and "10" in result.output
    result = invoke("query", table, MIXED, "--json")
    assert json.loads(result.output) == [
        {"epoch": None, "arch": MIXED, "test_acc": 80.5, "valid_acc": 79.5, "seed": 0.0, "n": 1.0}
    ]


def test_query_json_is_strict_where_the_table_holds_nan(tmp_path):
    rows = [(CONV, "nan", "inf", 0), (SKIP, 10.0, 9.0, 0)]
    table = str(write_csv(tmp_path / "t.csv", rows))
    result = invoke("query", table, CONV, "--json")
    assert result.exit_code == 0, result.output
    assert "NaN" not in result.output and "Infinity" not in result.output
    (hit,) = json.loads(result.output, parse_constant=pytest.fail)
    assert hit["test_acc"] is None and hit["valid_acc"] is None


def test_query_errors(tmp_path):
    table = str(write_csv(tmp_path / "t.csv"))
    result = invoke("query", str(tmp_path / "none.csv"), MIXED)
    assert result.exit_code == 1 and "no such benchmark file" in result.output
    result = invoke("query", table, "nonsense")
    assert result.exit_code == 1 and "neither a run folder" in result.output
    missing = CONV.replace("nor_conv_3x3~2", "none~2")
    result = invoke("query", table, missing)
    assert result.exit_code == 1 and f"architecture {missing} is not in" in result.output


@pytest.mark.slow
def test_train_a_genotype(tmp_path):
    out = tmp_path / "train"
    args = ["train", "--genotype", DIGITS_GENOTYPE, "--space", "darts_digits"]
    result = invoke(*args, "--data-limit", "40", "--train-epochs", "1", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads((out / "result.json").read_text())["params"] > 0


def test_train_genotype_errors():
    result = invoke("train", "--genotype", "DARTS_V2", "--space", "darts_digits")
    assert result.exit_code == 1 and "space 'darts_digits' has 3 nodes" in result.output
    result = invoke("train", "--genotype", "DARTS_V2")
    assert result.exit_code == 2 and "give ARCH, or --genotype with --space" in result.output

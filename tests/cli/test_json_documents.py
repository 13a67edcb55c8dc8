"""`--json` prints one JSON document (a list for listings), and `validate` checks
every file it is given, a bad one among them included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dagnas.cli import main

BAD = "kind: darts_cell\nops: [skip_connect, sep_conv3x3]\n"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("args", "key", "first"),
    [
        (["spaces"], "space", "darts_cifar10"),
        (["ops"], "op", "avg_pool_3x3"),
        (["validate", "mlp_dag", "nb201"], "space", "mlp_dag"),
    ],
)
def test_json_is_one_document_of_a_list(args, key, first):
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)  # not JSON Lines: one document
    assert isinstance(found, list) and len(found) > 1 and found[0][key] == first


@pytest.fixture
def bad(tmp_path) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    return path


def test_validate_checks_every_file_past_a_bad_one(bad):
    result = invoke("validate", "mlp_dag", str(bad), "nb201")
    assert result.exit_code == 2
    assert result.stdout.splitlines() == [
        "mlp_dag: ok (dag 'mlp_dag')",
        "nb201: ok (darts_cell 'nb201')",
    ]
    assert result.stderr.startswith(f"Error: {bad}:2: ops[1]: unknown op 'sep_conv3x3'")
    assert "Traceback" not in result.output


def test_validate_json_gives_every_file_a_record(bad, tmp_path):
    missing = tmp_path / "missing.yaml"
    result = invoke("validate", str(bad), "mlp_dag", str(missing), "--json")
    assert result.exit_code == 2
    records = json.loads(result.stdout)
    assert [(r["space"], r["ok"]) for r in records] == [
        (str(bad), False),
        ("mlp_dag", True),
        (str(missing), False),
    ]
    assert records[0]["error"].startswith(f"{bad}:2: ops[1]: unknown op 'sep_conv3x3'")
    assert str(missing) in records[2]["error"] and records[1]["shapes_checked"]

"""A benchmark during a search (--bench): each epoch's derived architecture scored
from a table, in the epoch records, metrics.jsonl and the summary."""

from __future__ import annotations

import json

import pytest

import dagnas
from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import all_architectures
from dagnas.evaluate.table import describe, write_csv
from dagnas.graph import canonical_hash
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower
from tests.engine.test_quality_checks import VECTOR_DAG

SMALL_DAG = VECTOR_DAG.replace("search: {", "search: {data_limit: 120, ")

SMALL_DENSE = """\
kind: dense_blocks
name: small_dense
stages:
  - {blocks: 3, vertices: 4, width: 8}
resample: {every: 1}
search: {data: digits, data_limit: 120, epochs: 3, batch_size: 32, device: cpu}
"""

ONE_SHOT_DENSE = SMALL_DENSE.replace("resample:", "derive: {name: one_shot}\nresample:")


def fake_table(spec_text: str, path):
    """Every architecture of the space with a made-up accuracy (i / n)."""
    archs = all_architectures(lower(parse_spec(spec_text), (1, 8, 8), 10))
    rows = [
        {
            "arch": "hash:" + canonical_hash(a),
            "ops": describe(a),
            "accuracy": i / len(archs),
            "accuracy_sd": 0.0,
            "seeds": 1,
            "test_loss": 1.0,
            "params": 1,
            "flops": 1,
        }
        for i, a in enumerate(archs)
    ]
    return write_csv(rows, path), {r["arch"]: r["accuracy"] for r in rows}


@pytest.mark.parametrize(
    "text",
    [SMALL_DAG, SMALL_DENSE, ONE_SHOT_DENSE],
    ids=["dag", "dense_blocks", "dense_blocks_one_shot"],
)
def test_every_epoch_and_the_summary_carry_the_table_score(tmp_path, text):
    table, scores = fake_table(text, tmp_path / "t.csv")
    out = dagnas.search(parse_spec(text), tmp_path / "run", bench=str(table))
    lines = [json.loads(line) for line in (tmp_path / "run/metrics.jsonl").read_text().splitlines()]
    assert len(lines) == len(out.metrics) == 3
    for line, record in zip(lines, out.metrics, strict=True):
        assert line["bench_arch"] == record["bench_arch"] in scores
        assert line["bench_accuracy"] == pytest.approx(scores[line["bench_arch"]], abs=1e-5)
    summary = json.loads((tmp_path / "run/summary.json").read_text())
    final = "hash:" + canonical_hash(out.architecture)
    assert summary["bench_arch"] == final == lines[-1]["bench_arch"]
    assert summary["bench_accuracy"] == pytest.approx(scores[final], abs=1e-5)
    if "one_shot" in text:  # the block was scored alone on the validation split
        assert 0 <= out.architecture.graph["chosen"]["s0"]["val_acc"] <= 1


def test_an_architecture_missing_from_the_table_is_recorded_without_a_score(tmp_path, caplog):
    path = tmp_path / "t.csv"
    path.write_text("arch,accuracy\nhash:0123,0.5\n")
    out = dagnas.search(parse_spec(SMALL_DAG), epochs=1, bench=str(path))
    record = out.metrics[0]
    assert record["bench_arch"].startswith("hash:") and "bench_accuracy" not in record
    assert "is not in" in caplog.text


def test_a_table_that_cannot_name_the_space_is_refused_before_the_search(tmp_path):
    path = tmp_path / "nb201.csv"
    path.write_text("arch,acc\n|none~0|+|none~0|none~1|+|none~0|none~1|none~2|,1\n")
    with pytest.raises(DagnasError, match="not NB201-shaped"):
        dagnas.search(parse_spec(SMALL_DAG), epochs=1, bench=str(path))

"""Experiment trackers fed by a real (tiny) search, read back with each tool's own reader."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import dagnas
from dagnas.errors import DagnasError, SpecError
from dagnas.loggers import LOGGERS, open_trackers, scalars
from dagnas.loggers.services import mlflow_name
from dagnas.registry import Component
from dagnas.spec import parse_spec
from tests.cli.test_cli_run import TINY

LOGGED = TINY.replace("search: {", "search: {loggers: [tensorboard, csv], ")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-epoch search with the TensorBoard and CSV trackers."""
    out = tmp_path_factory.mktemp("loggers") / "run"
    dagnas.search(parse_spec(LOGGED), out)
    return out


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_tensorboard_events_open_with_tensorboards_reader(run: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    metrics = _jsonl(run / "metrics.jsonl")
    assert {"train_loss", "val_acc", "val_loss", "arch_step_ratio"} <= tags
    for name in ("train_loss", "val_acc"):
        got = [(e.step, e.value) for e in events.Scalars(name)]
        assert got == [(m["epoch"], pytest.approx(m[name], rel=1e-6)) for m in metrics]
    alpha = _jsonl(run / "alpha.jsonl")[-1]
    key, row = next(iter(alpha["weights"].items()))
    op, weight = next(iter(row.items()))
    last = events.Scalars(f"alpha/{key}/{op}")[-1]
    assert (last.step, last.value) == (alpha["epoch"], pytest.approx(weight, rel=1e-6))


def test_csv_holds_the_values_of_metrics_jsonl(run: Path) -> None:
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    metrics = _jsonl(run / "metrics.jsonl")
    assert len(rows) == len(metrics)
    for row, record in zip(rows, metrics, strict=True):
        assert set(row) == set(record)
        for k, v in record.items():  # numbers, and the digest of the derived architecture
            assert row[k] == v if isinstance(v, str) else float(row[k]) == float(v), k
    alpha = list(csv.DictReader((run / "alpha.csv").open()))
    jsonl = {
        (r["epoch"], key, op): w
        for r in _jsonl(run / "alpha.jsonl")
        for key, ops in r["weights"].items()
        for op, w in ops.items()
    }
    assert {(int(a["epoch"]), a["key"], a["op"]): float(a["weight"]) for a in alpha} == jsonl


def test_run_pictures_are_written(run: Path) -> None:
    for name in ("alpha.png", "curves.png", "architecture.png", "architecture.dot"):
        assert (run / name).stat().st_size > 0, name
    assert "penwidth" in (run / "architecture.dot").read_text()  # α-weighted edges


def test_summary_reports_margins(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    margins = summary["choice_margins"]
    assert len(margins) == 8 and all(-1 <= m <= 1 for m in margins.values())
    assert summary["near_uniform"] is True  # two epochs on 200 digits decide nothing


def test_csv_tracker_keeps_the_rows_of_a_resumed_run(tmp_path: Path) -> None:
    [first] = open_trackers([Component(name="csv")], tmp_path, "r", {})
    first.log({"epoch": 1, "loss": 0.5})
    [again] = open_trackers([Component(name="csv")], tmp_path, "r", {})
    again.log({"epoch": 2, "loss": 0.25, "acc": 0.75})
    rows = list(csv.DictReader((tmp_path / "metrics.csv").open()))
    assert rows == [
        {"epoch": "1", "loss": "0.5", "acc": ""},
        {"epoch": "2", "loss": "0.25", "acc": "0.75"},
    ]


def test_scalars_leave_out_the_step_and_non_numbers() -> None:
    record = {"epoch": 3, "loss": 1.0, "note": "x", "partial": True, "bad": float("nan")}
    assert scalars(record, {"n:0->2": {"skip": 0.25}}) == {"loss": 1.0, "alpha/n:0->2/skip": 0.25}
    assert mlflow_name("alpha/normal:0->2/skip") == "alpha/normal.0-2/skip"


def test_loggers_are_registered_and_checked_in_the_spec() -> None:
    assert {"csv", "tensorboard", "mlflow", "wandb"} <= set(LOGGERS)
    with pytest.raises(SpecError, match=r"unknown logger 'tensorbord'.*did you mean 'tensorboard'"):
        parse_spec(LOGGED.replace("[tensorboard, csv]", "[tensorbord]"))
    spec = parse_spec(LOGGED.replace("[tensorboard, csv]", "[{name: wandb, project: p}]"))
    assert spec.search.loggers[0].options == {"project": "p", "mode": "offline"}
    with pytest.raises(SpecError, match="option 'mode' of logger 'wandb'"):
        parse_spec(LOGGED.replace("[tensorboard, csv]", "[{name: wandb, mode: online}]"))


@pytest.mark.parametrize("name, module", [("mlflow", "mlflow"), ("wandb", "wandb")])
def test_a_missing_tracker_package_names_the_extra(
    name: str, module: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    monkeypatch.setitem(sys.modules, f"{module}.tracking", None)
    with pytest.raises(DagnasError, match=rf"pip install 'dagnas\[{name}\]'"):
        open_trackers([Component(name=name)], tmp_path, "r", {})


def test_mlflow_tracker_writes_a_local_run(tmp_path: Path) -> None:
    tracking = pytest.importorskip("mlflow.tracking")
    config = {"search": {"epochs": 2}}
    [tracker] = open_trackers([Component(name="mlflow")], tmp_path, "tiny", config)
    tracker.log({"epoch": 1, "val_acc": 0.5}, {"normal:0->2": {"skip": 0.75}})
    tracker.close()
    client = tracking.MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    run = client.get_run(tracker.run_id)
    assert run.data.params == {"search.epochs": "2"} and run.info.status == "FINISHED"
    history = client.get_metric_history(tracker.run_id, "alpha/normal.0-2/skip")
    assert [(m.step, m.value) for m in history] == [(1, 0.75)]


def test_wandb_tracker_writes_an_offline_run(tmp_path: Path) -> None:
    pytest.importorskip("wandb")
    [tracker] = open_trackers([Component(name="wandb")], tmp_path, "tiny", {"a": 1})
    tracker.log({"epoch": 1, "val_acc": 0.5})
    tracker.close()
    [found] = (tmp_path / "wandb").glob("offline-run-*")
    assert list(found.glob("*.wandb"))


def test_train_logs_the_same_way(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dagnas.cli import main
    from tests.cli.test_cli_evaluate import arch_file

    out = tmp_path / "train"
    args = ["train", str(arch_file(tmp_path)), "--train-epochs", "2", "--data-limit", "100"]
    args += ["--device", "cpu", "--out", str(out), "--logger", "csv", "--logger", "tensorboard"]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["out"] == str(out)
    metrics = _jsonl(out / "metrics.jsonl")
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [{k: float(v) for k, v in r.items()} for r in rows] == metrics
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))

"""The search loop reports through callbacks and writes no file but its checkpoint;
the run recorder writes the histories; the guard's codes name what diverged."""

from __future__ import annotations

import json
from typing import Any

import torch

from dagnas.compile import compile_supernet
from dagnas.engine.callbacks import Callback, RunRecorder
from dagnas.engine.guard import Divergence
from dagnas.engine.loop import Searcher
from dagnas.spec import SearchConfig


class Log(Callback):
    """Records which hook was called, in order, with what it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def on_search_start(self, searcher: Searcher) -> None:
        self.calls.append(("start", searcher.step))

    def on_step_end(self, searcher: Searcher, info: dict[str, Any]) -> None:
        self.calls.append(("step", info))

    def on_epoch_end(self, searcher, record, mixing, history) -> None:
        self.calls.append(("epoch", (record, mixing, history)))

    def on_search_end(self, searcher: Searcher, result: Any) -> None:
        self.calls.append(("end", result))


def data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(16, 5, generator=g), torch.randint(0, 3, (16,), generator=g)


def searcher(graph, run_dir, callbacks) -> Searcher:
    torch.manual_seed(0)
    cfg = SearchConfig.model_validate({"epochs": 2, "batch_size": 8})
    return Searcher(compile_supernet(graph), data(0), data(1), cfg, run_dir, callbacks)


def test_hooks_are_called_in_order_and_the_loop_writes_only_its_checkpoint(
    tiny_dag_graph, tmp_path
):
    log = Log()
    result = searcher(tiny_dag_graph, tmp_path, [log]).run()
    kinds = [kind for kind, _ in log.calls]
    assert kinds == ["start", "step", "step", "epoch", "step", "step", "epoch", "end"]
    steps = [info for kind, info in log.calls if kind == "step"]
    assert [(i["step"], i["total"], i["epoch"]) for i in steps] == [
        (1, 4, 0),
        (2, 4, 0),
        (3, 4, 1),
        (4, 4, 1),
    ]
    records = [args[0] for kind, args in log.calls if kind == "epoch"]
    assert records == result.metrics
    assert log.calls[-1][1] is result
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]


def test_run_recorder_writes_the_histories(tiny_dag_graph, tmp_path):
    result = searcher(tiny_dag_graph, tmp_path, [RunRecorder(tmp_path)]).run()
    metrics = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert metrics == json.loads(json.dumps(result.metrics))
    alpha = [json.loads(x) for x in (tmp_path / "alpha.jsonl").read_text().splitlines()]
    assert [a["epoch"] for a in alpha] == [1, 2]
    choices = result.model.relaxation.choices
    assert alpha[-1]["weights"] == {
        k: dict(zip(choices[k], w.tolist(), strict=True)) for k, w in result.mixing.items()
    }


def test_divergence_codes_name_what_diverged():
    assert [int(d) for d in Divergence] == [1, 2, 3, 4]
    assert Divergence(4).what == "the architecture parameters (α)"
    assert Divergence.TRAIN_LOSS.what == "the training loss"

"""The divergence guard: a non-finite loss or α is caught at its step, the search
rolls back with lower learning rates, or stops naming what diverged and when."""

from __future__ import annotations

import json
import math
from typing import Any, ClassVar

import pytest
import torch
from click.testing import CliRunner
from pydantic import PositiveInt

from dagnas.cli import main
from dagnas.compile import compile_supernet
from dagnas.engine.components import REGULARIZERS, Regularizer
from dagnas.engine.derive import derive
from dagnas.engine.loop import Searcher
from dagnas.errors import RunError
from dagnas.registry import Strict
from dagnas.spec import SearchConfig


class Poison(Regularizer):
    """Test component: from its ``at``-th arch step, ``times`` times, it makes the
    architecture loss NaN (``where: loss``) or writes NaN into α after the step
    (``where: alpha``); otherwise it adds 0. Its call count is not checkpointed,
    so a rollback does not replay it."""

    class Options(Strict):
        at: PositiveInt = 1
        times: PositiveInt = 1
        where: str = "loss"

    calls: ClassVar[list[int]] = []

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.count = 0

    def _due(self) -> bool:
        o = self.options
        return o.at <= self.count < o.at + o.times

    def __call__(self, model: Any, mixing: dict, progress: float) -> torch.Tensor:
        self.count += 1
        zero = sum(w.sum() for w in mixing.values()) * 0
        return zero + math.nan if self._due() and self.options.where == "loss" else zero

    def after_arch_step(self, model: Any) -> None:
        if self._due() and self.options.where == "alpha":
            with torch.no_grad():
                model.arch_parameters()[0][0] = math.nan


@pytest.fixture
def poison(monkeypatch):
    """``Poison`` registered as a regularizer for one test only."""
    monkeypatch.setitem(REGULARIZERS._items, "test_poison", Poison)
    return "test_poison"


def data(n: int = 32, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)


def search(graph, run_dir=None, train=None, **cfg: Any):
    torch.manual_seed(0)
    config = SearchConfig.model_validate({"epochs": 2, "batch_size": 8, **cfg})
    model = compile_supernet(graph)
    return Searcher(model, train or data(), data(seed=1), config, run_dir).run()


@pytest.mark.parametrize("folder", [False, True])
def test_nan_loss_rolls_back_and_reruns_at_half_the_learning_rates(
    tiny_dag_graph, poison, tmp_path, folder
):
    run_dir = tmp_path if folder else None  # a checkpoint file, or the in-memory snapshot
    guarded = search(tiny_dag_graph, run_dir, regularizers=[{"name": poison, "at": 3}])
    assert guarded.rollbacks == 1
    # back to step 0 (the last checkpoint), then the same search at lr × 0.5: the same
    # as a fresh search with both learning rates halved
    lrs = {"weights": {"lr": 0.0125, "lr_min": 0.0005}, "arch": {"lr": 1.5e-4}}
    halved = search(tiny_dag_graph, **lrs)
    assert [m["lr"] for m in guarded.metrics] == pytest.approx([m["lr"] for m in halved.metrics])
    for key, w in halved.mixing.items():
        torch.testing.assert_close(guarded.mixing[key], w, rtol=1e-5, atol=1e-7)
    assert guarded.steps == halved.steps == 8


def test_nan_alpha_is_caught_at_its_step(tiny_dag_graph, poison):
    regs = [{"name": poison, "at": 5, "times": 100, "where": "alpha"}]
    with pytest.raises(RunError) as err:
        search(tiny_dag_graph, regularizers=regs, on_divergence={"retries": 1})
    msg = str(err.value)
    assert "the architecture parameters (α) became non-finite at step 5 (epoch 2)" in msg
    assert "after 1 rollback(s)" in msg and "search.arch.lr" in msg


def test_nan_in_the_data_stops_naming_the_training_loss(tiny_dag_graph):
    x, y = data()
    x[0, 2] = math.nan  # in the first pass's batch 2: the shuffle puts row 0 there
    order = torch.randperm(32, generator=torch.Generator().manual_seed(1_000_003 * 0))
    step = int((order == 0).nonzero()) // 8 + 1
    with pytest.raises(RunError, match=f"the training loss became non-finite at step {step} "):
        search(tiny_dag_graph, train=(x, y), on_divergence={"retries": 0})


def test_diverged_cli_run_writes_no_architecture(poison, tmp_path):
    space = tmp_path / "s.yaml"
    space.write_text(
        "kind: dag\nnodes: [{name: x, role: input}, {name: out, role: output}]\n"
        "edges: [{from: x, to: out, ops: [linear, zero]}]\n"
        "search: {epochs: 1, batch_size: 16, data_limit: 64,"
        f" regularizers: [{{name: {poison}, at: 2, times: 9}}]}}\n"
    )
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(space), "--out", str(out), "-q"])
    assert result.exit_code == 1
    # at step 2, then (the poison goes on) at step 1 after each rollback
    assert "the architecture loss became non-finite at step 1 (epoch 1)" in result.output
    assert "after 2 rollback(s)" in result.output and "Traceback" not in result.output
    assert not (out / "architecture.json").exists() and not (out / "summary.json").exists()
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert all(torch.isfinite(t).all() for t in state["model"].values())
    assert not (out / "alpha.jsonl").exists() or all(
        math.isfinite(w)
        for line in (out / "alpha.jsonl").read_text().splitlines()
        for ops in json.loads(line)["weights"].values()
        for w in ops.values()
    )


def test_derive_refuses_non_finite_weights(tiny_dag_graph):
    weights = {
        d["key"]: torch.full((len(d["ops"]),), 0.5)
        for _, _, d in tiny_dag_graph.edges(data=True)
        if "ops" in d
    }
    key = sorted(weights)[1]
    weights[key][0] = math.inf
    with pytest.raises(RunError, match=f"mixing weights of {key} are not finite"):
        derive(tiny_dag_graph, weights)

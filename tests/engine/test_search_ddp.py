"""Data-parallel search on CPU (gloo, 2 processes): α identical on both ranks after
every step, equal to one process on the same batch, and one set of files written."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.compile import compile_supernet
from dagnas.engine.callbacks import OnStep
from dagnas.engine.distributed import Dist
from dagnas.engine.loop import Searcher
from dagnas.spec import SearchConfig

FORK = multiprocessing.get_context("fork")
WORLD = 2


def data(n: int = 48, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)


def search(graph, hypergradient: str, on_step=None) -> tuple[Searcher, dict]:
    """A 2-epoch search of the BatchNorm-free tiny dag space, batch 16."""
    torch.manual_seed(0)
    cfg = SearchConfig.model_validate(
        {"epochs": 2, "batch_size": 16, "hypergradient": hypergradient, "arch": {"lr": 0.05}}
    )
    model = compile_supernet(graph)
    probes = [OnStep(lambda info: on_step(model))] if on_step else []
    searcher = Searcher(model, data(), data(seed=1), cfg, callbacks=probes)
    searcher.run()
    return searcher, {k: v.detach().clone() for k, v in model.relaxation.alpha.items()}


def _rank(rank: int, graph, hypergradient: str, folder: Path) -> None:
    torch.set_num_threads(1)
    dist.init_process_group(
        "gloo", init_method=f"file://{folder}/store", rank=rank, world_size=WORLD
    )
    history: list[list[torch.Tensor]] = []

    def record(model) -> None:
        history.append([p.detach().clone() for p in model.arch_parameters()])

    searcher, alpha = search(graph, hypergradient, record)
    state = {"history": history, "alpha": alpha, "metrics": searcher.metrics}
    torch.save(state, folder / f"{rank}.pt")
    dist.destroy_process_group()


@pytest.mark.slow
@pytest.mark.parametrize("hypergradient", ["first", "second"])
def test_two_ranks_keep_one_alpha_equal_to_one_process(tiny_dag_graph, tmp_path, hypergradient):
    procs = [
        FORK.Process(target=_rank, args=(r, tiny_dag_graph, hypergradient, tmp_path))
        for r in range(WORLD)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    ranks = [torch.load(tmp_path / f"{r}.pt", weights_only=True) for r in range(WORLD)]
    assert len(ranks[0]["history"]) == 2 * 3  # 48 examples / 16 = 3 steps an epoch
    for step, (a, b) in enumerate(zip(ranks[0]["history"], ranks[1]["history"], strict=True)):
        assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True)), f"step {step + 1}"
    alone, alpha = search(tiny_dag_graph, hypergradient)
    for key, value in alpha.items():
        torch.testing.assert_close(ranks[0]["alpha"][key], value, rtol=1e-4, atol=1e-6)
    for together, single in zip(ranks[0]["metrics"], alone.metrics, strict=True):
        assert together["train_loss"] == pytest.approx(single["train_loss"], rel=1e-5)
        assert together["val_acc"] == single["val_acc"]


def test_shards_are_equal_and_disjoint():
    x, y = torch.arange(11).float()[:, None], torch.arange(11)
    parts = [Dist(r, 3).shard((x, y))[1].tolist() for r in range(3)]
    assert parts == [[0, 3, 6], [1, 4, 7], [2, 5, 8]]  # 9 used, 2 sit the step out
    everything = [i for r in range(3) for i in Dist(r, 3).part((x, y))[1].tolist()]
    assert sorted(everything) == list(range(11))  # evaluation scores every row once


@pytest.mark.slow
def test_ddp_cli_run_matches_one_process_and_writes_once(tmp_path):
    space = tmp_path / "dag.yaml"
    space.write_text(
        "kind: dag\nname: dag\nnodes: [{name: x, role: input}, {name: h, width: 8},"
        " {name: out, role: output}]\n"
        "edges: [{from: x, to: h, ops: [linear_relu, zero]}, {from: h, to: out, ops: [linear,"
        " zero]}, {from: x, to: out, ops: [linear, zero]}]\n"
        "search: {epochs: 2, batch_size: 32, data_limit: 256, arch: {lr: 0.05}}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path.cwd()), "OMP_NUM_THREADS": "1"}
    ddp = tmp_path / "ddp" / "run"
    cmd = [sys.executable, "-m", "dagnas", "run", "--ddp", "2", str(space), "--out", str(ddp)]
    done = subprocess.run([*cmd, "-q"], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (done.stdout + done.stderr).count("dagnas run: dag") == 1  # rank 0's summary only
    one = tmp_path / "one" / "run"
    assert CliRunner().invoke(main, ["run", str(space), "--out", str(one), "-q"]).exit_code == 0
    summary = json.loads((ddp / "summary.json").read_text())
    assert summary["processes"] == 2 and summary["steps"] == 8
    rows = [json.loads(x) for x in (ddp / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in rows] == [1, 2]  # written once, not once per rank
    alphas = [
        [json.loads(x)["weights"] for x in (d / "alpha.jsonl").read_text().splitlines()]
        for d in (ddp, one)
    ]
    for epoch_ddp, epoch_one in zip(*alphas, strict=True):
        for key, ops in epoch_one.items():
            assert epoch_ddp[key] == pytest.approx(ops, rel=1e-4)
    arch = [json.loads((d / "architecture.json").read_text()) for d in (ddp, one)]
    edges = [sorted((e["source"], e["target"], e["op"]) for e in a["edges"]) for a in arch]
    assert edges[0] == edges[1]

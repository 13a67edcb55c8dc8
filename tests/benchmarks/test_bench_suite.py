"""The benchmark suite's pieces on tiny configs: structure, checks, FLOP counts, the table.

Nothing here asserts a timing: the figures only have to be there.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import torch

from benchmarks import darts_step, dense_blocks, suite
from benchmarks.common import in_subprocess, interleaved_times, peak_rss_mb, write_json
from dagnas.compile.dense import DenseStage

TINY = {"channels": 4, "layers": 3, "batch": 2, "order": "first"}
STATS = {"median", "min", "max", "n"}


def tiny_config(**changes) -> suite.Config:
    cfg = suite.Config(
        darts=[TINY],
        darts_steps=1,
        darts_warmup=0,
        check_batch=2,
        memory_orders=[],
        dense_batches=[4],
        dense_zeros=[0.0, 0.5],
        dense_repeats=1,
        dense_warmup=0,
        dense_sizes={"k": 3, "vertices": 4, "width": 8},
        peak_steps=1,
        peak_n=32,
        sparse_case=TINY,
        sparse_fractions=[0.0, 0.75],
        sparse_steps=1,
        sparse_warmup=0,
    )
    for k, v in changes.items():
        setattr(cfg, k, v)
    return cfg


def test_suite_writes_each_part_and_tables_each_case(tmp_path):
    parts = ["peak", "darts", "dense", "sparse"]
    got = suite.run_suite(parts, tiny_config(), "cpu", tmp_path)
    assert all(s["ok"] for s in got["parts"].values()), got["parts"]
    on_disk = json.loads((tmp_path / "suite.json").read_text())
    assert on_disk["rows"] == got["rows"]
    assert {"machine", "device", "config", "load", "seconds", "parts", "rows"} <= set(on_disk)
    assert {"start", "end"} == set(on_disk["load"])
    for part in parts:
        doc = json.loads((tmp_path / f"{part}.json").read_text())
        assert doc["part"] == part and doc["error"] is None
        assert {"machine", "load", "seconds", "result"} <= set(doc)

    darts = json.loads((tmp_path / "darts.json").read_text())["result"]["cases"][0]
    assert darts["check"]["logits"] < 1e-8 and darts["check"]["grads"] < 1e-8
    assert set(darts["step_time"]) == {"dagnas", "reference"}
    assert set(darts["step_time"]["dagnas"]) == STATS and set(darts["ratio"]) == STATS

    dense = json.loads((tmp_path / "dense.json").read_text())["result"]
    assert [(c["batch"], c["zero_fraction"]) for c in dense["cases"]] == [(4, 0.0), (4, 0.5)]
    fwd = dense["cases"][0]["forward"]
    assert {"loop_s", "batched_s", "ratio", "gflops", "peak_gflops", "peak_fraction"} <= set(fwd)
    assert dense["cases"][0]["forward_flops"] > dense["cases"][1]["forward_flops"] > 0

    sparse = json.loads((tmp_path / "sparse.json").read_text())["result"]
    assert [r["zeros"] for r in sparse["rows"]] == [0.0, 0.75]
    assert sparse["rows"][0]["measured_zeros"] == 0.0
    assert sparse["rows"][1]["measured_zeros"] == pytest.approx(0.75, abs=0.01)

    text = suite.summary(got)
    for col in suite.COLUMNS:
        assert col in text
    cases = [r["case"] for r in got["rows"]]
    assert any(c.startswith("float32 matmul peak") for c in cases)
    assert any("DARTS C=4 cells=3 batch=2 first order: step" in c for c in cases)
    assert sum(c.startswith("dense k=3 l=4 width=8 batch 4") for c in cases) == 6
    assert any("75% zeros" in c for c in cases)
    for c in cases:
        assert c in text


def test_check_same_math_catches_a_corrupted_reference(monkeypatch, tmp_path):
    copy = darts_step.copy_weights

    def corrupted(body, ref):
        copy(body, ref)
        with torch.no_grad():
            next(iter(ref.cells[1].edges.values())).ops["sep_conv_3x3"][0][1].weight[0] += 1e-3

    monkeypatch.setattr(darts_step, "copy_weights", corrupted)
    with pytest.raises(RuntimeError, match="differ"):
        darts_step.check_same_math(darts_step.DartsCase(**TINY), "cpu", batch=2)
    # In the suite the failing part is reported and the next one still runs.
    got = suite.run_suite(["darts", "peak"], tiny_config(), "cpu", tmp_path)
    assert not got["parts"]["darts"]["ok"] and "differ" in got["parts"]["darts"]["error"]
    assert got["parts"]["peak"]["ok"]
    assert "FAILED" in suite.summary(got)
    assert json.loads((tmp_path / "darts.json").read_text())["error"]


def counted_flops(stage: DenseStage, x: torch.Tensor, pi: torch.Tensor, monkeypatch) -> int:
    """The FLOPs of every nn.functional.linear the batched forward calls."""
    seen = []
    linear = torch.nn.functional.linear

    def counting(h, w, b=None):
        seen.append(2 * h.shape[0] * w.shape[1] * w.shape[0])
        return linear(h, w, b)

    monkeypatch.setattr(torch.nn.functional, "linear", counting)
    stage(x, pi)
    monkeypatch.setattr(torch.nn.functional, "linear", linear)
    return sum(seen)


def test_plan_flops_by_hand(monkeypatch):
    # Blocks 0→1→2 and 0→1→2 plus 0→2: h_1 is shared, vertex 2 has two nodes,
    # each reading h_0 (3 wide) and/or h_1 (5 wide): terms W_01 h_0, W_02 h_0, W_12 h_1.
    pairs = [(0, 1), (0, 2), (1, 2)]
    stage = DenseStage(3, 5, 3, pairs, [((0, 1), (1, 2)), ((0, 1), (0, 2), (1, 2))])
    n = 4
    both = stage.plan((0, 1))
    assert dense_blocks.plan_flops(both, n, 3, 5) == 2 * n * (3 * 5 + 3 * 5 + 5 * 5)
    first = stage.plan((0,))
    assert dense_blocks.plan_flops(first, n, 3, 5) == 2 * n * (3 * 5 + 5 * 5)
    x, pi = torch.randn(n, 3), torch.tensor([0.4, 0.6])
    assert counted_flops(stage, x, pi, monkeypatch) == 2 * n * 55


@pytest.mark.parametrize("zeros", [0.0, 0.5])
def test_plan_flops_matches_the_matmuls_the_forward_runs(zeros, monkeypatch):
    stage, x, pi = dense_blocks.make_case(3, zeros, seed=0, k=6, vertices=5, width=4)
    plan = stage.plan(tuple(b for b, v in enumerate(pi.tolist()) if v != 0))
    assert any(src.select is not None for st in plan.steps for src in st.sources) or zeros
    assert dense_blocks.plan_flops(plan, 3, 4, 4) == counted_flops(stage, x, pi, monkeypatch)


def test_rows_judge_the_median_against_the_target():
    t = {"median": 1.0, "min": 0.9, "max": 1.2, "n": 3}
    half = {"median": 0.5, "min": 0.4, "max": 0.7, "n": 3}
    case = {"case": {**suite.HEADLINE, "order": "first"}, "name": "headline", "check": {}}
    darts = {
        "cases": [
            {
                **case,
                "step_time": {"dagnas": half, "reference": t},
                "ratio": half,
                "memory": {
                    "dagnas": {"peak_rss_mb": 600.0, "gpu_peak_mb": None},
                    "reference": {"peak_rss_mb": 1000.0, "gpu_peak_mb": None},
                },
                "memory_ratio": 0.6,
            }
        ]
    }
    rows = suite.rows_of("darts", darts)
    assert [(r["target"], r["met"]) for r in rows] == [("<= 0.6", "yes"), ("<= 0.5", "no")]
    run = {"command": "python -m dagnas run", "wall_s": 200.0, "summary": {"wall_time": 190.0}}
    (r,) = suite.rows_of("run", run)
    assert r["met"] == "no" and "190" in r["case"]
    (r,) = suite.rows_of("run", {**run, "wall_s": 100.0, "timed_out": False})
    assert r["met"] == "yes"
    (r,) = suite.rows_of("run", {**run, "wall_s": 600.0, "timed_out": True, "summary": {}})
    assert r["met"] == "no" and "stopped" in r["dagnas"]


def test_cli_result_files(tmp_path):
    out = tmp_path / "dense.json"
    args = ["--batches=2", "--zeros=0", "--repeats=1", "--warmup=0", "--width=4"]
    dense_blocks.main([*args, f"--result={out}"])
    report = json.loads(out.read_text())
    assert report["width"] == 4 and len(report["cases"]) == 1


def test_interleaved_times_take_turns_and_write_json_is_whole(tmp_path):
    calls = []
    fns = {n: (lambda n=n: calls.append(n)) for n in "abc"}
    times = interleaved_times(fns, 2, 1, "cpu")
    assert calls == list("abcbcacab") and all(len(v) == 2 for v in times.values())
    write_json(tmp_path / "x.json", {"a": 1})
    assert json.loads((tmp_path / "x.json").read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


@pytest.mark.slow
def test_memory_in_a_fresh_process():
    """Its peak is its own, not the (larger) peak of the process that started it."""
    hog = torch.ones(2**28, dtype=torch.uint8)  # 256 MB here
    hog += 1
    args = [f"--{k}={v}" for k, v in TINY.items()]
    got = in_subprocess("darts_step", ["memory", *args, "--steps=1", "--warmup=0", "--threads=1"])
    assert got["impl"] == "dagnas" and got["peak_rss_mb"] > got["base_rss_mb"] > 0
    assert got["peak_rss_mb"] < peak_rss_mb()


def test_a_run_past_its_limit_is_a_missed_target_not_a_failure(monkeypatch, tmp_path):
    real = subprocess.run

    def too_slow(cmd, *args, timeout=None, **kw):
        if "dagnas" not in cmd:
            return real(cmd, *args, timeout=timeout, **kw)
        raise subprocess.TimeoutExpired(cmd, timeout)

    monkeypatch.setattr(suite.subprocess, "run", too_slow)
    got = suite.run_suite(["run"], tiny_config(run_timeout=1.0), "cpu", tmp_path)
    assert got["parts"]["run"]["ok"]
    (r,) = got["rows"]
    assert r["met"] == "no" and "stopped" in r["dagnas"]


@pytest.mark.slow
def test_run_part_reads_the_run_summary():
    got = suite.part_run(tiny_config(run_args=["--max-steps", "1"]), "cpu", 1)
    assert not got["timed_out"] and got["summary"]["steps"] == 1
    assert got["wall_s"] > got["summary"]["wall_time"] > 0

"""A real DARTS-PRIME search on digits: the dynamic schedule's step ratio, pruning."""

from __future__ import annotations

import math

import pytest

from dagnas.compile import compile_supernet
from dagnas.data import load_dataset
from dagnas.engine.loop import Searcher
from dagnas.spec import SearchConfig, parse_spec
from dagnas.spec.lower import lower

SPACE = """\
kind: darts_cell
channels: 4
layers: 2
reductions: [1]
nodes: 2
stem_multiplier: 1
node_norm: true
ops: [none, skip_connect, max_pool_3x3, sep_conv_3x3]
"""


@pytest.mark.slow
def test_dynamic_schedule_ratio_on_a_real_search():
    cfg = SearchConfig(
        epochs=6,
        val_fraction=1 / 11,
        relaxation={"name": "clipped"},
        schedule={"name": "dynamic"},
        regularizers=[{"name": "proximity"}],
        arch={"lr": 0.01},
    )
    data = load_dataset("digits", val_fraction=cfg.val_fraction)
    g = lower(parse_spec(SPACE), data.input_shape, data.num_classes)
    model = compile_supernet(g, "clipped")
    s = Searcher(model, data.train.tensors, data.val.tensors, cfg)
    result = s.run()
    arch_steps = sum(m["arch_steps"] for m in result.metrics)
    t = result.steps
    assert result.metrics[-1]["arch_step_ratio"] == arch_steps / t
    # exact: log_1.05(thr_T) = T − 11·A, whatever the gradient norms were
    assert math.isclose(
        math.log(s.schedule.thr) / math.log(1.05), t - 11 * arch_steps, abs_tol=1e-6
    )
    # loose: near 1/11 (F̄ moved, and thr needs a while to catch up at the start)
    assert 0.05 < arch_steps / t < 0.11
    assert all(m["zero_fraction"] >= 0.25 for m in result.metrics)  # `none` weighs 0

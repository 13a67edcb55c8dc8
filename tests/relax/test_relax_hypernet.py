"""The hypernetwork relaxation: α(λ), λ per minibatch, complexity costs."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.engine.derive import derive
from dagnas.engine.loop import Searcher
from dagnas.errors import DagnasError
from dagnas.graph import canonical_hash
from dagnas.relax.hypernet import op_costs
from dagnas.spec import SearchConfig


def data(n: int = 24, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def test_alpha_is_linear_in_lambda_per_node(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph, "hypernet", input="lam")  # the paper's form
    relax = net.relaxation
    assert set(relax.nets) == set(relax.groups)  # one map per target node, both cell types
    a0, a1, a2 = (relax.alphas(lam) for lam in (0.0, 0.1, 0.3))
    for key in relax.choices:
        torch.testing.assert_close(a2[key] - a0[key], 3 * (a1[key] - a0[key]))
    with torch.no_grad():
        for node, keys in relax.groups.items():
            lin = relax.nets[node][-1]
            b1 = lin.weight[:, 0].split([len(relax.choices[k]) for k in keys])
            for k, w in zip(keys, b1, strict=True):
                torch.testing.assert_close(a1[k] - a0[k], 0.1 * w)


def test_lambda_is_drawn_log_uniformly_once_per_minibatch(tiny_cell_graph):
    torch.manual_seed(0)
    net = compile_supernet(tiny_cell_graph, "hypernet", log_min=-4, log_max=-1)
    seen: list[float] = []
    net.relaxation.register_forward_hook(lambda m, i, o: seen.append(m.lam))
    cfg = SearchConfig.model_validate(
        {"epochs": 1, "max_steps": 3, "batch_size": 8, "relaxation": "hypernet"}
    )
    Searcher(net, data(), data(seed=1), cfg).run()
    # per step: the arch step's forward, then the weight step's, with one λ
    assert len(seen) == 6 and seen[0::2] == seen[1::2]
    assert len(set(seen[0::2])) == 3 and all(1e-4 <= lam <= 1e-1 for lam in seen)
    draws = []
    for _ in range(1000):
        net.relaxation.new_minibatch()
        draws.append(math.log10(net.relaxation.lam))
    mean = sum(draws) / len(draws)
    assert abs(mean + 2.5) < 0.09 and min(draws) >= -4 and max(draws) <= -1


def test_costs_are_parameter_counts_over_the_mean_op(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph, "hypernet")
    costs = net.relaxation.costs
    every = [c for cs in costs.values() for c in cs]
    assert math.isclose(sum(every) / len(every), 1.0)
    ops = net.relaxation.choices["normal:0->2"]
    normal = dict(zip(ops, costs["normal:0->2"], strict=True))
    assert normal["none"] == normal["max_pool_3x3"] == normal["skip_connect"] == 0.0
    # each normal cell has its own copy of the edge: count them all
    cells = [c for c in net.body.layers if getattr(c, "cell", "") == "normal"]
    sep = sum(
        sum(p.numel() for p in c.edges["0->2"].ops["sep_conv_3x3"].parameters()) for c in cells
    )
    counts = [
        sum(p.numel() for m in mods for p in m.parameters())
        for by_op in net.relaxation.ops.values()
        for mods in by_op.values()
    ]
    assert math.isclose(normal["sep_conv_3x3"], sep / (sum(counts) / len(counts)))
    norms = op_costs(net.relaxation.ops, "norm")
    every = [c for cs in norms.values() for c in cs]
    assert math.isclose(sum(every) / len(every), 1.0) and norms["normal:0->2"][0] == 0.0


def test_loss_is_lambda_times_expected_cost(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph, "hypernet")
    relax = net.relaxation
    relax.lam = 0.3
    mixing = {k: w.detach() for k, w in relax().items()}
    expected = 0.3 * sum(float((w * torch.tensor(relax.costs[k])).sum()) for k, w in mixing.items())
    assert math.isclose(float(relax.loss(mixing)), expected, rel_tol=1e-5)


def test_final_depends_on_lambda_after_a_search(tiny_cell_graph):
    torch.manual_seed(0)
    net = compile_supernet(tiny_cell_graph, "hypernet")
    cfg = SearchConfig.model_validate(
        {
            "epochs": 1,
            "max_steps": 4,
            "batch_size": 8,
            "relaxation": "hypernet",
            "arch": {"lr": 0.05},
        }
    )
    Searcher(net, data(), data(seed=1), cfg).run()
    lo, hi = net.relaxation.final(lam=1e-4), net.relaxation.final(lam=1e-1)
    assert all(abs(float(lo[k].sum()) - 1) < 1e-5 for k in lo)
    assert max(float((lo[k] - hi[k]).abs().max()) for k in lo) > 1e-4
    # and the costly ops lose weight as λ grows
    cost = {k: torch.tensor(c) for k, c in net.relaxation.costs.items()}
    assert sum(float((hi[k] * cost[k]).sum()) for k in hi) < sum(
        float((lo[k] * cost[k]).sum()) for k in lo
    )
    assert torch.equal(
        net.relaxation.final()["normal:0->2"], net.relaxation.final(1e-3)["normal:0->2"]
    )


def test_lambda_changes_the_derived_architecture_of_a_small_search(tiny_cell_graph):
    """No steering: after a few steps on random data, the top and the bottom of
    the range derive different architectures, and the expected cost Σ w·c falls
    at every step up the range (which ops the argmax keeps is noisier)."""
    torch.manual_seed(0)
    net = compile_supernet(tiny_cell_graph, "hypernet", log_min=-4, log_max=-1)
    cfg = SearchConfig.model_validate(
        {"epochs": 2, "batch_size": 8, "relaxation": "hypernet", "arch": {"lr": 0.05}}
    )
    Searcher(net, data(), data(seed=1), cfg).run()
    lams = [1e-4, 1e-3, 1e-2, 1e-1]
    weights = [net.relaxation.final(lam) for lam in lams]
    archs = [derive(net.graph, w) for w in (weights[0], weights[-1])]
    assert canonical_hash(archs[0]) != canonical_hash(archs[1])
    costs = net.relaxation.costs
    expected = [sum(float((w[k] * w[k].new_tensor(costs[k])).sum()) for k in w) for w in weights]
    assert all(a > b for a, b in itertools.pairwise(expected))


def test_direct_mode_and_mlp(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph, "hypernet", mode="direct", hidden=[4])
    n = len(net.relaxation.choices["normal:0->2"])
    assert isinstance(net.relaxation.nets["normal:2"][1], torch.nn.ReLU)
    assert net.relaxation.final()["normal:0->2"].shape == (n,)
    net = compile_supernet(tiny_cell_graph, "hypernet", mode="direct")
    w = net.relaxation.final(lam=10**-2.5)["normal:0->2"]  # mid-range: t = 0
    torch.testing.assert_close(w, torch.full((n,), 1 / n))


def test_log_input_places_lambda_on_the_sampled_range(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph, "hypernet", log_min=-4, log_max=0)
    relax = net.relaxation
    assert relax.options.input == "log"  # the default
    assert [relax.net_input(lam) for lam in (1e-4, 1e-2, 1.0)] == [-1.0, 0.0, 1.0]
    a0, a1, a2 = (relax.alphas(lam) for lam in (1e-4, 1e-2, 1.0))
    for key in relax.choices:  # α is linear in log λ now
        torch.testing.assert_close(a2[key] - a0[key], 2 * (a1[key] - a0[key]))
    with pytest.raises(DagnasError, match="needs λ > 0"):
        relax.final(lam=0.0)
    one = compile_supernet(tiny_cell_graph, "hypernet", log_min=-2, log_max=-2, final_lam=1e-2)
    assert one.relaxation.net_input(1e-2) == 0.0  # a search at one λ: α = b2

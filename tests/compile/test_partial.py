"""PC-DARTS: partial channel connections and edge normalisation in the darts_cell
supernet, checked against plain DARTS, closed forms and the paper's edge score."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dagnas.compile import ChildNet, compile_supernet
from dagnas.compile.edge import Fanout, MixedEdge, NodeSum
from dagnas.compile.partial import PartialEdge, channel_shuffle
from dagnas.engine.callbacks import mixing_table
from dagnas.engine.derive import derive
from dagnas.engine.loop import Searcher
from dagnas.errors import SpecError
from dagnas.graph import canonical_hash
from dagnas.spec import SearchConfig, parse_spec
from dagnas.spec.lower import lower
from dagnas.workflows.methods import apply_method, resolve_method

SPACE = """\
kind: darts_cell
name: tiny_pc
channels: 8
layers: 3
nodes: 2
stem_multiplier: 1
ops: [none, skip_connect, max_pool_3x3, sep_conv_3x3, dil_conv_3x3]
"""


def graph(**fields):
    extra = "".join(f"{k}: {str(v).lower()}\n" for k, v in fields.items())
    return lower(parse_spec(SPACE + extra), (1, 8, 8), 3)


def supernet(g, seed: int = 0):
    torch.manual_seed(seed)
    return compile_supernet(g)


def test_k_1_without_edge_normalisation_is_plain_darts_bit_for_bit():
    x = torch.randn(6, 1, 8, 8)
    plain = supernet(graph())
    pc = supernet(graph(partial_channels=1, edge_normalisation=False))
    assert torch.equal(plain(x), pc(x))
    state = pc.state_dict()
    assert all(torch.equal(v, state[k]) for k, v in plain.state_dict().items())
    # the partial edge itself with K = 1: the mixed edge's output, bit for bit
    torch.manual_seed(1)
    mixed = MixedEdge(["skip_connect", "sep_conv_3x3", "max_pool_3x3"], 8, 8, 1, True)
    torch.manual_seed(1)
    part = PartialEdge(["skip_connect", "sep_conv_3x3", "max_pool_3x3"], 8, 1, k=1)
    x, w = torch.randn(4, 8, 5, 5), torch.tensor([0.2, 0.5, 0.3])
    total = NodeSum()
    mixed.accumulate(total, Fanout(x), w)
    assert torch.equal(part(Fanout(x), x, w), total.value)


def test_k_4_passes_a_quarter_of_the_channels_through_the_ops():
    edge = PartialEdge(["none", "skip_connect", "sep_conv_3x3"], 8, 1, k=4)
    convs = [m for m in edge.mixed.ops["sep_conv_3x3"].modules() if isinstance(m, nn.Conv2d)]
    assert {(m.in_channels, m.out_channels) for m in convs} == {(2, 2)}  # C/K channels
    x = torch.randn(3, 8, 4, 4)
    w = torch.tensor([0.0, 0.25, 0.0])  # the skip alone, weighted 0.25
    out = edge(Fanout(x[:, :2]), x, w)
    # concat(0.25·x[0:2], x[2:8]) shuffled in 4 groups of 2: channels 0 2 4 6 1 3 5 7
    expected = torch.stack([0.25 * x[:, 0], x[:, 2], x[:, 4], x[:, 6], 0.25 * x[:, 1]], 1)
    expected = torch.cat([expected, torch.stack([x[:, 3], x[:, 5], x[:, 7]], 1)], 1)
    assert torch.equal(out, expected)
    reduce = PartialEdge(["max_pool_3x3"], 8, 2, k=4)  # the bypass max-pools 2×2 where it reduces
    out = reduce(Fanout(x[:, :2]), x, torch.ones(1))
    pooled = torch.nn.functional.max_pool2d(x[:, 2:], 2, 2)
    assert out.shape == (3, 8, 2, 2) and torch.equal(out[:, [1, 5, 2, 6, 3, 7]], pooled)


def test_channel_shuffle_is_a_permutation():
    x = torch.arange(12.0).reshape(1, 12, 1, 1).expand(2, 12, 3, 3)
    for groups in (1, 2, 3, 4, 6, 12):
        out = channel_shuffle(x, groups)
        order = out[0, :, 0, 0].long()
        assert sorted(order.tolist()) == list(range(12))
        assert torch.equal(out, x[:, order])
        assert torch.equal(channel_shuffle(out, 12 // groups), x)  # its inverse
    assert channel_shuffle(x, 3)[0, :, 0, 0].long().tolist()[:4] == [0, 4, 8, 1]


def test_edge_weights_are_architecture_parameters():
    net = supernet(graph(partial_channels=4, edge_normalisation=True))
    beta = net.relaxation.alpha["normal:3"]
    assert net.relaxation.choices["normal:3"] == ["normal:0->3", "normal:1->3", "normal:2->3"]
    assert any(p is beta for p in net.arch_parameters())
    assert not any(p is beta for p in net.weights())
    assert "relaxation.alpha.normal:3" in net.state_dict()
    assert set(mixing_table(net, net.relaxation.final())["normal:3"]) == {
        "normal:0->3",
        "normal:1->3",
        "normal:2->3",
    }
    net(torch.randn(4, 1, 8, 8)).logsumexp(1).sum().backward()
    assert beta.grad is not None and beta.grad.abs().sum() > 0
    with torch.no_grad():  # β scales the edges: a node fed by one edge alone differs
        x = torch.randn(4, 1, 8, 8)
        before = net(x)
        beta[2] = 10.0
        assert not torch.allclose(net(x), before)


def test_edge_weights_change_the_derived_edges_as_the_paper_scores_them():
    g = graph(edge_normalisation=True)
    net = compile_supernet(g)
    mixing = {k: w.clone() for k, w in net.relaxation.final().items()}
    ops = net.relaxation.choices["normal:0->3"]
    conv = ops.index("sep_conv_3x3")
    for key, strength in (("normal:0->3", 0.5), ("normal:1->3", 0.6), ("normal:2->3", 0.9)):
        mixing[key] = torch.full((len(ops),), (1 - strength) / (len(ops) - 1))
        mixing[key][conv] = strength
    mixing["normal:3"] = torch.tensor([0.4, 0.4, 0.2])  # softmax(β) over 0->3, 1->3, 2->3

    def kept(weights):
        arch = derive(g, weights)
        return sorted(u for u, v in arch.edges if v == "normal:3")

    # softmax(β)·softmax(α): 0.4·0.5 = 0.20, 0.4·0.6 = 0.24, 0.2·0.9 = 0.18 → 0->3 and 1->3
    assert kept(mixing) == ["normal:0", "normal:1"]
    arch = derive(g, mixing)
    assert arch.edges["normal:1", "normal:3"]["edge_weight"] == pytest.approx(0.4)
    mixing["normal:3"] = torch.tensor([0.3, 0.3, 0.4])  # 0.15, 0.18, 0.36 → 1->3 and 2->3
    assert kept(mixing) == ["normal:1", "normal:2"]
    plain = {k: w for k, w in mixing.items() if k in net.relaxation.choices}
    assert kept({**plain, "normal:3": torch.ones(3) / 3}) == ["normal:1", "normal:2"]


def test_the_child_network_and_hash_know_nothing_of_the_search_only_settings():
    g, plain = graph(partial_channels=4, edge_normalisation=True), graph()
    net = supernet(g)
    arch = derive(g, net.relaxation.final())
    child = ChildNet(arch)
    assert not any(isinstance(m, PartialEdge) for m in child.modules())
    same = derive(plain, {k: w for k, w in net.relaxation.final().items() if "->" in k})
    assert canonical_hash(arch) == canonical_hash(same)


def test_partial_channels_must_divide_the_channels():
    with pytest.raises(SpecError, match="3 does not divide channels: 8"):
        parse_spec(SPACE + "partial_channels: 3\n")


def test_pc_darts_preset_sets_the_space_fields():
    spec = apply_method(parse_spec(SPACE), resolve_method("pc_darts"))
    assert spec.partial_channels == 4 and spec.edge_normalisation
    assert spec.search.relaxation.name == "softmax"


def test_the_search_steps_edge_weights_with_alpha():
    g = graph(partial_channels=4, edge_normalisation=True)
    net = supernet(g)
    before = net.relaxation.alpha["reduce:3"].detach().clone()
    gen = torch.Generator().manual_seed(0)
    data = (torch.randn(16, 1, 8, 8, generator=gen), torch.randint(0, 3, (16,), generator=gen))
    cfg = SearchConfig.model_validate(
        {"epochs": 1, "max_steps": 1, "batch_size": 8, "arch": {"lr": 0.1}}
    )
    result = Searcher(net, data, data, cfg).run()
    assert not torch.equal(net.relaxation.alpha["reduce:3"], before)
    assert set(result.mixing["reduce:3"].shape) == {3}

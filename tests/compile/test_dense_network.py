"""The dense-blocks supernet: mixing over blocks, resampling, derivation, child nets."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import ChildNet, compile_supernet
from dagnas.compile.blocks import refill
from dagnas.compile.dense import loop_forward
from dagnas.engine.derive import block_architecture, derive
from dagnas.samplers import DagConstraints, chain_block, make_sampler, stage_seed
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

SPACE = """\
kind: dense_blocks
stages:
  - {blocks: 6, vertices: 5, width: 8}
  - {blocks: 3, vertices: 4, width: 4, aggregate: mean}
sampler: {name: density}
resample: {every: 2, keep: 2}
search: {seed: 3}
"""


@pytest.fixture
def net():
    torch.manual_seed(0)
    return compile_supernet(lower(parse_spec(SPACE), (1, 3, 4), 5))


def test_initial_blocks_come_from_the_seeded_sampler(net):
    for n, (stage, k, nv) in enumerate(zip(net.body.stages, (6, 3), (5, 4), strict=True)):
        sampler = make_sampler("density", DagConstraints(nv), stage_seed(3, n))
        assert stage.blocks == sampler.sample(k)


def test_forward_mixes_blocks_with_the_relaxation_weights(net):
    x = torch.randn(7, 1, 3, 4)
    mixing = net.relaxation()
    assert {k: v.shape for k, v in mixing.items()} == {
        "s0:blocks": torch.Size([6]),
        "s1:blocks": torch.Size([3]),
    }
    h = x.flatten(1)
    for stage, key in zip(net.body.stages, ("s0:blocks", "s1:blocks"), strict=True):
        h = loop_forward(stage, h, mixing[key])
    torch.testing.assert_close(net(x), net.body.head(h))
    net(x).sum().backward()
    assert all(a.grad is not None for a in net.arch_parameters())


def test_resampling_keeps_weights_and_gives_replaced_slots_fresh_alpha(net):
    weights_before = {k: v.clone() for k, v in net.body.named_parameters()}
    learnt = torch.tensor([0.5, -1, 2, 0, 1, -2])
    with torch.no_grad():
        net.relaxation.alpha["s0:blocks"].copy_(learnt)
    old = list(net.body.stages[0].blocks)
    torch.manual_seed(7)
    fresh = net.relaxation.init_alpha("s0:blocks")
    torch.manual_seed(7)
    history, reset = net.end_phase(net.relaxation.final(), epoch=2, final=False)
    record = history["blocks"]
    assert record["epoch"] == 2 and record["resampled"]
    s0 = record["stages"]["s0"]
    assert [b["edges"] for b in s0["blocks"]] == [[list(e) for e in b] for b in old]
    replaced = [r["slot"] for r in s0["replaced"]]
    new = net.body.stages[0].blocks
    assert {2, 4}.isdisjoint(replaced)  # keep=2: the two largest weights stay
    assert [s for s in range(6) if new[s] != old[s]] == replaced and replaced
    for name, value in net.body.named_parameters():
        assert torch.equal(value, weights_before[name]), name
    assert reset["s0:blocks"] == replaced
    alpha = net.relaxation.alpha["s0:blocks"].detach()
    kept = [s for s in range(6) if s not in replaced]
    assert torch.equal(alpha[replaced], fresh[replaced])
    assert torch.equal(alpha[kept], learnt[kept])


def test_fresh_all_restarts_every_slot_of_a_resampled_stage():
    torch.manual_seed(0)
    text = SPACE.replace("keep: 2}", "keep: 2, fresh: all}")
    net = compile_supernet(lower(parse_spec(text), (1, 3, 4), 5))
    with torch.no_grad():
        net.relaxation.alpha["s0:blocks"].copy_(torch.tensor([0.5, -1, 2, 0, 1, -2]))
    torch.manual_seed(7)
    fresh = net.relaxation.init_alpha("s0:blocks")
    torch.manual_seed(7)
    _, reset = net.end_phase(net.relaxation.final(), epoch=2, final=False)
    assert reset["s0:blocks"] == list(range(6)) and reset["s1:blocks"] == list(range(3))
    assert torch.equal(net.relaxation.alpha["s0:blocks"].detach(), fresh)


def test_a_stage_switched_off_by_sparse_alpha_is_resampled_in_slot_order(net, caplog):
    old = list(net.body.stages[0].blocks)
    weights = {**net.relaxation.final(), "s0:blocks": torch.zeros(6)}
    history, reset = net.end_phase(weights, epoch=2, final=False)
    s0 = history["blocks"]["stages"]["s0"]
    assert s0["all_zero"] and "every block of stage s0 has mixing weight 0" in caplog.text
    new = net.body.stages[0].blocks
    assert new[:2] == old[:2]  # keep=2, all tied: the first two slots stay
    assert sorted(r["slot"] for r in s0["replaced"]) == reset["s0:blocks"] == [2, 3, 4, 5]


def test_no_resampling_off_schedule_or_after_the_last_phase(net):
    old = [list(st.blocks) for st in net.body.stages]
    for epoch, final in ((1, False), (2, True)):
        record = net.end_phase(net.relaxation.final(), epoch, final)[0]["blocks"]
        assert not record["resampled"] and "replaced" not in record["stages"]["s0"]
    assert [st.blocks for st in net.body.stages] == old


def test_sampler_state_travels_with_the_state_dict(net):
    net.end_phase(net.relaxation.final(), 2, False)
    state = net.state_dict()
    assert isinstance(state["body.samplers._extra_state"], str)
    torch.manual_seed(1)
    other = compile_supernet(lower(parse_spec(SPACE.replace("seed: 3", "seed: 9")), (12,), 5))
    other.load_state_dict(state)
    assert [s.blocks for s in other.body.stages] == [s.blocks for s in net.body.stages]
    for model in (net, other):
        model.end_phase(model.relaxation.final(), 4, False)
    assert [s.blocks for s in other.body.stages] == [s.blocks for s in net.body.stages]


def test_refill_keeps_surviving_blocks_in_their_slots():
    a, b, c, d = (((0, 1),), ((0, 2),), ((1, 2),), ((0, 3),))
    assert refill([a, b, c], [c, a, d]) == {1: d}
    assert refill([a, b], [a, b]) == {}


def stage_edges(arch, stage: str) -> list[tuple[int, int]]:
    index = arch.nodes(data="index")
    return sorted((index[u], index[v]) for u, v in arch.edges if arch.nodes[u]["cell"] == stage)


def test_best_block_and_its_child_net(net):
    with torch.no_grad():
        net.relaxation.alpha["s0:blocks"][4] = 3.0
    arch = derive(net.current_graph(), net.relaxation.final(), run="t")
    s0 = net.body.stages[0].blocks[4]
    assert arch.graph["chosen"]["s0"]["slot"] == 4
    assert arch.graph["chosen"]["s0"]["edges"] == [list(e) for e in s0]
    assert stage_edges(arch, "s0") == list(s0)
    for u, _, d in arch.edges(data=True):
        assert d["op"] == "linear_relu" and d["searched"]
        assert d["key"] == f"{arch.nodes[u]['cell']}:blocks"
    s1 = net.body.stages[1].blocks[arch.graph["chosen"]["s1"]["slot"]]
    assert stage_edges(arch, "s1") == list(s1)
    child = ChildNet(arch)
    expected = sum(((12 if i == 0 else 8) + 1) * 8 for i, _ in s0)
    expected += sum(((8 if i == 0 else 4) + 1) * 4 for i, _ in s1) + (4 + 1) * 5
    assert sum(p.numel() for p in child.parameters()) == expected
    assert child(torch.randn(2, 1, 3, 4)).shape == (2, 5)


def test_chain_architecture_is_a_plain_mlp(net):
    arch = derive(net.current_graph(), net.relaxation.final())
    chain = block_architecture(arch, {"s0": chain_block(5), "s1": chain_block(4)}, run="chain")
    assert not any(d["searched"] for *_, d in chain.edges(data=True))
    model = ChildNet(chain)
    params = (12 * 8 + 8) + 3 * (8 * 8 + 8) + (8 * 4 + 4) + 2 * (4 * 4 + 4) + (4 * 5 + 5)
    assert sum(p.numel() for p in model.parameters()) == params
    x = torch.randn(3, 12)
    h = x
    for name in ("0->1", "1->2", "2->3", "3->4"):
        h = torch.relu(model.body.stages[0].linears[name](h))
    for name in ("0->1", "1->2", "2->3"):
        h = torch.relu(model.body.stages[1].linears[name](h))
    torch.testing.assert_close(model(x), model.body.head(h))


def one_shot_graph(net):
    g = net.current_graph()
    g.graph["derive"] = {"name": "one_shot"}
    return g


def test_one_shot_picks_the_block_that_scores_best_alone(net):
    from dagnas.engine.perturb import supernet_score

    torch.manual_seed(1)
    x, y = torch.randn(64, 1, 3, 4), torch.randint(0, 5, (64,))
    masks = [s.masks.clone() for s in net.body.stages]
    weights = net.relaxation.final()
    arch = derive(one_shot_graph(net), weights, run="t", model=net, val=(x, y))
    # the candidates went through slot 0 in turn; every slot holds its block again
    assert all(torch.equal(a, s.masks) for a, s in zip(masks, net.body.stages, strict=True))
    for n, key in enumerate(("s0:blocks", "s1:blocks")):
        k = len(net.body.stages[n].blocks)
        # brute force, each block in its own slot: the score the rule records for it
        scores = []
        for b in range(k):
            alone = {**weights, key: torch.nn.functional.one_hot(torch.tensor(b), k).float()}
            scores.append(supernet_score(net, alone, x, y))
        chosen = arch.graph["chosen"][key.split(":")[0]]
        assert chosen["scores"] == pytest.approx([s[0] for s in scores])
        best = max(range(k), key=lambda b: (scores[b][0], -scores[b][1], weights[key][b].item()))
        assert chosen["slot"] == best and chosen["val_acc"] == pytest.approx(scores[best][0])
        assert chosen["edges"] == [list(e) for e in net.body.stages[n].blocks[best]]


def test_one_shot_does_not_follow_the_mixing_weights(net):
    x, y = torch.randn(64, 1, 3, 4), torch.randint(0, 5, (64,))
    g = one_shot_graph(net)
    picks = set()
    for hot in range(6):
        with torch.no_grad():
            net.relaxation.alpha["s0:blocks"].zero_()
            net.relaxation.alpha["s0:blocks"][hot] = 5.0
        arch = derive(g, net.relaxation.final(), model=net, val=(x, y))
        picks.add(arch.graph["chosen"]["s0"]["slot"])
    assert len(picks) == 1  # the block scored on the data, whichever block π favours


def test_one_shot_without_the_supernet_says_what_it_needs(net):
    from dagnas.errors import RunError

    with pytest.raises(RunError, match="'one_shot' needs the trained supernet"):
        derive(one_shot_graph(net), net.relaxation.final())

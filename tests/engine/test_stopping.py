"""DARTS+ early stopping: criterion 1 (skips in the derived normal cell),
criterion 2 (the derived architecture unchanged for ``patience`` epochs)."""

from __future__ import annotations

import torch

from dagnas.compile import compile_supernet
from dagnas.engine.stopping import DartsPlus

NORMAL = ["normal:0->2", "normal:1->2", "normal:0->3", "normal:1->3", "normal:2->3"]


def with_alpha(net, favoured: dict[str, str]):
    """``net`` with α = 0 but 5 on the favoured op of each listed choice."""
    with torch.no_grad():
        for key, a in net.relaxation.alpha.items():
            a.zero_()
            if key in favoured:
                a[net.relaxation.choices[key].index(favoured[key])] = 5.0
    return net


def test_criterion_1_two_skips_in_the_derived_normal_cell(tiny_cell_graph):
    net = compile_supernet(tiny_cell_graph)
    one = {k: "sep_conv_3x3" for k in NORMAL} | {"normal:0->2": "skip_connect"}
    assert DartsPlus().check(with_alpha(net, one), net.relaxation.final(), True) is None
    two = one | {"normal:1->3": "skip_connect"}
    reason = DartsPlus().check(with_alpha(net, two), net.relaxation.final(), True)
    assert reason == "the derived normal cell holds 2 skip_connect (DARTS+ criterion 1)"
    # skips on edges top-2 drops do not count; nor do skips in the reduction cell
    with_alpha(net, one | {"normal:2->3": "skip_connect"})
    with torch.no_grad():  # 2->3 the weakest edge into node 3: top-2 keeps 0->3 and 1->3
        for key in ("normal:0->3", "normal:1->3"):
            net.relaxation.alpha[key][4] = 6.0
    assert DartsPlus(patience=None).check(net, net.relaxation.final(), True) is None
    reduce = {k.replace("normal", "reduce"): "skip_connect" for k in NORMAL}
    assert DartsPlus().check(with_alpha(net, reduce | one), net.relaxation.final(), True) is None
    assert DartsPlus(max_skips=3).check(with_alpha(net, two), net.relaxation.final(), True) is None


def test_criterion_2_after_patience_unchanged_epochs(tiny_dag_graph):
    net = compile_supernet(tiny_dag_graph)
    rule = DartsPlus(patience=3)
    same = net.relaxation.final()
    assert [rule.check(net, same, True) for _ in range(3)] == [None] * 3
    assert rule.check(net, same, False) is None  # an epoch α did not move in: not judged
    assert rule.check(net, same, True) == (
        "the derived architecture has not changed for 3 epochs (DARTS+ criterion 2)"
    )
    other = DartsPlus(patience=3)
    flipped = {k: w.flip(0) for k, w in same.items()}
    for mixing in (same, same, flipped, flipped, flipped):  # a change starts the count again
        assert other.check(net, mixing, True) is None
    assert other.check(net, flipped, True) is not None


def test_criterion_2_counts_a_refilled_slot_as_a_change(tiny_dense_graph):
    """Dense blocks: the chosen slot keeps its name when resampling puts another
    block into it; the derived architecture has changed, so the count restarts."""
    net = compile_supernet(tiny_dense_graph)
    key = next(iter(net.relaxation.alpha))
    with torch.no_grad():
        net.relaxation.alpha[key].copy_(torch.tensor([0.0, 4.0, 0.0]))
    mixing = net.relaxation.final()
    rule = DartsPlus(patience=2)
    assert [rule.check(net, mixing, True) for _ in range(2)] == [None, None]
    stage = net.body.stages[0]
    chosen = stage.blocks[1]
    other = next(b for b in stage.blocks if b != chosen)
    stage.set_blocks([1], [other])  # slot b1, still the strongest, now holds another block
    assert rule.check(net, mixing, True) is None
    assert rule.check(net, mixing, True) is None
    assert rule.check(net, mixing, True) is not None  # unchanged for 2 epochs since the refill
    # a refill of a slot the derivation does not keep changes nothing
    kept = DartsPlus(patience=2)
    for _ in range(2):
        assert kept.check(net, mixing, True) is None
    stage.set_blocks([0], [chosen])
    assert kept.check(net, mixing, True) is not None

"""A stage of masked dense blocks: the batched plan against the per-block loop."""

from __future__ import annotations

import pytest
import torch
from torch.overrides import TorchFunctionMode

from dagnas.compile.dense import DenseStage, loop_forward, masks_of
from dagnas.compile.dense_plan import prune
from dagnas.samplers import DagConstraints, chain_block, make_block, make_sampler

PAIRS4 = DagConstraints(4).allowed_edges()


class CountLinear(TorchFunctionMode):
    """Counts calls of ``torch.nn.functional.linear`` (one per pair matmul)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func is torch.nn.functional.linear:
            self.calls += 1
        return func(*args, **(kwargs or {}))


def random_blocks(gen: torch.Generator, k: int, nv: int) -> list:
    """k arbitrary upper-triangular masks: dead, dangling and empty vertices included."""
    out = []
    for _ in range(k):
        m = torch.rand(nv, nv, generator=gen) < 0.45
        out.append(make_block((i, j) for i in range(nv) for j in range(i + 1, nv) if m[i, j]))
    return out


def make_stage(blocks, nv=5, aggregate="sum", act="tanh", in_w=6, w=5) -> DenseStage:
    torch.manual_seed(0)
    pairs = DagConstraints(nv).allowed_edges()
    return DenseStage(in_w, w, nv, pairs, blocks, aggregate, act).double()


@pytest.mark.parametrize("aggregate", ["sum", "mean"])
@pytest.mark.parametrize("seed", range(6))
def test_batched_equals_loop_on_random_masks(aggregate: str, seed: int):
    gen = torch.Generator().manual_seed(seed)
    blocks = random_blocks(gen, 7, 5)
    stage = make_stage(blocks, aggregate=aggregate)
    x = torch.randn(4, 6, dtype=torch.float64, generator=gen)
    pi = torch.rand(7, dtype=torch.float64, generator=gen)
    pi[seed % 7] = 0.0
    pi.requires_grad_()
    ref = loop_forward(stage, x, pi)
    out = stage(x, pi)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-10)
    params = [pi, *stage.parameters()]
    g_ref = torch.autograd.grad(ref.sin().sum(), params, allow_unused=True)
    g_out = torch.autograd.grad(out.sin().sum(), params, allow_unused=True)
    for a, b in zip(g_out, g_ref, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, rtol=0, atol=1e-10)


def test_mean_divides_by_live_inputs():
    # vertex 2 reads 0 and the dead vertex 1: only the live input counts
    stage = make_stage([make_block([(0, 2), (1, 2), (2, 3)])], nv=4, aggregate="mean", act="relu")
    x = torch.randn(3, 6, dtype=torch.float64)
    lin = stage.linears
    h2 = torch.relu(lin["0->2"](x))
    torch.testing.assert_close(stage(x, None), torch.relu(lin["2->3"](h2)))


def test_prune_keeps_only_input_to_output_paths():
    block = make_block([(0, 1), (1, 3), (0, 2), (2, 4), (3, 4), (1, 2)])
    # 5 vertices: vertex 3 → 4 is the output; vertex 2 → 4 too
    assert prune(block, 5) == block
    assert prune(make_block([(1, 2), (2, 3), (0, 3)]), 4) == ((0, 3),)
    assert prune(make_block([(0, 1), (0, 2)]), 4) == ()  # output unreachable


def test_a_block_without_a_path_to_its_output_gives_zeros():
    stage = make_stage([make_block([(0, 1), (1, 2)])], nv=4)
    assert torch.equal(
        stage(torch.randn(2, 6, dtype=torch.float64), None), torch.zeros(2, 5).double()
    )


def test_blocks_with_zero_weight_cost_nothing():
    c = DagConstraints(5)
    blocks = make_sampler("uniform", c, 3).sample(6)
    stage = make_stage(blocks)
    x = torch.randn(4, 6, dtype=torch.float64)
    pi = torch.zeros(6, dtype=torch.float64)
    pi[2] = 0.7
    with CountLinear() as count:
        out = stage(x, pi)
    assert count.calls == len(blocks[2])  # one matmul per edge of the only active block
    out.sum().backward()
    for name, lin in stage.linears.items():
        i, j = (int(v) for v in name.split("->"))
        assert (lin.weight.grad is not None) == ((i, j) in blocks[2]), name
    with CountLinear() as count:
        stage(x, torch.zeros(6, dtype=torch.float64))
    assert count.calls == 0


def test_shared_work_is_computed_once():
    blocks = make_sampler("uniform", DagConstraints(6), 0).sample(8)
    stage = make_stage(blocks, nv=6)
    with CountLinear() as count:
        stage(torch.randn(2, 6, dtype=torch.float64), torch.full((8,), 0.125).double())
    # one matmul per pair any block uses, however many blocks use it
    assert count.calls == len({e for b in blocks for e in b}) < sum(len(b) for b in blocks)
    plan = stage.plan(tuple(range(8)))
    assert plan.steps[0].vertex == 1 and plan.steps[0].nodes == 1  # every block has h_1 = f(x)


def test_masks_are_buffers_in_the_state_dict():
    blocks = [chain_block(4), make_block([(0, 1), (0, 2), (1, 3), (2, 3)])]
    stage = make_stage(blocks, nv=4)
    assert "masks" in dict(stage.named_buffers())
    assert "masks" not in dict(stage.named_parameters())
    state = stage.state_dict()
    assert torch.equal(state["masks"], masks_of(blocks, 4))
    other = make_stage([make_block(PAIRS4), chain_block(4)], nv=4)
    other.load_state_dict(state)
    assert other.blocks == blocks
    x = torch.randn(3, 6, dtype=torch.float64)
    pi = torch.tensor([0.4, 0.6], dtype=torch.float64)
    torch.testing.assert_close(other(x, pi), stage(x, pi))


def test_set_blocks_swaps_masks_and_keeps_weights_bit_identical():
    stage = make_stage([chain_block(4), make_block(PAIRS4)], nv=4)
    before = {k: v.clone() for k, v in stage.state_dict().items()}
    new = make_block([(0, 1), (0, 3), (1, 2), (2, 3)])
    stage.set_blocks([0], [new])
    assert stage.blocks == [new, make_block(PAIRS4)]
    assert torch.equal(stage.masks, masks_of([new, make_block(PAIRS4)], 4))
    for k, v in stage.state_dict().items():
        if k != "masks":
            assert torch.equal(v, before[k]), k
    x = torch.randn(3, 6, dtype=torch.float64)
    pi = torch.tensor([1.0, 0.0], dtype=torch.float64)
    torch.testing.assert_close(stage(x, pi), loop_forward(stage, x, pi))


def test_blocks_need_weights_for_their_pairs():
    with pytest.raises(ValueError, match=r"pairs \[\(0, 3\)\] that have no weights"):
        DenseStage(4, 4, 4, chain_block(4), [make_block([(0, 3)])])

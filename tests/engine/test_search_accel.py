"""A search under ``search.accel``: forward passes of both steps in bf16 (seen by
hooks), finite losses and moving α; the unrolled step in bf16 next to fp32;
fp16 refused on a CPU; torch.compile of the supernet's forward."""

from __future__ import annotations

import os
import shutil

import pytest
import torch
from torch import nn

from dagnas.accel import Accel, Accelerated
from dagnas.compile import compile_supernet
from dagnas.engine.hypergrad import Objective, first_order, second_order
from dagnas.engine.loop import Searcher
from dagnas.errors import DagnasError, SpecIssue
from dagnas.spec import SearchConfig
from dagnas.workflows.search import seed_all


def data(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(48, 1, 8, 8, generator=g), torch.randint(0, 3, (48,), generator=g)


def searcher(graph, accel: dict, **fields) -> Searcher:
    seed_all(0)
    cfg = SearchConfig.model_validate(
        {"epochs": 2, "batch_size": 16, "arch": {"lr": 0.05}, "relaxation": "softmax"}
        | {"accel": accel, **fields}
    )
    return Searcher(compile_supernet(graph, "softmax"), data(0), data(1), cfg)


def watch_dtypes(s: Searcher) -> list[tuple[str, torch.dtype]]:
    """(step, dtype) of every convolution output of the supernet from now on."""
    seen: list[tuple[str, torch.dtype]] = []
    step = ["weights"]
    hypergradient = s.hypergradient

    def arch_step(*args):
        step[0] = "arch"
        try:
            return hypergradient(*args)
        finally:
            step[0] = "weights"

    def record(module, args, out) -> None:
        seen.append((step[0], out.dtype))

    s.hypergradient = arch_step
    for m in s.model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(record)
    return seen


@pytest.mark.parametrize(
    ("precision", "dtype"), [("fp32", torch.float32), ("bf16", torch.bfloat16)]
)
def test_both_steps_run_in_the_precision_and_the_search_moves(tiny_cell_graph, precision, dtype):
    s = searcher(tiny_cell_graph, {"precision": precision})
    alpha = [a.detach().clone() for a in s.model.arch_parameters()]
    seen = watch_dtypes(s)
    s.run()
    assert {step for step, _ in seen} == {"weights", "arch"}
    assert {d for _, d in seen} == {dtype}
    assert all(p.dtype == torch.float32 for p in s.model.parameters())  # weights stay fp32
    for m in s.metrics:
        assert all(torch.isfinite(torch.tensor(m[k])) for k in ("train_loss", "val_loss"))
    moved = max(
        (a - b).abs().max().item() for a, b in zip(s.model.arch_parameters(), alpha, strict=True)
    )
    assert moved > 1e-3


def test_the_unrolled_step_in_bf16_is_close_to_fp32(tiny_cell_graph):
    """The second-order hypergradient (finite differences included) runs under bf16;
    on one batch it points where fp32's does."""
    torch.manual_seed(0)
    model = compile_supernet(tiny_cell_graph, "softmax")
    batch = data(0)

    def hypergradient(rule, accel: Accel) -> torch.Tensor:
        obj = Objective(model, accel=Accelerated(model, accel, "cpu"))
        rule(obj, batch, batch, 0.05)
        return torch.cat([a.grad.flatten() for a in model.arch_parameters()])

    fp32, bf16 = (hypergradient(second_order, Accel(precision=p)) for p in ("fp32", "bf16"))
    assert nn.functional.cosine_similarity(fp32, bf16, dim=0) > 0.95
    first = hypergradient(first_order, Accel())
    hessian_32 = fp32 - first  # the part only the unrolled step has
    hessian_16 = bf16 - hypergradient(first_order, Accel(precision="bf16"))
    assert hessian_32.norm() > 0.01 * first.norm()
    assert nn.functional.cosine_similarity(hessian_32, hessian_16, dim=0) > 0.9


def test_a_second_order_search_in_bf16_moves_alpha(tiny_cell_graph):
    s = searcher(tiny_cell_graph, {"precision": "bf16"}, hypergradient="second", max_steps=3)
    alpha = [a.detach().clone() for a in s.model.arch_parameters()]
    s.run()
    assert all(torch.isfinite(a).all() for a in s.model.arch_parameters())
    assert any(not torch.equal(a, b) for a, b in zip(s.model.arch_parameters(), alpha, strict=True))


def test_fp16_is_refused_where_it_cannot_run(tiny_cell_graph):
    with pytest.raises(
        SpecIssue, match="fp16 autocast needs a CUDA device, not cpu; use precision bf16"
    ):
        SearchConfig.model_validate({"device": "cpu", "accel": {"precision": "fp16"}})
    with pytest.raises(SpecIssue, match="use precision bf16 or hypergradient first"):
        SearchConfig.model_validate({"hypergradient": "second", "accel": {"precision": "fp16"}})
    if not torch.cuda.is_available():  # auto on this machine: the search refuses
        with pytest.raises(DagnasError, match="fp16 autocast needs a CUDA device"):
            searcher(tiny_cell_graph, {"precision": "fp16"})


def test_the_loss_scalers_travel_with_the_checkpoint(tiny_cell_graph):
    s = searcher(tiny_cell_graph, {"precision": "bf16"}, max_steps=2)
    s.run()
    state = s.state_dict()
    assert set(state["scalers"]) == {"w", "a"}
    s.load_state_dict(state)


def test_compile_wraps_the_forward_and_turns_recomputation_off(tiny_cell_graph):
    """(torch.compile compiles on the first call: nothing is compiled here.)"""
    s = searcher(tiny_cell_graph, {"compile": True})
    assert s.accel.forward is not s.model and s.objective.accel is s.accel
    assert s.model.body.recompute is False
    assert type(s.model.body).recompute is True  # other networks keep it


def _compiler() -> bool:
    return torch.cuda.is_available() or shutil.which(os.environ.get("CXX", "g++")) is not None


@pytest.mark.slow
@pytest.mark.skipif(
    not (_compiler() and os.environ.get("DAGNAS_TEST_COMPILE")),
    reason="torch.compile of a supernet takes minutes on a CPU (and a C++ compiler):"
    " set DAGNAS_TEST_COMPILE=1 to run it",
)
def test_a_compiled_search_runs(tiny_cell_graph):
    s = searcher(tiny_cell_graph, {"precision": "bf16", "compile": True}, max_steps=3)
    s.run()
    assert all(torch.isfinite(a).all() for a in s.model.arch_parameters())

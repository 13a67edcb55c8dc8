"""GDAS's official cell: only the drawn op is computed, every other op adds its
weight (a scalar of value 0), so every α gets a gradient, even when `none` is drawn."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.engine.loop import Searcher
from dagnas.spec import SearchConfig

NONE_EDGE = "normal:0->2"


def supernet(graph, undrawn: str):
    torch.manual_seed(0)
    model = compile_supernet(graph, "gumbel", undrawn=undrawn)
    with torch.no_grad():  # `none` wins NONE_EDGE's every draw (Gumbel noise moves < 30)
        model.relaxation.alpha[NONE_EDGE].copy_(
            torch.tensor(
                [15.0 if op == "none" else -15.0 for op in model.relaxation.choices[NONE_EDGE]]
            )
        )
    return model


def one_arch_step(model) -> dict[str, torch.Tensor]:
    """α's gradients after one search step (its architecture step)."""
    cfg = SearchConfig.model_validate({"epochs": 1, "max_steps": 1, "batch_size": 8})
    g = torch.Generator().manual_seed(1)
    data = torch.randn(16, 1, 8, 8, generator=g), torch.randint(0, 3, (16,), generator=g)
    torch.manual_seed(2)
    Searcher(model, data, data, cfg).run()
    return {k: a.grad for k, a in model.relaxation.alpha.items()}


def test_every_alpha_gets_a_gradient_even_on_an_edge_that_draws_none(tiny_cell_graph):
    model = supernet(tiny_cell_graph, "scalar")
    torch.manual_seed(5)
    assert model.relaxation()[NONE_EDGE].argmax() == 0  # `none` is drawn
    for key, grad in one_arch_step(model).items():
        assert grad is not None and bool((grad != 0).all()), key


def test_undrawn_skip_is_gdas_v1_no_gradient_when_none_is_drawn(tiny_cell_graph):
    grads = one_arch_step(supernet(tiny_cell_graph, "skip"))
    assert not grads[NONE_EDGE].any()
    assert any(g.any() for k, g in grads.items() if k != NONE_EDGE)


def test_the_scalar_terms_leave_the_output_unchanged(tiny_cell_graph):
    x = torch.randn(4, 1, 8, 8)
    out = {}
    for undrawn in ("scalar", "skip"):
        model = supernet(tiny_cell_graph, undrawn)
        torch.manual_seed(3)
        out[undrawn] = model(x)
    torch.testing.assert_close(out["scalar"], out["skip"], rtol=0, atol=0)


@pytest.mark.parametrize("undrawn", ["scalar", "skip"])
def test_a_dag_whose_every_edge_draws_zero_still_gives_logits(tiny_dag_graph, undrawn):
    model = compile_supernet(tiny_dag_graph, "gumbel", undrawn=undrawn)
    with torch.no_grad():
        for key, a in model.relaxation.alpha.items():
            ops = model.relaxation.choices[key]
            a.copy_(torch.tensor([50.0 if op == "zero" else -50.0 for op in ops]))
    logits = model(torch.randn(6, 5))
    assert logits.shape == (6, 3) and logits.requires_grad == (undrawn == "scalar")

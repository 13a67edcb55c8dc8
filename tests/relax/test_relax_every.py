"""Every registered relaxation searches every space kind through the Searcher."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.engine.loop import Searcher
from dagnas.errors import SpecError
from dagnas.relax import RELAXATIONS
from dagnas.spec import SearchConfig, parse_spec


def random_data(shape: tuple[int, ...], n: int = 24, classes: int = 3, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, *shape, generator=g), torch.randint(0, classes, (n,), generator=g)


@pytest.mark.parametrize("space", ["tiny_dag_graph", "tiny_cell_graph", "tiny_dense_graph"])
@pytest.mark.parametrize("name", RELAXATIONS.names())
def test_relaxation_searches_every_space(name, space, request):
    graph = request.getfixturevalue(space)
    torch.manual_seed(0)
    cfg = SearchConfig.model_validate(
        {"epochs": 1, "max_steps": 3, "batch_size": 8, "relaxation": name, "arch": {"lr": 0.01}}
    )
    model = compile_supernet(graph, name, **cfg.relaxation.options)
    before = [p.detach().clone() for p in model.arch_parameters()]
    shape = tuple(graph.graph["input_shape"])
    result = Searcher(model, random_data(shape), random_data(shape, seed=1), cfg).run()
    assert result.steps == 3
    moved = [not torch.equal(b, p) for b, p in zip(before, model.arch_parameters(), strict=True)]
    assert any(moved), "the architecture steps changed no parameter"
    choices = model.relaxation.choices
    assert set(result.mixing) == set(choices)
    for key, w in result.mixing.items():
        assert w.shape == (len(choices[key]),) and torch.isfinite(w).all()
    for p in model.arch_parameters():
        assert torch.isfinite(p).all()
    again = model.relaxation.final()
    assert all(torch.equal(again[k], w) for k, w in result.mixing.items())
    assert torch.isfinite(model(random_data(shape)[0], again)).all()


def test_bad_relaxation_name_is_located_spec_error():
    text = "kind: darts_cell\nops: [skip_connect]\nsearch:\n  relaxation: sparse_simplx\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text, "s.yaml")
    msg = str(info.value)
    assert "s.yaml:4: search.relaxation" in msg
    assert "unknown relaxation 'sparse_simplx'; did you mean 'sparse_simplex'?" in msg


@pytest.mark.parametrize(
    ("relaxation", "expected"),
    [
        ("{name: sparse_simplex, lamb: 0.1}", "option 'lamb' does not belong to relaxation"),
        ("{name: hypernet, tau_max: 3}", "option 'tau_max' does not belong to relaxation"),
        ("{name: gumbel, tau_max: 0.1, tau_min: 1}", "tau_min 1.0 exceeds tau_max 0.1"),
        ("{name: sparse_simplex, simplex: open}", "option 'simplex' of relaxation"),
        ("{name: hypernet, log_min: 0, log_max: -3}", "log_min 0.0 exceeds log_max -3.0"),
    ],
)
def test_foreign_or_bad_option_is_located_spec_error(relaxation, expected):
    text = f"kind: darts_cell\nops: [skip_connect]\nsearch:\n  relaxation: {relaxation}\n"
    with pytest.raises(SpecError) as info:
        parse_spec(text, "s.yaml")
    assert "s.yaml:4: search.relaxation" in str(info.value)
    assert expected in str(info.value)


def test_relaxation_fills_the_arch_settings_it_needs_unless_given():
    sparse = SearchConfig.model_validate({"relaxation": "sparse_simplex"})
    assert (sparse.arch.optimizer, sparse.arch.lr, sparse.arch.weight_decay) == ("sgd", 0.1, 0.0)
    mine = SearchConfig.model_validate(
        {"relaxation": "sparse_simplex", "arch": {"optimizer": "adam", "lr": 0.1}}
    )
    assert (mine.arch.optimizer, mine.arch.lr, mine.arch.weight_decay) == ("adam", 0.1, 0.0)
    fair = SearchConfig.model_validate({"relaxation": "sigmoid"}).arch
    assert (fair.lr, fair.betas) == (3e-3, (0.9, 0.999))  # FairDARTS's architect.py
    mine = SearchConfig.model_validate({"relaxation": "sigmoid", "arch": {"betas": [0.5, 0.99]}})
    assert (mine.arch.lr, mine.arch.betas) == (3e-3, (0.5, 0.99))
    assert SearchConfig.model_validate({"relaxation": "softmax"}).arch == SearchConfig().arch
    # the resolved config reloads to the same settings
    assert SearchConfig.model_validate(sparse.model_dump()).arch == sparse.arch


def test_compare_methods_keep_the_arch_settings_a_relaxation_needs():
    from dagnas.spec import load_space
    from dagnas.workflows.methods import apply_method, resolve_method

    spec = load_space("spaces/darts_digits.yaml")  # sets arch lr 3e-3 for Adam
    arch = apply_method(spec, resolve_method("sparse_simplex")).search.arch
    assert (arch.optimizer, arch.lr, arch.weight_decay) == ("sgd", 0.1, 0.0)
    assert apply_method(spec, resolve_method("hypernet")).search.arch.lr == 0.01
    assert apply_method(spec, resolve_method("darts")).search.arch == spec.search.arch

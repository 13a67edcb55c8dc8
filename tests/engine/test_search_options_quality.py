"""Search options that follow the reference code: Nesterov, step order, warm-up,
the architecture's data split, search-time augmentation, DrNAS's weight decay."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import compile_supernet
from dagnas.data import Augment
from dagnas.engine.loop import Searcher
from dagnas.errors import DagnasError
from dagnas.spaces import load_space
from dagnas.spec import SearchConfig


def images(seed: int, n: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 8, 8, generator=g), torch.randint(0, 3, (n,), generator=g)


def vectors(seed: int, n: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 5, generator=g), torch.randint(0, 3, (n,), generator=g)


def searcher(graph, data, **search) -> Searcher:
    torch.manual_seed(0)
    cfg = SearchConfig.model_validate({"epochs": 2, "batch_size": 8, **search})
    return Searcher(compile_supernet(graph), data(0), data(1), cfg)


def test_nesterov_reaches_the_weight_optimizer(tiny_dag_graph):
    s = searcher(tiny_dag_graph, vectors, weights={"nesterov": True, "weight_decay": 5e-4})
    group = s.w_opt.param_groups[0]
    assert group["nesterov"] and group["weight_decay"] == 5e-4
    assert not searcher(tiny_dag_graph, vectors).w_opt.param_groups[0]["nesterov"]


@pytest.mark.parametrize("order", ["arch_first", "weights_first"])
def test_step_order(tiny_dag_graph, order):
    s = searcher(tiny_dag_graph, vectors, step_order=order, max_steps=2)
    calls: list[str] = []
    arch_step, weight_step = s._arch_step, s._weight_step
    s._arch_step = lambda *a: (calls.append("arch"), arch_step(*a))[1]
    s._weight_step = lambda *a: (calls.append("weights"), weight_step(*a))[1]
    s.run()
    first = ["arch", "weights"] if order == "arch_first" else ["weights", "arch"]
    assert calls == first * 2


def test_warm_up_epochs_take_no_architecture_step(tiny_dag_graph):
    result = searcher(tiny_dag_graph, vectors, warmup_epochs=1).run()
    assert [m["arch_steps"] for m in result.metrics] == [0, 2]


def test_architecture_steps_can_read_the_train_split(tiny_dag_graph):
    s = searcher(tiny_dag_graph, vectors, arch_data="train")
    assert torch.equal(s.val.x, vectors(0)[0]) and s.val.seed != s.train.seed
    assert torch.equal(searcher(tiny_dag_graph, vectors).val.x, vectors(1)[0])


def test_augmentation_changes_both_halves_of_images_only(tiny_cell_graph, tiny_dag_graph):
    s = searcher(tiny_cell_graph, images, augment={"crop": 2, "flip": True})
    assert s.augment == Augment(crop=2, flip=True)
    torch.manual_seed(1)
    x, y = s._next(s.train)
    plain = searcher(tiny_cell_graph, images).train.next()
    assert torch.equal(y, plain[1]) and not torch.equal(x, plain[0])
    cifar = SearchConfig.model_validate({"augment": "default", "data": "cifar10"})
    assert cifar.augmentation() == Augment(crop=4, flip=True)
    with pytest.raises(DagnasError, match="inputs have shape \\(5,\\)"):
        searcher(tiny_dag_graph, vectors, augment={"crop": 2})


def test_drnas_kl_term_takes_the_architecture_weight_decay_off():
    kl = {"name": "dirichlet", "kl_weight": 1e-3}
    assert SearchConfig.model_validate({"relaxation": kl}).arch.weight_decay == 0
    given = SearchConfig.model_validate({"relaxation": kl, "arch": {"weight_decay": 1e-3}})
    assert given.arch.weight_decay == 1e-3
    plain = SearchConfig.model_validate({"relaxation": {"name": "dirichlet"}})
    assert plain.arch.weight_decay == 1e-3


@pytest.mark.parametrize(
    "name, shape, expected",
    [
        ("nb201", (3, 32, 32), Augment(crop=4, flip=True)),
        ("darts_cifar10", (3, 32, 32), Augment(crop=4, flip=True)),
        ("nb201_tiny", (1, 8, 8), Augment()),  # digits: no default transform
    ],
)
def test_the_shipped_cifar_spaces_crop_and_flip_both_halves(name, shape, expected):
    assert load_space(name).search.augmentation(shape) == expected

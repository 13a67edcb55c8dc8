"""Whatever validates runs: a spec ``check_spec`` accepts is lowered, compiled,
searched one step, derived, built as a child network and trained one step;
what it refuses is refused with the file, line and field.

Bounded for CI: few examples, derandomized, no deadline.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from dagnas.compile import ChildNet
from dagnas.compile.supernet import compile_supernet
from dagnas.engine.derive import derive
from dagnas.errors import SpecError
from dagnas.spec import parse_spec
from dagnas.spec.check import check_spec, data_shape_of
from tests.kinds.drawn_specs import IMAGE_OPS, as_yaml, dags, darts_cells, dense_blocks

SOURCE = "drawn.yaml"
LOCATED = re.compile(r"^drawn\.yaml:\d+: \S")
BOUNDED = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def validated(text: str) -> Any:
    """The spec and its graph, or None after checking the refusal is located."""
    try:
        spec = parse_spec(text, SOURCE)
        return spec, check_spec(spec)
    except SpecError as e:
        for where, _ in e.issues:
            assert LOCATED.match(f"{where}: x"), e
        return None


def one_step(model: nn.Module, params: list[nn.Parameter], x: torch.Tensor, y: torch.Tensor):
    loss = nn.functional.cross_entropy(model(x), y)
    assert torch.isfinite(loss)
    loss.backward()
    torch.optim.SGD(params, lr=0.01).step()


def runs(spec: Any, graph: Any) -> None:
    """lower → compile → one search step → derive → child network → one training step."""
    shape, classes = data_shape_of(spec)
    relax = spec.search.relaxation
    torch.manual_seed(0)
    net = compile_supernet(graph, relax.name, **relax.options)
    x, y = torch.randn(4, *shape), torch.arange(4) % classes
    one_step(net, net.weights(), x, y)
    net.zero_grad()
    one_step(net, net.arch_parameters(), x, y)
    arch = derive(net.current_graph(), net.relaxation.final())
    child = ChildNet(arch)
    assert list(child.parameters()), "a child network with nothing to train"
    one_step(child, list(child.parameters()), x, y)


@pytest.mark.parametrize("kind", [darts_cells, dags, dense_blocks], ids=lambda k: k.__name__)
@BOUNDED
@given(data=st.data())
def test_what_validates_runs(kind: Any, data: st.DataObject) -> None:
    found = validated(as_yaml(data.draw(kind())))
    if found is not None:
        runs(*found)


def _zero_ops(spec: dict[str, Any]) -> str:
    """Every op on the way to the output a zero op; the field it is refused at."""
    if spec["kind"] == "darts_cell":
        spec["ops"] = ["none"]
        return "edges" if "edges" in spec else "ops"
    image = any(op in IMAGE_OPS for e in spec["edges"] for op in e["ops"])
    for e in spec["edges"]:
        if e["to"] == "out":
            e["ops"] = ["none" if image else "zero"]
    return "edges"


NEAR_MISSES = {
    "zero ops only": _zero_ops,
    "topk k above every in-degree": lambda s: (
        s.update(derive={"name": "topk", "k": 40}) or "derive.k"
    ),
    "threshold above every weight": lambda s: (
        s.update(derive={"name": "threshold", "threshold": 1.5}) or "derive.threshold"
    ),
    "a dataset name typo": lambda s: s["search"].update(data="mnits") or "search.data",
}


@BOUNDED
@given(
    spec=st.one_of(darts_cells(), dags()),
    miss=st.sampled_from(sorted(NEAR_MISSES)),
)
def test_near_misses_are_refused_with_their_location(spec: dict[str, Any], miss: str) -> None:
    if validated(as_yaml(spec)) is None:
        return
    field = NEAR_MISSES[miss](spec)
    with pytest.raises(SpecError) as e:
        check_spec(parse_spec(as_yaml(spec), SOURCE))
    (where, _), *_ = e.value.issues
    assert LOCATED.match(f"{where}: x") and where.endswith(f": {field}"), where


@BOUNDED
@given(spec=dense_blocks())
def test_dense_near_misses_are_refused_with_their_location(spec: dict[str, Any]) -> None:
    if validated(as_yaml(spec)) is None:
        return
    spec["stages"][0].update(vertices=2, blocks=2, constraints={})  # one connected DAG
    with pytest.raises(SpecError, match=r"drawn\.yaml:\d+: stages\[0\]\.blocks"):
        check_spec(parse_spec(as_yaml(spec), SOURCE))

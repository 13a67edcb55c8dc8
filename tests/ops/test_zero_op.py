"""One definition of a zero op (``OpDef.zero``): one a user registers is inactive everywhere."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dagnas.compile import ChildNet, compile_supernet
from dagnas.engine.derive import derive
from dagnas.engine.perturb import op_drops
from dagnas.errors import DagnasError
from dagnas.evaluate.candidates import reads_input
from dagnas.graph import active_subgraph, canonical_hash, dag_metrics, is_active
from dagnas.ops import OPS, OpDef, is_zero
from dagnas.spec import parse_spec
from dagnas.spec.lower import lower

SPACE = """\
kind: dag
nodes: [{name: x, role: input}, {name: h, width: 4}, {name: o, role: output}]
edges:
  - {from: x, to: h, ops: [linear, nothing]}
  - {from: h, to: o, ops: [linear, nothing]}
  - {from: x, to: o, ops: [nothing, linear]}
"""


def never_built(c_in: int, c_out: int, stride: int, **params: object) -> nn.Module:
    raise AssertionError("a zero op is never built")


@pytest.fixture
def nothing(monkeypatch: pytest.MonkeyPatch) -> str:
    """A user's zero op, registered for one test."""
    monkeypatch.setitem(OPS._items, "nothing", OpDef("nothing", never_built, "any", zero=True))
    return "nothing"


def test_a_user_zero_op_is_zero_and_inactive(nothing):
    assert is_zero(nothing) and is_zero("none") and not is_zero("linear")
    assert not is_active(nothing) and is_active("linear") and is_active("concat")
    assert not is_zero(None) and not is_zero("unregistered")


def test_a_user_zero_op_is_inactive_in_graphs_relaxations_and_networks(nothing):
    g = lower(parse_spec(SPACE), (6,), 3)
    supernet = compile_supernet(g, "clipped")  # builds no zero op (never_built would fail)
    mixing = supernet.relaxation()
    assert [w[1].item() for k, w in sorted(mixing.items()) if k != "dag:x->o"] == [0.0, 0.0]
    assert mixing["dag:x->o"][0].item() == 0.0  # clipped masks zero ops from the start
    assert supernet(torch.zeros(2, 6)).shape == (2, 3)

    weights = {"dag:x->h": torch.tensor([0.1, 0.9]), "dag:h->o": torch.tensor([0.2, 0.8])}
    weights["dag:x->o"] = torch.tensor([0.9, 0.1])
    arch = derive(g, weights)  # argmax keeps every edge's strongest op, zero ops included
    assert {d["op"] for *_, d in arch.edges(data=True)} == {nothing}
    assert not reads_input(arch)  # every path is cut by the zero op
    assert active_subgraph(arch).number_of_edges() == 0
    assert dag_metrics(arch)["edges"] == 0
    assert canonical_hash(active_subgraph(arch)) != canonical_hash(arch)
    with pytest.raises(DagnasError, match="nothing to train: only zero ops lead to its output"):
        ChildNet(arch)  # built without building the zero op, then refused: no parameters


def test_removing_a_user_zero_op_changes_nothing(nothing):
    g = lower(parse_spec(SPACE), (6,), 3)
    supernet = compile_supernet(g)
    choices = {d["key"]: d["ops"] for *_, d in g.edges(data=True)}
    x, y = torch.randn(8, 6), torch.randint(0, 3, (8,))
    drops = op_drops(supernet, supernet.relaxation(), choices, x, y)
    assert drops["dag:x->o"][0] == drops["dag:x->h"][1] == (0.0, 0.0)

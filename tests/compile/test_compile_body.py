"""Every network body is a Body; a body without phase state has no-op hooks."""

from __future__ import annotations

import pytest
import torch

from dagnas.compile import Body, compile_supernet
from dagnas.errors import DagnasError
from dagnas.kinds import KINDS, get_kind


def test_every_registered_body_is_a_body():
    assert all(issubclass(get_kind(name).body, Body) for name in KINDS)


def test_a_dag_body_records_nothing_and_leaves_the_graph_as_it_was(tiny_dag_graph):
    net = compile_supernet(tiny_dag_graph)
    assert net.end_phase(net.relaxation.final(), 1, False) == ({}, {})
    assert net.current_graph().graph == tiny_dag_graph.graph


def test_a_kind_whose_body_is_no_body_is_refused(tiny_dag_graph, monkeypatch):
    kind = get_kind("dag")
    monkeypatch.setattr(type(kind), "body", torch.nn.Linear)
    with pytest.raises(DagnasError, match=r"must subclass dagnas\.compile\.Body"):
        compile_supernet(tiny_dag_graph)

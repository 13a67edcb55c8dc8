"""Every network body is a Body; a body without phase state has no-op hooks."""

from __future__ import annotations

from dagnas.compile import Body, compile_supernet
from dagnas.compile.supernet import BODIES


def test_every_registered_body_is_a_body():
    assert all(issubclass(body, Body) for body in BODIES.values())


def test_a_dag_body_records_nothing_and_leaves_the_graph_as_it_was(tiny_dag_graph):
    net = compile_supernet(tiny_dag_graph)
    assert net.end_phase(net.relaxation.final(), 1, False) == {}
    assert net.current_graph().graph == tiny_dag_graph.graph

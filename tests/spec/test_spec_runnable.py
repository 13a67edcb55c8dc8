"""The specs issue 11 found validating but not running: each refused by
``dagnas validate`` with its file, line and field, or run with a documented fallback."""

from __future__ import annotations

import pytest
import torch
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.engine.derive import derive
from dagnas.spec import parse_spec
from dagnas.spec.check import check_spec

CELL = "kind: darts_cell\nchannels: 2\nlayers: 2\n"
DAG_IN = (
    "kind: dag\nnodes: [{name: x, role: input}, {name: h, width: 8}, {name: out, role: output}]\n"
)
REFUSED = {
    "output only through zero ops": (
        DAG_IN
        + "edges:\n  - {from: x, to: h, ops: [linear]}\n  - {from: h, to: out, ops: [zero]}\n",
        "s.yaml:5: edges[1]: only zero ops",
    ),
    "ops: [none]": (CELL + "ops: [none]\n", "s.yaml:4: ops: only zero ops"),
    "topk k above every in-degree": (
        CELL + "ops: [skip_connect]\nderive: {name: topk, k: 9}\n",
        "s.yaml:5: derive.k: topk keeps k=9",
    ),
    "threshold no weight reaches": (
        CELL + "ops: [skip_connect]\nderive: {name: threshold, threshold: 1.0}\n",
        "s.yaml:5: derive.threshold",
    ),
    "max_pool into a node of another width": (
        DAG_IN.replace("width: 8", "width: 8}, {name: g, width: 4")
        + "edges:\n  - {from: x, to: h, ops: [nor_conv_1x1]}\n"
        "  - {from: h, to: g, ops: [max_pool_3x3]}\n  - {from: g, to: out, ops: [nor_conv_1x1]}\n",
        "s.yaml:5: edges[1].ops[0]: op 'max_pool_3x3' keeps the width",
    ),
    "a dataset name typo": (
        CELL + "ops: [skip_connect]\nsearch: {data: mnits}\n",
        "s.yaml:5: search.data: unknown dataset 'mnits'; did you mean 'mnist'?",
    ),
    "resblock reductions of an odd size": (
        CELL.replace("layers: 2", "layers: 3")
        + "ops: [skip_connect]\nreduction_type: resblock\ninput_nodes: 1\n"
        "reductions: [0, 1, 2]\nsearch: {data: mnist}\n",
        "s.yaml:7: reductions: the residual-block reduction at layer 2 would halve a 7x7",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_validate_refuses_what_could_not_run(tmp_path, case: str) -> None:
    text, message = REFUSED[case]
    (tmp_path / "s.yaml").write_text(text)
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2, result.output
    assert f"{tmp_path}/{message}" in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_validate_says_when_shapes_are_unknown(tmp_path) -> None:
    (tmp_path / "pics").mkdir()  # validate checks that a data folder exists
    data = f"folder:{tmp_path / 'pics'}"
    (tmp_path / "s.yaml").write_text(CELL + f"ops: [skip_connect]\nsearch: {{data: '{data}'}}\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 0 and "shapes unchecked" in result.output


def test_a_threshold_that_keeps_nothing_falls_back_and_says_so() -> None:
    graph = check_spec(
        parse_spec(CELL + "ops: [none, skip_connect]\nderive: {name: threshold, threshold: 0.9}\n")
    )
    weights = {d["key"]: torch.tensor([0.5, 0.5]) for *_, d in graph.edges(data=True) if "ops" in d}
    arch = derive(graph, weights)
    searched = [d for *_, d in arch.edges(data=True) if d.get("searched")]
    assert len(searched) == len(weights) and {d["op"] for d in searched} == {"skip_connect"}
    assert "kept no edge" in arch.graph["derive_fallback"]

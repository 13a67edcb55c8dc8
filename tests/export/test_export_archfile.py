"""Architecture files checked before they are compiled: `dagnas train` on a
hand-edited architecture.json names the file and the node or edge at fault."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.engine.derive import block_architecture
from dagnas.errors import DagnasError
from dagnas.export import read_architecture, write_json
from dagnas.graph import to_json_dict
from dagnas.spec.lower import lower
from tests.export.spaces import derived, space


def _cycle(d: dict[str, Any]) -> None:
    d["edges"].append({"source": "normal:out", "target": "normal:2", "op": "skip_connect"})


def _width(d: dict[str, Any]) -> None:
    d["nodes"][3]["width"] = -3


def _unreached(d: dict[str, Any]) -> None:
    d["edges"] = [e for e in d["edges"] if e["target"] != "normal:out"]


EDITS: dict[str, tuple[Callable[[dict[str, Any]], Any], str]] = {
    "a cycle": (_cycle, "edges form a cycle"),
    "an unknown kind": (
        lambda d: d["graph"].update(kind="dartscell"),
        "graph.kind: unknown space kind 'dartscell'; did you mean 'darts_cell'?",
    ),
    "no edges": (lambda d: d.update(edges=[]), "edges: is empty"),
    "no graph key": (lambda d: d.pop("graph"), "graph: is missing"),
    "a negative width": (_width, "nodes[3] 'normal:3'.width: Input should be greater than 0"),
    "an unknown op": (
        lambda d: d["edges"][0].update(op="sep_conv_9x9"),
        "edges[0] 'normal:0'->'normal:2'.op: unknown op 'sep_conv_9x9'",
    ),
    "an unreached output": (_unreached, "no edge path leads from an input node to output node"),
    "no macro": (
        lambda d: d["graph"].pop("macro"),
        "graph.macro: is missing; a darts_cell network is built from it",
    ),
    "a macro without channels": (
        lambda d: d["graph"]["macro"].pop("channels"),
        "graph.macro.channels: is missing; a darts_cell network is built from it (dagnas"
        " derive RUN",
    ),
    "layers as a string": (
        lambda d: d["graph"]["macro"].update(layers="3"),
        "graph.macro.layers: Input should be a valid integer",
    ),
    "an unknown reduction type": (
        lambda d: d["graph"]["macro"].update(reduction_type="pool"),
        "graph.macro.reduction_type: Input should be 'cell' or 'resblock'",
    ),
}


def edited(tmp_path: Path, case: str) -> Path:
    arch = derived(space("darts_digits"), 0, (1, 8, 8))
    d = to_json_dict(arch)
    EDITS[case][0](d)
    path = tmp_path / "architecture.json"
    path.write_text(json.dumps(d))
    return path


@pytest.mark.parametrize("case", sorted(EDITS))
def test_read_architecture_names_file_and_place(tmp_path: Path, case: str) -> None:
    path = edited(tmp_path, case)
    with pytest.raises(DagnasError) as e:
        read_architecture(path)
    assert str(e.value).startswith(f"{path}: ") and EDITS[case][1] in str(e.value)


@pytest.mark.parametrize(
    "case", ["a cycle", "an unknown kind", "no edges", "a negative width", "layers as a string"]
)
def test_train_refuses_an_edited_file_cleanly(tmp_path: Path, case: str) -> None:
    path = edited(tmp_path, case)
    result = CliRunner().invoke(main, ["train", str(path), "--train-epochs", "1", "--out", "t"])
    assert result.exit_code == 1, result.output
    assert f"{path}: " in result.output and "Traceback" not in result.output


def test_a_written_architecture_reads_back_checked(tmp_path: Path) -> None:
    arch = derived(space("darts_digits"), 0, (1, 8, 8))
    assert sorted(read_architecture(write_json(arch, tmp_path / "a.json")).edges) == sorted(
        arch.edges
    )


def _dense() -> nx.DiGraph:
    blocks = {"s0": [(0, 1), (1, 3), (0, 2), (2, 3)]}
    return block_architecture(lower(space("dense_digits"), (1, 8, 8), 10), blocks)


@pytest.mark.parametrize(
    "make, edit, message",
    [
        (
            lambda: derived(space("mlp_dag"), 0, (64,)),
            lambda m: m.update(domain="audio"),
            "graph.macro.domain: Input should be 'image' or 'vector'",
        ),
        (
            _dense,
            lambda m: m["stages"][0].update(aggregate="max"),
            "graph.macro.stages[0].aggregate: Input should be 'sum' or 'mean'",
        ),
        (_dense, lambda m: m.update(stages=[]), "graph.macro.stages: List should have at least"),
    ],
)
def test_other_kinds_read_back_and_their_macros_are_checked(
    tmp_path: Path, make: Callable[[], nx.DiGraph], edit: Callable[[Any], Any], message: str
) -> None:
    arch = make()
    assert read_architecture(write_json(arch, tmp_path / "a.json")).graph == arch.graph
    d = to_json_dict(arch)
    edit(d["graph"]["macro"])
    (tmp_path / "b.json").write_text(json.dumps(d))
    with pytest.raises(DagnasError, match=re.escape(f"{tmp_path / 'b.json'}: {message}")):
        read_architecture(tmp_path / "b.json")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_a_non_finite_number_is_named_with_its_line(tmp_path: Path, value: float) -> None:
    d = to_json_dict(derived(space("darts_digits"), 0, (1, 8, 8)))
    edge = next(e for e in d["edges"] if "alpha" in e)
    edge["alpha"] = value
    path = tmp_path / "architecture.json"
    path.write_text(json.dumps(d, indent=1))  # Python writes NaN/Infinity, JSON has neither
    line = next(
        i for i, t in enumerate(path.read_text().splitlines(), 1) if "finity" in t or "NaN" in t
    )
    with pytest.raises(
        DagnasError, match=rf"^{re.escape(str(path))}:{line}: .* is not a JSON number"
    ):
        read_architecture(path)

"""A user's image folder searched and retrained end to end (read into memory once)."""

from __future__ import annotations

from pathlib import Path

import dagnas
from dagnas.spec import parse_spec
from tests.data.test_data_folder import write_pngs

CELL = """\
kind: darts_cell
name: folder_cell
channels: 4
layers: 2
nodes: 2
stem_multiplier: 1
ops: [none, skip_connect, max_pool_3x3, sep_conv_3x3]
search: {{data: "folder:{root}", epochs: 1, batch_size: 8, device: cpu}}
"""


def test_a_folder_of_pngs_is_searched_and_retrained(tmp_path: Path) -> None:
    root = tmp_path / "pictures"
    write_pngs(root)
    spec = parse_spec(CELL.format(root=root))
    out = dagnas.search(spec, max_steps=2)
    assert out.architecture.graph["input_shape"] == [3, 10, 10]
    result = dagnas.retrain(out.architecture, data=f"folder:{root}", epochs=1, batch_size=8)
    assert result["splits"] == {"train": 12, "val": 12, "test": 6}
    assert 0.0 <= result["test_acc"] <= 1.0

"""A small NB201 table and a fake run folder, written by hand for the look-up tests."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from dagnas.export.files import write_json
from dagnas.export.fixed import from_nb201
from tests.export.spaces import space


def uniform(op: str) -> str:
    """The NB201 string with ``op`` on every edge."""
    return "+".join("|" + "|".join(f"{op}~{i}" for i in range(j)) + "|" for j in (1, 2, 3))


CONV, SKIP = uniform("nor_conv_3x3"), uniform("skip_connect")
MIXED = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"
#: (arch, test accuracy, valid accuracy, seed) rows; CONV twice (two seeds)
ROWS = [(CONV, 94.0, 91.0, 0), (CONV, 93.0, 90.0, 1), (SKIP, 10.0, 9.0, 0), (MIXED, 80.5, 79.5, 0)]
SHAPE, CLASSES = (3, 8, 8), 10


def write_csv(path: Path, rows: list[tuple] = ROWS) -> Path:
    lines = ["arch_str,test_acc,valid_acc,seed"]
    lines += [f"{a},{t},{v},{s}" for a, t, v, s in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def write_run(folder: Path, epochs: list[str]) -> Path:
    """A run folder of spaces/nb201.yaml whose epoch e derived ``epochs[e]``:
    config.yaml, alpha.jsonl (the string's op weighted 0.6, the others 0.1) and
    architecture.json (the last epoch's)."""
    spec = space("nb201")
    folder.mkdir(parents=True, exist_ok=True)
    config = spec.model_dump(mode="json", by_alias=True)
    config.update(input_shape=list(SHAPE), num_classes=CLASSES)
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    lines = []
    for epoch, text in enumerate(epochs, start=1):
        arch = from_nb201(text, spec, SHAPE, CLASSES)
        weights = {}
        for _, _, d in arch.edges(data=True):
            if d.get("searched"):
                weights[d["key"]] = {op: 0.6 if op == d["op"] else 0.1 for op in spec.ops}
        lines.append(json.dumps({"epoch": epoch, "weights": weights}))
    (folder / "alpha.jsonl").write_text("\n".join(lines) + "\n")
    write_json(
        from_nb201(epochs[-1], spec, SHAPE, CLASSES, run=folder.name), folder / "architecture.json"
    )
    return folder

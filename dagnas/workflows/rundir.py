"""The run folder of a search: its layout, creating and loading one, its data.

A run folder holds ``config.yaml`` (the spec as validated, every default
filled in, with the data's input shape and class count), the loop's
``metrics.jsonl``, ``alpha.jsonl`` and ``checkpoint.pt`` (dense blocks add
``blocks.jsonl``), and the result: ``architecture.json`` / ``.graphml`` /
``.png`` and ``summary.json``. Every file reads without dagnas.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import networkx as nx
import yaml

from dagnas.data import DataSplits, load_dataset
from dagnas.engine.checkpoint import CHECKPOINT
from dagnas.errors import RunError
from dagnas.export import read_json
from dagnas.io import atomic_write_text
from dagnas.spec import SearchConfig
from dagnas.spec import load_space as load_space_file

CONFIG = "config.yaml"
SUMMARY = "summary.json"
ARCHITECTURE = "architecture.json"


def load_search_data(cfg: SearchConfig) -> DataSplits:
    """The dataset of a search config, split as its search splits it: the one way
    a search's data is loaded, so a re-derivation or a retraining sees the same."""
    return load_dataset(
        cfg.data, cfg.data_root, seed=cfg.seed, val_fraction=cfg.val_fraction, limit=cfg.data_limit
    )


def dump_spec(spec: Any) -> str:
    """The spec as YAML, every default written out."""
    return yaml.safe_dump(spec.model_dump(mode="json", by_alias=True), sort_keys=False)


def new_run_dir(spec: Any, out: str | Path | None) -> Path:
    """Create the folder ``out`` (default ``runs/NAME-TIME``) for a new run of ``spec``."""
    if out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{spec.name}-{stamp}"
    out = Path(out)
    if has_run(out):
        raise RunError(
            f"{out} already holds a run; continue it with `dagnas run --resume {out}`"
            " or choose another --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    return out


def has_run(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run that was started (a config or a checkpoint)."""
    return (run_dir / CHECKPOINT).exists() or (run_dir / CONFIG).exists()


def can_resume(run_dir: Path) -> bool:
    """Whether ``run_dir`` holds a run with a checkpoint to continue from."""
    return (run_dir / CHECKPOINT).exists() and (run_dir / CONFIG).exists()


def write_config(run_dir: Path, spec: Any, data: DataSplits) -> None:
    """Write ``config.yaml``: ``spec`` with the data's shape, so the run's graph can
    be rebuilt from the folder alone."""
    shapes = {"input_shape": list(data.input_shape), "num_classes": data.num_classes}
    atomic_write_text(run_dir / CONFIG, dump_spec(spec.model_copy(update=shapes)))


def load_run_spec(run_dir: Path) -> Any:
    """The spec a run folder was searched with."""
    if not (run_dir / CONFIG).exists():
        raise RunError(f"{run_dir} is not a run folder: {CONFIG} is missing")
    return load_space_file(run_dir / CONFIG)


def data_shape(spec: Any) -> tuple[tuple[int, ...], int]:
    """A run's input shape and class count: from its config, else from its data."""
    if spec.input_shape is None or spec.num_classes is None:  # a hand-made config
        data = load_search_data(spec.search)
        return tuple(data.input_shape), data.num_classes
    return tuple(spec.input_shape), spec.num_classes


def is_finished(run_dir: Path) -> bool:
    """Whether the search in ``run_dir`` wrote its result."""
    return (run_dir / SUMMARY).exists() and (run_dir / ARCHITECTURE).exists()


def read_result(run_dir: Path) -> tuple[dict[str, Any], nx.DiGraph]:
    """A finished run's summary and architecture."""
    return json.loads((run_dir / SUMMARY).read_text()), read_json(run_dir / ARCHITECTURE)

"""Retrain an architecture from scratch: the ``retrain`` verb and ``dagnas train``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx

from dagnas.data import DataSplits, load_dataset
from dagnas.export import read_architecture
from dagnas.export.fixed import from_genotype
from dagnas.spaces import load_space
from dagnas.training.retrain import TrainConfig
from dagnas.training.retrain import retrain as train_into
from dagnas.workflows.rundir import held
from dagnas.workflows.search import pick_device


def retrain(
    arch: nx.DiGraph | str | Path,
    data: str | DataSplits = "digits",
    *,
    data_root: str | Path | None = None,
    data_limit: int | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    **train: Any,
) -> dict[str, Any]:
    """Train ``arch`` (an Architecture or its node-link JSON file) from scratch on
    ``data`` (a dataset name, an ``.npz`` path, or loaded splits): on train ∪ val,
    scored on test.

    ``train`` sets :class:`~dagnas.training.retrain.TrainConfig` fields (``epochs``,
    ``batch_size``, ``lr``, ``seed``...). With ``out``, ``metrics.jsonl`` and
    ``result.json`` are written there (one process at a time); ``on_epoch`` gets
    each epoch's record. Returns the result: test accuracy and loss, parameters,
    FLOPs, wall time, the settings.
    """
    graph = arch if isinstance(arch, nx.DiGraph) else read_architecture(arch)
    cfg = TrainConfig(**train)
    if not isinstance(data, DataSplits):
        data = load_dataset(data, data_root, seed=cfg.seed, limit=data_limit)
    if out is None:
        return train_into(graph, data, None, cfg, pick_device(device), on_epoch)
    with held(Path(out)) as folder:
        return train_into(graph, data, folder, cfg, pick_device(device), on_epoch)


def genotype_architecture(
    genotype: str, space: str, data: str, options: dict[str, Any]
) -> tuple[nx.DiGraph, DataSplits]:
    """The architecture of a DARTS genotype (a preset name or its text) in the
    darts_cell ``space`` (a file or built-in name), sized for ``data``; pops the
    data options it used from ``options`` and returns the loaded splits too."""
    seed = options.get("seed", 0)
    splits = load_dataset(
        data, options.pop("data_root", None), seed=seed, limit=options.pop("data_limit", None)
    )
    arch = from_genotype(genotype, load_space(space), splits.input_shape, splits.num_classes)
    return arch, splits

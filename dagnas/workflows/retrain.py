"""Retrain an architecture from scratch: the ``retrain`` verb and ``dagnas train``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import networkx as nx

from dagnas.data import DataSplits, load_dataset
from dagnas.errors import DagnasError
from dagnas.export import read_architecture
from dagnas.export.fixed import from_genotype
from dagnas.spaces import load_space
from dagnas.training.protocols import Protocol, get_protocol, override
from dagnas.training.retrain import resume as resume_in
from dagnas.training.retrain import retrain as train_into
from dagnas.workflows.rundir import held
from dagnas.workflows.search import pick_device


def retrain(
    arch: nx.DiGraph | str | Path,
    data: str | DataSplits = "digits",
    *,
    protocol: str | Protocol | None = None,
    space: str | None = None,
    data_root: str | Path | None = None,
    data_limit: int | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """Train ``arch`` (an Architecture or its node-link JSON file; with ``space``,
    a DARTS genotype, a preset name or its text, filling that darts_cell space)
    from scratch on ``data`` (a dataset name, an ``.npz`` path, or loaded splits):
    on train ∪ val, scored on test.

    ``protocol``: a preset of :data:`~dagnas.training.PROTOCOLS` (``darts_cifar10``,
    ``nb201``, ``quick``) or a :class:`~dagnas.training.Protocol`; None: the plain
    defaults (the searched size, no augmentation). ``overrides`` set any of its
    fields (``epochs``, ``batch_size``, ``lr``, ``seed``, ``augment={"cutout": 16}``...).
    With ``out``, the retraining is kept in that folder (``model.pt``, a
    checkpoint per epoch for :func:`resume`, ``metrics.jsonl``, ``result.json``).
    Returns the result: test accuracy and loss, parameters, FLOPs, wall time,
    the split sizes, the protocol. ``on_epoch`` gets each epoch's record.
    """
    if isinstance(protocol, str):
        settings = get_protocol(protocol, **overrides)
    else:
        settings = override(protocol or Protocol(), **overrides)
    source = None
    if not isinstance(data, DataSplits):
        root = None if data_root is None else str(data_root)
        source = {"name": str(data), "root": root, "seed": settings.seed, "limit": data_limit}
        data = load_dataset(**source)
    if space is not None:
        if not isinstance(arch, str):
            raise DagnasError("with space=..., give the genotype as text or a preset name")
        graph = from_genotype(arch, load_space(space), data.input_shape, data.num_classes)
    else:
        graph = arch if isinstance(arch, nx.DiGraph) else read_architecture(arch)
    run = partial(train_into, graph, data, protocol=settings, device=pick_device(device))
    if out is None:
        return run(None, source=source, on_epoch=on_epoch)
    with held(Path(out)) as folder:  # one process at a time
        return run(folder, source=source, on_epoch=on_epoch)


def resume(
    folder: str | Path,
    device: str = "auto",
    *,
    epochs: int | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Continue the retraining kept in ``folder`` from its last checkpoint, on the
    data it recorded; its result, as :func:`retrain` returns it. ``epochs`` (at
    least the epochs done) extends it and is recorded in its ``config.json``."""
    with held(Path(folder)) as held_folder:  # not while another process trains there
        return resume_in(held_folder, epochs=epochs, device=pick_device(device), on_epoch=on_epoch)

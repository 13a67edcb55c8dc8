"""The folder of a retraining and the trained model file.

A retraining folder holds ``config.json`` (the protocol and where the data
came from), ``architecture.json`` (the architecture as trained, scaled up),
``metrics.jsonl`` (one line per epoch), ``checkpoint.pt`` (everything a
resumed retraining needs, rewritten atomically after every epoch), and at
the end ``model.pt`` and ``result.json``.

``model.pt`` is one ``torch.save`` dict, readable with
``torch.load(path, weights_only=True)``: ``state_dict`` (the network's
weights, the auxiliary head's included when the protocol has one),
``architecture`` (node-link JSON text) and ``protocol`` (a dict).
:func:`load_model` rebuilds the network from it in one call.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import networkx as nx
import torch
from pydantic import BaseModel, ValidationError

from dagnas.compile import ChildNet
from dagnas.errors import DagnasError, RunError
from dagnas.graph import from_json_dict, to_json_dict
from dagnas.io import atomic_write, atomic_write_json, strict_json
from dagnas.training.protocols import Protocol, issues

CONFIG = "config.json"
ARCHITECTURE = "architecture.json"
METRICS = "metrics.jsonl"
CHECKPOINT = "checkpoint.pt"
MODEL = "model.pt"
RESULT = "result.json"
FORMAT = "dagnas-model/1"


class TrainingConfig(BaseModel):
    """``config.json``: the protocol, where the data came from (the arguments of
    :func:`dagnas.data.load_dataset`; None: handed over in memory, so a resume
    needs it handed over again) and the data's name."""

    protocol: Protocol
    source: dict[str, Any] | None
    data: str

    def options(self) -> dict[str, Any]:
        """The settings by the names of :func:`dagnas.workflows.retrain.retrain`'s
        arguments (`dagnas train`'s options): the protocol's fields and the data's."""
        source = self.source or {}
        data = {
            "data": source.get("name", self.data),
            "data_root": source.get("root"),
            "data_limit": source.get("limit"),
        }
        return {**self.protocol.model_dump(), **data}


def write_config(folder: Path, config: TrainingConfig) -> Path:
    return atomic_write_json(folder / CONFIG, config.model_dump(mode="json"))


def read_config(folder: Path) -> TrainingConfig:
    """``config.json`` of a retraining folder that has a checkpoint to continue;
    RunError naming the file and the field when it cannot be read back."""
    path = folder / CONFIG
    if not path.exists() or not (folder / CHECKPOINT).exists():
        raise RunError(
            f"{folder} holds no retraining to continue ({CONFIG} or {CHECKPOINT}"
            " is missing); start one with `dagnas train ARCH --out FOLDER`"
        )
    try:
        return TrainingConfig.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as e:
        why = issues(e) if isinstance(e, ValidationError) else e.strerror or str(e)
        raise RunError(
            f"{path}: {why}; restore it, or start a new training with"
            " `dagnas train ARCH --out FOLDER`"
        ) from None


def holds_retraining(folder: Path) -> bool:
    return any((folder / f).exists() for f in (CONFIG, CHECKPOINT, MODEL, RESULT))


def new_train_dir(folder: Path) -> Path:
    """Create ``folder`` for a new retraining; RunError if it holds one already."""
    if holds_retraining(folder):
        raise RunError(
            f"{folder} already holds a retraining; continue it with"
            f" `dagnas train --resume {folder}` or choose another --out"
        )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _save(path: Path, obj: Any) -> Path:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return atomic_write(path, lambda f: f.write(buffer.getvalue()))


def _load(path: Path, what: str) -> dict[str, Any]:
    if not path.exists():
        raise RunError(f"{path}: no {what} here")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a torn or foreign file: say which
        raise RunError(f"{path}: not a readable {what}: {str(e).splitlines()[0]}") from None


def write_checkpoint(folder: Path, state: dict[str, Any]) -> Path:
    """Write ``checkpoint.pt`` atomically: a reader sees the old one or the new one."""
    return _save(folder / CHECKPOINT, state)


def read_checkpoint(folder: Path) -> dict[str, Any]:
    return _load(folder / CHECKPOINT, "retraining checkpoint")


def save_model(path: Path, model: ChildNet, arch: nx.DiGraph, protocol: dict[str, Any]) -> Path:
    """Write ``model``'s weights with its architecture and protocol to ``path``."""
    return _save(
        path,
        {
            "format": FORMAT,
            "state_dict": model.state_dict(),
            "architecture": strict_json(to_json_dict(arch)),
            "protocol": protocol,
        },
    )


def read_model(path: str | Path) -> dict[str, Any]:
    """The dict in ``model.pt`` (``path`` the file or a retraining folder)."""
    path = Path(path)
    if path.is_dir():
        path = path / MODEL
    saved = _load(path, "model file (model.pt)")
    if not isinstance(saved, dict) or saved.get("format") != FORMAT:
        raise DagnasError(f"{path}: not a dagnas model file (expected format {FORMAT})")
    return saved


def load_model(path: str | Path, device: torch.device | str = "cpu") -> ChildNet:
    """The trained network in ``path`` (``model.pt`` or its folder), on ``device``,
    in eval mode: ``load_model(p)(x)`` gives logits."""
    saved = read_model(path)
    arch = from_json_dict(json.loads(saved["architecture"]))
    model = ChildNet(arch, auxiliary=saved["protocol"].get("auxiliary_weight", 0) > 0)
    model.load_state_dict(saved["state_dict"])
    return model.to(device).eval()

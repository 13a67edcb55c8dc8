"""Retrain an Architecture from scratch as a standalone network.

The child network (:class:`dagnas.compile.ChildNet`) has no mixing and no
masks: one op per edge. It trains on the train and val splits together and
is scored on the test split.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import torch
from torch import nn

from dagnas.compile import ChildNet
from dagnas.data import DataSplits
from dagnas.engine.batches import Batches
from dagnas.errors import DagnasError
from dagnas.graph import canonical_hash
from dagnas.io import append_jsonl, atomic_write_json
from dagnas.measure.flops import count_macs
from dagnas.measure.params import graph_params
from dagnas.training.common import cosine_lr, eval_mode, evaluate_logits


@dataclass(frozen=True)
class TrainConfig:
    """Retraining hyperparameters (DARTS's evaluation defaults, shorter)."""

    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.025
    lr_min: float = 0.0
    momentum: float = 0.9
    weight_decay: float = 3e-4
    grad_clip: float = 5.0
    seed: int = 0


@dataclass
class TrainResult:
    test_acc: float
    test_loss: float
    params: int
    wall_time: float
    metrics: list[dict[str, Any]] = field(default_factory=list)


def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of ``model`` in eval mode."""
    with eval_mode(model):
        return evaluate_logits(model, x, y)


def train_architecture(
    arch: nx.DiGraph,
    data: DataSplits,
    cfg: TrainConfig = TrainConfig(),
    device: torch.device | str = "cpu",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train ``arch`` from scratch on train ∪ val; report test accuracy."""
    start = time.perf_counter()
    torch.manual_seed(cfg.seed)
    model = ChildNet(arch).to(device)
    x = torch.cat([data.train.tensors[0], data.val.tensors[0]]).to(device)
    y = torch.cat([data.train.tensors[1], data.val.tensors[1]]).to(device)
    x_test, y_test = (t.to(device) for t in data.test.tensors)
    batches = Batches(x, y, cfg.batch_size, cfg.seed)
    opt = torch.optim.SGD(
        model.parameters(), lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay
    )
    metrics = []
    for epoch in range(cfg.epochs):
        lr = cosine_lr(cfg.lr, cfg.lr_min, epoch, cfg.epochs)
        for group in opt.param_groups:
            group["lr"] = lr
        total = 0.0
        for _ in range(len(batches)):
            xb, yb = batches.next()
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(xb), yb)
            if loss.requires_grad:  # else no parameter reaches the output: nothing to train
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                opt.step()
            total += loss.item()
        test_loss, test_acc = evaluate(model, x_test, y_test)
        record = {
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": total / len(batches),
            "test_loss": test_loss,
            "test_acc": test_acc,
        }
        metrics.append(record)
        if on_epoch:
            on_epoch(record)
    test_loss, test_acc = evaluate(model, x_test, y_test)
    params = sum(p.numel() for p in model.parameters())
    return TrainResult(test_acc, test_loss, params, time.perf_counter() - start, metrics)


def check_compatible(arch: nx.DiGraph, data: DataSplits) -> None:
    """DagnasError unless ``ChildNet(arch)`` takes ``data``'s inputs and classes."""
    name, shape = data.name, tuple(data.input_shape)
    built = tuple(arch.graph.get("input_shape", ()))
    classes = arch.graph.get("num_classes")
    if classes != data.num_classes:
        raise DagnasError(
            f"the architecture has {classes} outputs but {name} has {data.num_classes} "
            "classes; train it on a dataset with as many classes, or sample it again for this one"
        )
    try:
        with torch.no_grad():
            ChildNet(arch).eval()(data.test.tensors[0][:1])
    except RuntimeError as e:
        raise DagnasError(
            f"the architecture was built for inputs of shape {built} and cannot take {name}'s "
            f"{shape}: {str(e).splitlines()[0]}; sample or search it again for {name}"
        ) from e


def retrain(
    arch: nx.DiGraph,
    data: DataSplits,
    out: Path | None,
    cfg: TrainConfig = TrainConfig(),
    device: torch.device | str = "cpu",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``arch`` from scratch into folder ``out`` (None: write nothing):
    ``metrics.jsonl`` (one line per epoch, rewritten) and ``result.json`` (returned):
    accuracy, parameters counted on the module and from the graph, FLOPs (MACs),
    wall time and the settings. ``on_epoch`` gets each ``metrics.jsonl`` record too."""
    check_compatible(arch, data)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "metrics.jsonl").unlink(missing_ok=True)

    def record(line: dict[str, Any]) -> None:
        if out is not None:
            append_jsonl(out / "metrics.jsonl", line)
        if on_epoch is not None:
            on_epoch(line)

    result = train_architecture(arch, data, cfg, device, record)
    summary = {
        "test_acc": result.test_acc,
        "test_loss": result.test_loss,
        "params": result.params,
        "graph_params": graph_params(arch),
        "flops": count_macs(ChildNet(arch), data.input_shape),
        "wall_time": result.wall_time,
        "data": data.name,
        "hash": canonical_hash(arch),
        "space": arch.graph.get("space"),
        "config": asdict(cfg),
    }
    if out is not None:
        atomic_write_json(out / "result.json", summary)
    return summary

"""Retrain an Architecture from scratch as a standalone network, by a protocol.

The child network (:class:`dagnas.compile.ChildNet`) has no mixing and no
masks: one op per edge. It trains on the train and val splits together and
is scored on the test split. A :class:`~dagnas.training.protocols.Protocol`
says how (size, optimiser, augmentation, drop-path, auxiliary head,
precision); :class:`TrainConfig` is the short form the candidate farm and
``compare`` use (no augmentation, the searched size). :func:`retrain` keeps
the result in a folder (:mod:`dagnas.training.files`); :func:`resume`
continues one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import torch
from torch import nn

from dagnas.accel import Accelerated
from dagnas.compile import ChildNet
from dagnas.compile.darts import DartsNetwork
from dagnas.data import DataSplits, augment_batch, load_dataset, materialise
from dagnas.engine.batches import Batches
from dagnas.errors import DagnasError, RunError
from dagnas.export import read_json, write_json
from dagnas.graph import canonical_hash
from dagnas.io import append_jsonl, atomic_write_json, atomic_write_text, strict_json
from dagnas.measure.flops import count_macs
from dagnas.measure.params import graph_params
from dagnas.training import files
from dagnas.training.common import cosine_lr, eval_mode, evaluate_logits
from dagnas.training.files import (
    TrainingConfig,
    new_train_dir,
    read_checkpoint,
    read_config,
    save_model,
    write_checkpoint,
    write_config,
)
from dagnas.training.protocols import Protocol, override
from dagnas.training.scale import scale_architecture
from dagnas.training.threads import use_threads_for


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


class Retraining:
    """One retraining in progress: the network, its optimiser, the batch stream,
    the augmentation's random draws and the epochs done; ``state_dict()`` /
    ``load_state_dict()`` let it continue exactly after a restart.

    The network is ``arch`` scaled to the protocol's ``channels``/``layers``
    (:attr:`arch`), with DARTS's auxiliary head when ``auxiliary_weight`` > 0.
    """

    def __init__(
        self,
        arch: nx.DiGraph,
        data: DataSplits,
        protocol: Protocol,
        device: torch.device | str = "cpu",
    ):
        cfg = self.protocol = protocol
        data = materialise(data)  # an image folder's files, read once into tensors
        torch.manual_seed(cfg.seed)
        self.arch = scale_architecture(arch, cfg.channels, cfg.layers)
        self.model = ChildNet(self.arch, auxiliary=cfg.auxiliary_weight > 0).to(device)
        use_threads_for(self.model, data.input_shape, cfg.batch_size)
        self.accel = Accelerated(self.model, cfg.accel, device)
        x = torch.cat([data.train.tensors[0], data.val.tensors[0]]).to(device)
        y = torch.cat([data.train.tensors[1], data.val.tensors[1]]).to(device)
        self.test = tuple(t.to(device) for t in data.test.tensors)
        self.batches = Batches(x, y, cfg.batch_size, cfg.seed)
        self.opt = torch.optim.SGD(
            self.model.parameters(),
            lr=cfg.lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
            nesterov=cfg.nesterov,
        )
        self.fill = augment_fill(data, cfg)
        self.draws = torch.Generator(device=device).manual_seed(cfg.seed)
        self.epoch, self.elapsed = 0, 0.0
        self.metrics: list[dict[str, Any]] = []

    @property
    def done(self) -> bool:
        return self.epoch >= self.protocol.epochs

    def _loss(self, xb: torch.Tensor, yb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the loss to minimise, the network's own cross-entropy) on one batch."""
        weight = self.protocol.auxiliary_weight
        with self.accel.autocast():
            if weight > 0:
                logits, aux = self.accel.forward(xb, aux=True)
                loss = nn.functional.cross_entropy(logits, yb)
                return loss + weight * nn.functional.cross_entropy(aux, yb), loss
            loss = nn.functional.cross_entropy(self.accel.forward(xb), yb)
            return loss, loss

    def train_step(self, xb: torch.Tensor, yb: torch.Tensor) -> float:
        """One optimiser step on a batch, augmented; the network's cross-entropy."""
        aug = self.protocol.augment
        xb = self.accel.inputs(augment_batch(xb, aug, fill=self.fill, generator=self.draws))
        self.opt.zero_grad(set_to_none=True)
        loss, own = self._loss(xb, yb)
        if loss.requires_grad:  # else no parameter reaches the output: nothing to train
            clip = self.protocol.grad_clip
            self.accel.backward(loss, self.opt, self.model.parameters(), clip)
        return own.item()

    def run_epoch(self) -> dict[str, Any]:
        """Train one epoch and, every ``eval_every`` epochs and at the last, score the
        test split; the epoch's record."""
        start, cfg, epoch = time.perf_counter(), self.protocol, self.epoch
        lr = cosine_lr(cfg.lr, cfg.lr_min, epoch, cfg.epochs)
        for group in self.opt.param_groups:
            group["lr"] = lr
        drop = cfg.drop_path * epoch / cfg.epochs
        self.model.set_drop_path(drop)
        total = 0.0
        for _ in range(len(self.batches)):
            total += self.train_step(*self.batches.next())
        record = {"epoch": epoch + 1, "lr": lr, "train_loss": total / len(self.batches)}
        if (epoch + 1) % cfg.eval_every == 0 or epoch + 1 == cfg.epochs:
            with self.accel.autocast():
                record["test_loss"], record["test_acc"] = evaluate(self.model, *self.test)
        if cfg.drop_path > 0:
            record["drop_path"] = drop
        self.epoch += 1
        self.elapsed += time.perf_counter() - start
        self.metrics.append(record)
        return record

    def result(self) -> TrainResult:
        last = self.metrics[-1]
        return TrainResult(
            last["test_acc"], last["test_loss"], net_params(self.model), self.elapsed, self.metrics
        )

    def state_dict(self) -> dict[str, Any]:
        """Everything a restart needs, as tensors and plain values."""
        return {
            "model": self.model.state_dict(),
            "opt": self.opt.state_dict(),
            "scaler": self.accel.scaler.state_dict(),
            "batches": self.batches.state_dict(),
            "draws": self.draws.get_state(),
            "rng_torch": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "epoch": self.epoch,
            "elapsed": self.elapsed,
            "metrics": json.dumps(self.metrics),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.accel.scaler.load_state_dict(state["scaler"])
        self.batches.load_state_dict(state["batches"])
        self.draws.set_state(state["draws"])
        torch.set_rng_state(state["rng_torch"])
        if state["rng_cuda"] and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng_cuda"])
        self.epoch, self.elapsed = state["epoch"], state["elapsed"]
        self.metrics = json.loads(state["metrics"])


def augment_fill(data: DataSplits, protocol: Protocol) -> tuple[float, ...]:
    """The crop's padding for ``data``: a black pixel; DagnasError when the
    protocol augments data that are not images."""
    if protocol.augment.enabled and len(data.input_shape) != 3:
        raise DagnasError(
            f"{data.name} holds vectors of shape {tuple(data.input_shape)}, not images, so"
            f" they cannot be augmented ({protocol.augment!r}); retrain without"
            " augmentation (augment={'crop': 0, 'flip': False, 'cutout': 0})"
        )
    return data.black or (0.0,)


def net_params(model: ChildNet) -> int:
    """Parameters of the network as evaluated: the auxiliary head's not counted."""
    aux = model.body.aux_head if isinstance(model.body, DartsNetwork) else None
    own = sum(p.numel() for p in model.parameters())
    return own - (sum(p.numel() for p in aux.parameters()) if aux is not None else 0)


def as_protocol(cfg: TrainConfig | Protocol) -> Protocol:
    return cfg if isinstance(cfg, Protocol) else Protocol(**asdict(cfg))


def train_architecture(
    arch: nx.DiGraph,
    data: DataSplits,
    cfg: TrainConfig | Protocol = TrainConfig(),
    device: torch.device | str = "cpu",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> TrainResult:
    """Train ``arch`` from scratch on train ∪ val; report test accuracy."""
    run = Retraining(arch, data, as_protocol(cfg), device)
    while not run.done:
        record = run.run_epoch()
        if on_epoch:
            on_epoch(record)
    return run.result()


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
    out: Path | None = None,
    protocol: TrainConfig | Protocol = TrainConfig(),
    *,
    device: torch.device | str = "cpu",
    source: dict[str, Any] | None = None,
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train ``arch`` from scratch by ``protocol`` (a :class:`TrainConfig` is the
    protocol of its fields) on ``data`` and return the result:
    test accuracy and loss, parameters counted on the network and from the graph,
    FLOPs (MACs), wall time, the sizes of the splits, the protocol.

    With ``out`` (a new folder, or one without a retraining), it is written there
    as :mod:`dagnas.training.files` lays out, a checkpoint after every epoch;
    ``source`` (the keyword arguments of :func:`dagnas.data.load_dataset` that
    gave ``data``) lets :func:`resume` reload the data by itself.
    """
    data = materialise(data)
    check_compatible(arch, data)
    run = Retraining(arch, data, as_protocol(protocol), device)
    if out is not None:
        new_train_dir(out)
        write_config(out, TrainingConfig(protocol=run.protocol, source=source, data=data.name))
        write_json(run.arch, out / files.ARCHITECTURE)
        (out / files.METRICS).unlink(missing_ok=True)
    return _finish(run, data, out, on_epoch)


def resume(
    folder: Path,
    data: DataSplits | None = None,
    *,
    epochs: int | None = None,
    device: torch.device | str = "cpu",
    on_epoch: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Continue the retraining in ``folder`` from its last checkpoint; its data
    reloaded from the recorded source unless ``data`` is given. ``epochs`` (at
    least the epochs done) replaces the recorded epochs, in ``config.json`` too:
    more extend the training."""
    if (folder / files.RESULT).exists():
        raise RunError(f"the retraining in {folder} has finished: its result is in {files.RESULT}")
    config = read_config(folder)
    protocol = config.protocol if epochs is None else override(config.protocol, epochs=epochs)
    if data is None:
        if config.source is None:
            raise RunError(
                f"{folder}/{files.CONFIG} does not say where its data came from;"
                " pass the data to resume() yourself"
            )
        data = load_dataset(**config.source)
    # architecture.json is scaled already: scaling it again changes nothing
    run = Retraining(read_json(folder / files.ARCHITECTURE), data, protocol, device)
    run.load_state_dict(read_checkpoint(folder))
    if run.epoch > protocol.epochs:
        raise RunError(
            f"--train-epochs {protocol.epochs} is fewer than the {run.epoch} epochs {folder}"
            f" has done; give at least {run.epoch} (more extends the training)"
        )
    write_config(folder, config.model_copy(update={"protocol": protocol}))
    lines = "".join(strict_json(r) + "\n" for r in run.metrics)
    atomic_write_text(folder / files.METRICS, lines)  # cut back to the checkpoint's epoch
    return _finish(run, data, folder, on_epoch)


def _finish(
    run: Retraining,
    data: DataSplits,
    out: Path | None,
    on_epoch: Callable[[dict[str, Any]], None] | None,
) -> dict[str, Any]:
    """Run the remaining epochs (checkpointing into ``out``) and write the result."""
    while not run.done:
        record = run.run_epoch()
        if out is not None:
            append_jsonl(out / files.METRICS, record)
            write_checkpoint(out, run.state_dict())
        if on_epoch:
            on_epoch(record)
    summary = summarise(run, data)
    if out is not None:
        save_model(out / files.MODEL, run.model, run.arch, run.protocol.model_dump())
        atomic_write_json(out / files.RESULT, summary)
    return summary


def summarise(run: Retraining, data: DataSplits) -> dict[str, Any]:
    """The result of a finished retraining, as ``result.json`` holds it."""
    result = run.result()
    return {
        "test_acc": result.test_acc,
        "test_loss": result.test_loss,
        "params": result.params,
        "graph_params": graph_params(run.arch),
        "flops": count_macs(ChildNet(run.arch), data.input_shape),
        "wall_time": result.wall_time,
        "data": data.name,
        "splits": data.sizes(),
        "trained_on": ["train", "val"],
        "hash": canonical_hash(run.arch),
        "space": run.arch.graph.get("space"),
        "protocol": run.protocol.model_dump(),
    }

"""The bilevel loop shared by every space and method.

Per minibatch: the relaxation's ``new_minibatch`` hook (hypernet draws λ);
if the schedule says so, one architecture step on a val batch
(hypergradient, optimizer step, the relaxation's projection, regularizer
updates); then one weight step on a train batch (SGD, gradient clipping).
Per epoch: cosine learning rate, evaluation on the val split, one line
of metrics, the α history, the supernet's end-of-phase hook (dense blocks
resample there and log ``blocks.jsonl``), and an atomic checkpoint when a run
folder is given.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dagnas.compile import Supernet
from dagnas.relax import Mixing
from dagnas.search.batches import Batch, Batches
from dagnas.search.checkpoint import load_checkpoint, save_checkpoint
from dagnas.search.components import HYPERGRADIENTS, REGULARIZERS, SCHEDULES
from dagnas.search.hypergrad import Objective
from dagnas.spec import SearchConfig

log = logging.getLogger(__name__)
StepHook = Callable[[dict[str, Any]], None]


@dataclass
class SearchResult:
    """What a search leaves: the trained supernet, its final mixing weights, metrics."""

    model: Supernet
    weights: Mixing
    metrics: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0


def mixing_table(model: Supernet, weights: Mixing) -> dict[str, dict[str, float]]:
    """``{choice key: {op: weight}}`` as plain floats."""
    choices = model.relaxation.choices
    return {k: dict(zip(choices[k], w.tolist(), strict=True)) for k, w in weights.items()}


def zero_fraction(weights: Mixing) -> float:
    total = sum(w.numel() for w in weights.values())
    return sum(int((w == 0).sum()) for w in weights.values()) / max(total, 1)


class Searcher:
    """One search: owns the optimizers, schedule, batches and progress counters."""

    def __init__(
        self,
        model: Supernet,
        train: Batch,
        val: Batch,
        cfg: SearchConfig,
        run_dir: Path | None = None,
        on_step: StepHook | None = None,
    ):
        self.model, self.cfg, self.run_dir, self.on_step = model, cfg, run_dir, on_step
        self.train = Batches(*train, cfg.batch_size, cfg.seed)
        self.val = Batches(*val, cfg.batch_size, cfg.seed + 1)
        n_eval = cfg.eval_samples or (cfg.max_steps * cfg.batch_size if cfg.max_steps else None)
        self.val_all = (val[0][:n_eval], val[1][:n_eval]) if n_eval else val
        w, a = cfg.weights, cfg.arch
        self.w_opt = torch.optim.SGD(
            model.weights(), lr=w.lr, momentum=w.momentum, weight_decay=w.weight_decay
        )
        if a.optimizer == "adam":
            self.a_opt: torch.optim.Optimizer = torch.optim.Adam(
                model.arch_parameters(), lr=a.lr, betas=a.betas, weight_decay=a.weight_decay
            )
        else:
            self.a_opt = torch.optim.SGD(
                model.arch_parameters(), lr=a.lr, weight_decay=a.weight_decay
            )
        self.schedule = SCHEDULES.get(cfg.schedule.name)(**cfg.schedule.options)
        regs = [REGULARIZERS.get(r.name)(**r.options) for r in cfg.regularizers]
        self.objective = Objective(model, regs)
        self.hypergradient = HYPERGRADIENTS.get(cfg.hypergradient.name)
        self.epoch, self.step = 0, 0
        self.acc = self._fresh()
        self.metrics: list[dict[str, Any]] = []

    @staticmethod
    def _fresh() -> dict[str, float]:
        return {"batches": 0, "loss": 0.0, "correct": 0, "seen": 0, "arch_steps": 0, "time": 0.0}

    @property
    def total_steps(self) -> int:
        steps = self.cfg.epochs * len(self.train)
        return min(steps, self.cfg.max_steps) if self.cfg.max_steps else steps

    def lr(self) -> float:
        """DARTS's per-epoch cosine annealing from lr to lr_min."""
        w = self.cfg.weights
        return w.lr_min + 0.5 * (w.lr - w.lr_min) * (
            1 + math.cos(math.pi * self.epoch / self.cfg.epochs)
        )

    def run(self) -> SearchResult:
        while self.epoch < self.cfg.epochs and self.step < self.total_steps:
            lr = self.lr()
            for group in self.w_opt.param_groups:
                group["lr"] = lr
            while self.acc["batches"] < len(self.train) and self.step < self.total_steps:
                self.progress = (
                    self.epoch + self.acc["batches"] / len(self.train)
                ) / self.cfg.epochs
                self.model.relaxation.set_progress(self.progress)
                self.objective.progress = self.progress
                self._one_step(lr)
                every = self.cfg.checkpoint_every
                if self.run_dir and every and self.step % every == 0:
                    save_checkpoint(self, self.run_dir)
            self._end_epoch(lr)
        weights = self.model.relaxation.final()
        return SearchResult(self.model, weights, self.metrics, self.step)

    def _one_step(self, lr: float) -> None:
        start = time.perf_counter()
        model, train = self.model, self.train.next()
        model.relaxation.new_minibatch()
        stepped = self.schedule.arch_step_due()
        if stepped:
            self.a_opt.zero_grad(set_to_none=True)
            self.hypergradient(self.objective, train, self.val.next(), lr)
            self.a_opt.step()
            model.relaxation.project()
            for reg in self.objective.regularizers:
                reg.after_arch_step(model)
        self.w_opt.zero_grad(set_to_none=True)
        mixing = {k: v.detach() for k, v in model.relaxation().items()}
        logits = model(train[0], mixing)
        loss = nn.functional.cross_entropy(logits, train[1])
        if loss.requires_grad:  # False when a sampled architecture reaches no weight
            loss.backward()
        clip = self.cfg.weights.grad_clip
        norm = nn.utils.clip_grad_norm_(model.weights(), clip if clip else math.inf)
        self.w_opt.step()
        model.relaxation.after_weight_step()
        self.schedule.observe(float(norm) ** 2, stepped)
        n = len(train[1])
        a = self.acc
        a["batches"] += 1
        a["loss"] += loss.item() * n
        a["correct"] += int((logits.argmax(1) == train[1]).sum())
        a["seen"] += n
        a["arch_steps"] += int(stepped)
        a["time"] += time.perf_counter() - start
        self.step += 1
        if self.on_step:
            self.on_step(
                {
                    "step": self.step,
                    "total": self.total_steps,
                    "loss": loss.item(),
                    "epoch": self.epoch,
                }
            )

    @torch.no_grad()
    def evaluate(self, data: Batch, weights: Mixing | None = None) -> tuple[float, float]:
        """(mean loss, accuracy) of the supernet in eval mode on ``data``."""
        self.model.eval()
        weights = self.model.relaxation.final() if weights is None else weights
        loss, correct = 0.0, 0
        for x, y in zip(data[0].split(1024), data[1].split(1024), strict=True):
            logits = self.model(x, weights)
            loss += nn.functional.cross_entropy(logits, y, reduction="sum").item()
            correct += int((logits.argmax(1) == y).sum())
        self.model.train()
        n = max(len(data[1]), 1)
        return loss / n, correct / n

    def _end_epoch(self, lr: float) -> None:
        a = self.acc
        arch_total = a["arch_steps"] + sum(m["arch_steps"] for m in self.metrics)
        weight_total = a["batches"] + sum(m["weight_steps"] for m in self.metrics)
        weights = self.model.relaxation.final()
        val_loss, val_acc = self.evaluate(self.val_all, weights)
        record = {
            "epoch": self.epoch + 1,
            "step": self.step,
            "lr": lr,
            "train_loss": a["loss"] / max(a["seen"], 1),
            "train_acc": a["correct"] / max(a["seen"], 1),
            "val_loss": val_loss,
            "val_acc": val_acc,
            "weight_steps": a["batches"],
            "arch_steps": a["arch_steps"],
            "arch_step_ratio": arch_total / max(weight_total, 1),  # cumulative, whole run
            "step_time": a["time"] / max(a["batches"], 1),
            "epoch_time": a["time"],
            "zero_fraction": zero_fraction(weights),
        }
        self.metrics.append(record)
        log.info("epoch %d: %s", self.epoch + 1, record)
        self.epoch += 1
        self.acc = self._fresh()
        final = self.epoch >= self.cfg.epochs or self.step >= self.total_steps
        history = self.model.end_phase(weights, self.epoch, final)
        if self.run_dir:
            from dagnas.io import append_jsonl

            append_jsonl(self.run_dir / "metrics.jsonl", record)
            append_jsonl(
                self.run_dir / "alpha.jsonl",
                {"epoch": self.epoch, "weights": mixing_table(self.model, weights)},
            )
            for name, line in history.items():
                append_jsonl(self.run_dir / f"{name}.jsonl", line)
            save_checkpoint(self, self.run_dir)

    def resume(self) -> bool:
        """Continue from ``run_dir/checkpoint.pt`` if there is one."""
        return bool(self.run_dir) and load_checkpoint(self, self.run_dir)

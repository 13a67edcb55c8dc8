"""The bilevel loop shared by every space and method.

Per minibatch: the relaxation's ``new_minibatch`` hook (hypernet draws λ);
if the schedule says so, one architecture step on a val batch
(hypergradient, optimizer step, the relaxation's projection, regularizer
updates); then one weight step on a train batch (SGD, gradient clipping).
Per epoch: cosine learning rate, evaluation on the val split, one line
of metrics, the α history, the supernet's end-of-phase hook (dense blocks
resample there and log ``blocks.jsonl``), and an atomic checkpoint when a run
folder is given.

After each step: a loss, gradient norm or α that is not finite rolls the
search back to its last checkpoint with lower learning rates
(``search.on_divergence``), or stops it with a :class:`RunError`; a stop
request (Ctrl-C) ends the search after the step, with a checkpoint. In a
data-parallel run (:mod:`dagnas.search.distributed`) every rank runs this
loop on its shard of each batch, and the ranks agree on both decisions.
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
from dagnas.errors import RunError
from dagnas.io import append_jsonl
from dagnas.relax import Mixing
from dagnas.search.batches import Batch, Batches
from dagnas.search.checkpoint import (
    CHECKPOINT,
    Stateful,
    load_checkpoint,
    restore_snapshot,
    save_checkpoint,
    snapshot,
    tidy_run_dir,
)
from dagnas.search.components import HYPERGRADIENTS, REGULARIZERS, SCHEDULES
from dagnas.search.distributed import Dist, current
from dagnas.search.hypergrad import Objective
from dagnas.spec import SearchConfig

log = logging.getLogger(__name__)
StepHook = Callable[[dict[str, Any]], None]
#: What a divergence code (the guard's flag) names, in the error and the log.
DIVERGED = {
    1: "the training loss",
    2: "the weight gradient norm",
    3: "the architecture loss",
    4: "the architecture parameters (α)",
}


@dataclass
class SearchResult:
    """What a search leaves: the trained supernet, its final mixing weights, metrics."""

    model: Supernet
    weights: Mixing
    metrics: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0
    #: stopped early on request (Ctrl-C); a checkpoint holds where it stopped
    interrupted: bool = False
    #: times the divergence guard rolled the search back
    rollbacks: int = 0


def mixing_table(model: Supernet, weights: Mixing) -> dict[str, dict[str, float]]:
    """``{choice key: {op: weight}}`` as plain floats."""
    choices = model.relaxation.choices
    return {k: dict(zip(choices[k], w.tolist(), strict=True)) for k, w in weights.items()}


def zero_fraction(weights: Mixing) -> float:
    total = sum(w.numel() for w in weights.values())
    return sum(int((w == 0).sum()) for w in weights.values()) / max(total, 1)


class Searcher:
    """One search: owns the optimizers, schedule, batches and progress counters.

    ``components`` holds every stateful part the checkpoint saves besides the
    model and optimizers (schedule, regularizers; add a sampler there).
    ``should_stop`` is polled after each step. ``dist`` defaults to the
    running process group, if any.
    """

    def __init__(
        self,
        model: Supernet,
        train: Batch,
        val: Batch,
        cfg: SearchConfig,
        run_dir: Path | None = None,
        on_step: StepHook | None = None,
        *,
        should_stop: Callable[[], bool] | None = None,
        dist: Dist | None = None,
    ):
        self.model, self.cfg, self.run_dir, self.on_step = model, cfg, run_dir, on_step
        self.should_stop, self.dist = should_stop, dist or current()
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
        self.objective = Objective(model, regs, reduce=self.dist.average)
        self.hypergradient = HYPERGRADIENTS.get(cfg.hypergradient.name)
        self.components: dict[str, Stateful] = {"schedule": self.schedule}
        self.components.update({f"regularizer{i}": r for i, r in enumerate(regs)})
        self.epoch, self.step = 0, 0
        self.acc = self._fresh()
        self.metrics: list[dict[str, Any]] = []
        self.lr_scale, self.rollbacks, self.diverged = 1.0, 0, 0
        self.interrupted = False
        self._snapshot: bytes | None = None

    @staticmethod
    def _fresh() -> dict[str, float]:
        return {"batches": 0, "loss": 0.0, "correct": 0, "seen": 0, "arch_steps": 0, "time": 0.0}

    @property
    def total_steps(self) -> int:
        steps = self.cfg.epochs * len(self.train)
        return min(steps, self.cfg.max_steps) if self.cfg.max_steps else steps

    def lr(self) -> float:
        """DARTS's per-epoch cosine annealing from lr to lr_min (times the guard's scale)."""
        w = self.cfg.weights
        cosine = w.lr_min + 0.5 * (w.lr - w.lr_min) * (
            1 + math.cos(math.pi * self.epoch / self.cfg.epochs)
        )
        return cosine * self.lr_scale

    def run(self) -> SearchResult:
        self.dist.broadcast(list(self.model.state_dict().values()))  # rank 0's weights
        if self.run_dir is None or not (self.run_dir / CHECKPOINT).exists():
            self._save()  # the first rollback point
        while (
            not self.interrupted and self.epoch < self.cfg.epochs and self.step < self.total_steps
        ):
            while self.acc["batches"] < len(self.train) and self.step < self.total_steps:
                self._one_step()
                if self._end_step():
                    break
            if not self.interrupted:
                self._end_epoch()
        weights = self.model.relaxation.final()
        return SearchResult(
            self.model, weights, self.metrics, self.step, self.interrupted, self.rollbacks
        )

    def _one_step(self) -> None:
        start = time.perf_counter()
        model, cfg = self.model, self.cfg
        self.progress = (self.epoch + self.acc["batches"] / len(self.train)) / cfg.epochs
        model.relaxation.set_progress(self.progress)
        self.objective.progress = self.progress
        lr = self.lr()
        for group in self.w_opt.param_groups:
            group["lr"] = lr
        train = self.dist.shard(self.train.next())
        model.relaxation.new_minibatch()
        stepped = self.schedule.arch_step_due()
        if stepped:
            self.a_opt.zero_grad(set_to_none=True)
            arch_loss = self.hypergradient(
                self.objective, train, self.dist.shard(self.val.next()), lr
            )
            self.dist.average_grads(model.arch_parameters())
            self.a_opt.step()
            model.relaxation.project()
            for reg in self.objective.regularizers:
                reg.after_arch_step(model)
            self._check(arch_loss, 3)
            finite = [p.detach().isfinite().all() for p in model.arch_parameters()]
            if finite and not bool(torch.stack(finite).all()):  # one sync
                self._flag(4)
        self.w_opt.zero_grad(set_to_none=True)
        mixing = {k: v.detach() for k, v in model.relaxation().items()}
        logits = model(train[0], mixing)
        loss = nn.functional.cross_entropy(logits, train[1])
        self.last_loss = loss.item()
        self._check(self.last_loss, 1)
        if loss.requires_grad:  # False when a sampled architecture reaches no weight
            loss.backward()
        self.dist.average_grads(model.weights())
        clip = cfg.weights.grad_clip
        norm = float(nn.utils.clip_grad_norm_(model.weights(), clip if clip else math.inf))
        self._check(norm, 2)
        self.w_opt.step()
        model.relaxation.after_weight_step()
        self.schedule.observe(norm**2, stepped)
        n = len(train[1])
        a = self.acc
        a["batches"] += 1
        a["loss"] += self.last_loss * n
        a["correct"] += int((logits.argmax(1) == train[1]).sum())
        a["seen"] += n
        a["arch_steps"] += int(stepped)
        a["time"] += time.perf_counter() - start
        self.step += 1

    def _check(self, value: float, code: int) -> None:
        if not math.isfinite(value):
            self._flag(code)

    def _flag(self, code: int) -> None:
        """Note that what ``code`` names diverged (the first thing only)."""
        self.diverged = self.diverged or code

    def _end_step(self) -> bool:
        """Agree with the other ranks on rolling back and on stopping; checkpoint.

        True when the search stops here.
        """
        stop = bool(self.should_stop and self.should_stop())
        agreed = self.dist.agree([float(stop), float(self.diverged)], self.model.arch_parameters())
        if agreed[1]:
            self._roll_back(int(agreed[1]))
            return False
        if self.on_step:
            info = {"step": self.step, "total": self.total_steps, "epoch": self.epoch}
            self.on_step({**info, "loss": self.last_loss})
        every = self.cfg.checkpoint_every
        if agreed[0] or (every and self.step % every == 0):
            self._save()
        self.interrupted = bool(agreed[0])
        return self.interrupted

    def _save(self) -> None:
        """A rollback point: the checkpoint file (rank 0 writes it), or memory without a folder."""
        if self.run_dir is None:
            self._snapshot = snapshot(self)
        elif self.dist.is_main:
            save_checkpoint(self, self.run_dir)

    def _roll_back(self, code: int) -> None:
        """Back to the last rollback point with lower learning rates, or RunError."""
        guard = self.cfg.on_divergence
        what = f"{DIVERGED[code]} became non-finite at step {self.step} (epoch {self.epoch + 1})"
        if self.rollbacks >= guard.retries:
            n = self.rollbacks
            tried = f" after {n} rollback(s) with lower learning rates" if n else ""
            raise RunError(
                f"the search diverged: {what}{tried}. Lower search.weights.lr or search.arch.lr,"
                " or allow more search.on_divergence.retries; the last checkpoint is intact"
            )
        rollbacks, scale = self.rollbacks + 1, self.lr_scale * guard.lr_factor
        if self._snapshot is not None:
            restore_snapshot(self, self._snapshot)
        elif self.run_dir is not None:
            load_checkpoint(self, self.run_dir)
        for group in self.a_opt.param_groups:  # loaded at the old scale
            group["lr"] *= scale / self.lr_scale
        self.rollbacks, self.lr_scale, self.diverged = rollbacks, scale, 0
        log.warning(
            "%s; rolled back to step %d with the learning rates x%g (rollback %d of %d)",
            what,
            self.step,
            scale,
            rollbacks,
            guard.retries,
        )

    @torch.no_grad()
    def evaluate(self, data: Batch, weights: Mixing | None = None) -> tuple[float, float]:
        """(mean loss, accuracy) of the supernet in eval mode on ``data``.

        In a data-parallel run every rank scores its share and all must call it.
        """
        self.model.eval()
        weights = self.model.relaxation.final() if weights is None else weights
        x, y = self.dist.part(data)
        loss, correct = 0.0, 0
        for xb, yb in zip(x.split(1024), y.split(1024), strict=True):
            logits = self.model(xb, weights)
            loss += nn.functional.cross_entropy(logits, yb, reduction="sum").item()
            correct += int((logits.argmax(1) == yb).sum())
        self.model.train()
        loss, correct = self.dist.total([loss, correct])
        n = max(len(data[1]), 1)
        return loss / n, correct / n

    def _end_epoch(self) -> None:
        a = self.acc
        arch_total = a["arch_steps"] + sum(m["arch_steps"] for m in self.metrics)
        weight_total = a["batches"] + sum(m["weight_steps"] for m in self.metrics)
        loss, correct, seen = self.dist.total([a["loss"], a["correct"], a["seen"]])
        self.dist.broadcast(list(self.model.buffers()))  # rank 0's BatchNorm statistics
        weights = self.model.relaxation.final()
        val_loss, val_acc = self.evaluate(self.val_all, weights)
        record = {
            "epoch": self.epoch + 1,
            "step": self.step,
            "lr": self.lr(),
            "train_loss": loss / max(seen, 1),
            "train_acc": correct / max(seen, 1),
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
        if self.run_dir and self.dist.is_main:
            append_jsonl(self.run_dir / "metrics.jsonl", record)
            append_jsonl(
                self.run_dir / "alpha.jsonl",
                {"epoch": self.epoch, "weights": mixing_table(self.model, weights)},
            )
            for name, line in history.items():
                append_jsonl(self.run_dir / f"{name}.jsonl", line)
        self._save()

    def resume(self) -> bool:
        """Continue from ``run_dir/checkpoint.pt`` if there is one; the run folder's
        histories are cut back to the checkpoint (they may hold lines written after it)."""
        found = bool(self.run_dir) and load_checkpoint(self, self.run_dir)
        if self.run_dir and self.dist.is_main:
            tidy_run_dir(self.run_dir, self.epoch)
        return found

"""The bilevel loop shared by every space and method.

Per minibatch: the relaxation's ``new_minibatch`` hook (hypernet draws λ);
if the schedule says so (and the warm-up epochs are over), one architecture
step on a val batch (hypergradient, optimizer step, the relaxation's
projection, regularizer updates); then one weight step on a train batch
(SGD, gradient clipping) — or the weight step first (``step_order``). Both
batches are augmented when ``search.augment`` says so.
Per epoch: cosine learning rate, evaluation on the val split, one record of
metrics, the early stop's verdict (``search.early_stop``, DARTS+: the search
may end there), the supernet's end-of-phase hook (dense blocks resample
there), and a checkpoint. What watches the search (the run folder's
histories, progress, trackers) is a callback (:mod:`dagnas.engine.callbacks`);
the loop itself writes only its checkpoint, and only when given a run folder.

After each step: a loss, gradient norm or α that is not finite rolls the
search back to its last checkpoint with lower learning rates
(:mod:`dagnas.engine.guard`), or stops it with a :class:`RunError`; so does
an epoch whose mean training loss or validation loss is not finite (BatchNorm
statistics can blow up while every step's loss stays finite). A stop
request (Ctrl-C) ends the search after the step, with a checkpoint. In a
data-parallel run (:mod:`dagnas.engine.distributed`) every rank starts from
rank 0's whole state, runs this loop on its shard of each batch, and the
ranks agree on every decision.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from dagnas.accel import Accelerated
from dagnas.compile import Supernet
from dagnas.data import augment_batch
from dagnas.engine.batches import Batch, Batches
from dagnas.engine.callbacks import Callback
from dagnas.engine.checkpoint import (
    CHECKPOINT,
    State,
    Stateful,
    check_state_config,
    from_bytes,
    load_checkpoint,
    save_checkpoint,
    tidy_run_dir,
    to_bytes,
)
from dagnas.engine.components import EARLY_STOPS, HYPERGRADIENTS, REGULARIZERS, SCHEDULES, EarlyStop
from dagnas.engine.distributed import Dist, current
from dagnas.engine.guard import Divergence, Guard
from dagnas.engine.hypergrad import Objective
from dagnas.engine.rng import rng_state, set_rng_state
from dagnas.engine.setup import forget_replaced, fresh_sums, optimizers, zero_fraction
from dagnas.relax import Mixing
from dagnas.spec import SearchConfig
from dagnas.training.common import cosine_lr, eval_mode, score_logits

log = logging.getLogger(__name__)


@dataclass
class SearchResult:
    """What a search leaves: the trained supernet, its final mixing weights, metrics."""

    model: Supernet
    mixing: Mixing
    metrics: list[dict[str, Any]] = field(default_factory=list)
    steps: int = 0
    #: stopped early on request (Ctrl-C); a checkpoint holds where it stopped
    interrupted: bool = False
    #: times the divergence guard rolled the search back
    rollbacks: int = 0
    #: ``{"epoch", "reason"}`` when the early stop ended the search; None otherwise
    early_stop: dict[str, Any] | None = None


class Searcher:
    """One search: owns the optimizers, schedule, batches and progress counters.

    ``components`` holds every stateful part the checkpoint saves besides the
    model and optimizers (schedule, regularizers; add a sampler there).
    ``run_dir`` is where checkpoints go (None: rollback points stay in
    memory); ``callbacks`` are told of each step, epoch, start and end.
    ``should_stop`` is polled after each step. ``dist`` defaults to the
    running process group, if any. ``config`` (plain JSON data: the run's
    settings that must not change) is saved in each checkpoint, and a
    checkpoint saved with another refuses to load, naming the fields that differ.
    """

    def __init__(
        self,
        model: Supernet,
        train: Batch,
        val: Batch,
        cfg: SearchConfig,
        run_dir: Path | None = None,
        callbacks: Sequence[Callback] = (),
        *,
        should_stop: Callable[[], bool] | None = None,
        dist: Dist | None = None,
        config: dict[str, Any] | None = None,
    ):
        self.model, self.cfg, self.run_dir = model, cfg, run_dir
        self.config = config or {}
        self.callbacks = list(callbacks)
        self.should_stop, self.dist = should_stop, dist or current()
        self.train = Batches(*train, cfg.batch_size, cfg.seed)
        self.val = Batches(
            *(train if cfg.arch_data == "train" else val), cfg.batch_size, cfg.seed + 1
        )
        self.augment = cfg.augmentation(train[0].shape[1:])
        n_eval = cfg.eval_samples or (cfg.max_steps * cfg.batch_size if cfg.max_steps else None)
        self.val_all = (val[0][:n_eval], val[1][:n_eval]) if n_eval else val
        self.w_opt, self.a_opt = optimizers(model, cfg)
        self.accel = Accelerated(model, cfg.accel, next(model.parameters()).device)
        self.schedule = SCHEDULES.get(cfg.schedule.name)(**cfg.schedule.options)
        regs = [REGULARIZERS.get(r.name)(**r.options) for r in cfg.regularizers]
        self.objective = Objective(model, regs, reduce=self.dist.average, accel=self.accel)
        self.w_scaler, self.a_scaler = self.accel.scaler, self.objective.scaler
        self.hypergradient = HYPERGRADIENTS.get(cfg.hypergradient.name)
        self.components: dict[str, Stateful] = {"schedule": self.schedule}
        self.components.update({f"regularizer{i}": r for i, r in enumerate(regs)})
        stop = cfg.early_stop
        self.early_stop = EARLY_STOPS.get(stop.name)(**stop.options) if stop else EarlyStop()
        if stop:
            self.components["early_stop"] = self.early_stop
        self.guard = Guard(cfg.on_divergence.retries, cfg.on_divergence.lr_factor)
        self.epoch, self.step = 0, 0
        self.acc = fresh_sums()
        self.metrics: list[dict[str, Any]] = []
        self.interrupted = False
        self.last_loss = math.nan
        self._snapshot: bytes | None = None

    @property
    def total_steps(self) -> int:
        steps = self.cfg.epochs * len(self.train)
        return min(steps, self.cfg.max_steps) if self.cfg.max_steps else steps

    def lr(self) -> float:
        """The weights' cosine learning rate this epoch, times the guard's scale."""
        w = self.cfg.weights
        return cosine_lr(w.lr, w.lr_min, self.epoch, self.cfg.epochs) * self.guard.lr_scale

    def run(self) -> SearchResult:
        if self.dist.active:  # rank 0's weights, buffers, α, optimizers, samplers, RNGs
            self.load_state_dict(from_bytes(self.dist.on_main(lambda: to_bytes(self.state_dict()))))
        if self.run_dir is None or not (self.run_dir / CHECKPOINT).exists():
            self._save()  # the first rollback point
        for cb in self.callbacks:
            cb.on_search_start(self)
        while (
            not (self.interrupted or self.early_stop.stopped)
            and self.epoch < self.cfg.epochs
            and self.step < self.total_steps
        ):
            while self.acc["batches"] < len(self.train) and self.step < self.total_steps:
                self._one_step()
                if self._end_step():
                    break
            if not self.interrupted:
                self._end_epoch()
        mixing = self.model.relaxation.final()
        result = SearchResult(
            self.model, mixing, self.metrics, self.step, self.interrupted, self.guard.rollbacks
        )
        result.early_stop = self.early_stop.stopped
        for cb in self.callbacks:
            cb.on_search_end(self, result)
        return result

    def _one_step(self) -> None:
        start = time.perf_counter()
        model = self.model
        self.progress = (self.epoch + self.acc["batches"] / len(self.train)) / self.cfg.epochs
        model.relaxation.set_progress(self.progress, self.epoch, self.cfg.epochs)
        self.objective.progress = self.progress
        lr = self.lr()
        for group in self.w_opt.param_groups:
            group["lr"] = lr
        train = self._next(self.train)
        model.relaxation.new_minibatch()
        stepped = self.epoch >= self.cfg.warmup_epochs and self.schedule.arch_step_due()
        weights_first = self.cfg.step_order == "weights_first"
        if stepped and not weights_first:
            self._arch_step(train, lr)
        logits, norm = self._weight_step(train)
        if stepped and weights_first:
            self._arch_step(train, lr)
        if math.isfinite(norm):  # else fp16's scaler skipped the step, or the guard rolls back
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

    def _next(self, stream: Batches) -> Batch:
        """This rank's share of the stream's next batch, augmented as the config says."""
        x, y = self.dist.shard(stream.next())
        return augment_batch(x, self.augment), y

    def _arch_step(self, train: Batch, lr: float) -> None:
        """One architecture step: hypergradient on a val batch, step (fp16: through the
        loss scaler, which skips a step with non-finite gradients), projection."""
        model, scaler = self.model, self.a_scaler
        self.a_opt.zero_grad(set_to_none=True)
        arch_loss = self.hypergradient(self.objective, train, self._next(self.val), lr)
        self.dist.average_grads(model.arch_parameters())
        scaler.step(self.a_opt)  # unscales first
        scaler.update()
        model.relaxation.project()
        for reg in self.objective.regularizers:
            reg.after_arch_step(model)
        self.guard.check(arch_loss, Divergence.ARCH_LOSS)
        self.guard.check_tensors(model.arch_parameters(), Divergence.ALPHA)

    def _weight_step(self, train: Batch) -> tuple[torch.Tensor, float]:
        """One weight step on ``train`` at fixed mixing; (logits, gradient norm).

        With fp16 the step goes through the loss scaler: non-finite gradients
        make it skip the step and lower the scale, and the guard leaves them be.
        """
        model = self.model
        self.w_opt.zero_grad(set_to_none=True)
        mixing = {k: v.detach() for k, v in model.relaxation.weight_mixing().items()}
        logits = self.objective.logits(train[0], mixing)
        loss = nn.functional.cross_entropy(logits, train[1])
        self.last_loss = loss.item()
        self.guard.check(self.last_loss, Divergence.TRAIN_LOSS)
        clip, reduce = self.cfg.weights.grad_clip, self.dist.average_grads
        norm = self.accel.backward(loss, self.w_opt, model.weights(), clip, reduce)
        if not self.w_scaler.is_enabled():
            self.guard.check(norm, Divergence.GRAD_NORM)
        model.relaxation.after_weight_step()
        return logits, norm

    def _end_step(self) -> bool:
        """Agree with the other ranks on rolling back and on stopping; checkpoint.

        True when the search stops here.
        """
        stop = bool(self.should_stop and self.should_stop())
        agreed = self.dist.agree([float(stop), self.guard.code], self.model.arch_parameters())
        if agreed[1]:
            self._roll_back(Divergence(int(agreed[1])))
            return False
        info = {"step": self.step, "total": self.total_steps, "epoch": self.epoch}
        for cb in self.callbacks:
            cb.on_step_end(self, {**info, "loss": self.last_loss})
        every = self.cfg.checkpoint_every
        if agreed[0] or (every and self.step % every == 0):
            self._merge_sums()
            self._save()
        self.interrupted = bool(agreed[0])
        return self.interrupted

    def _merge_sums(self) -> None:
        """Move the epoch's running sums of every rank onto rank 0 (zero elsewhere), so
        rank 0's checkpoint holds them all; their total over the ranks is unchanged."""
        if self.dist.active:
            a = self.acc
            total = self.dist.total([a["loss"], a["correct"], a["seen"]])
            a["loss"], a["correct"], a["seen"] = total if self.dist.is_main else (0.0, 0, 0)

    def _save(self) -> None:
        """A rollback point: the checkpoint file (rank 0 writes it), or memory without a folder."""
        if self.run_dir is None:
            self._snapshot = to_bytes(self.state_dict())
        elif self.dist.is_main:
            save_checkpoint(self.state_dict(), self.run_dir)

    def _roll_back(self, what: Divergence) -> None:
        """Back to the last rollback point with lower learning rates, or RunError."""
        event = f"{what.what} became non-finite at step {self.step} (epoch {self.epoch + 1})"
        rollbacks, scale = self.guard.retry(event)
        if self._snapshot is not None:
            self.load_state_dict(from_bytes(self._snapshot))
        elif self.run_dir is not None:
            load_checkpoint(self.run_dir, self.load_state_dict)
        for group in self.a_opt.param_groups:  # loaded at the old scale
            group["lr"] *= scale / self.guard.lr_scale
        self.guard.rollbacks, self.guard.lr_scale = rollbacks, scale
        log.warning(
            "%s; rolled back to step %d with the learning rates x%g (rollback %d of %d)",
            event,
            self.step,
            scale,
            rollbacks,
            self.guard.retries,
        )

    @torch.no_grad()
    def evaluate(self, data: Batch, mixing: Mixing | None = None) -> tuple[float, float]:
        """(mean loss, accuracy) of the supernet in eval mode on ``data``.

        In a data-parallel run every rank scores its share and all must call it.
        """
        mixing = self.model.relaxation.final() if mixing is None else mixing
        with eval_mode(self.model):
            sums = score_logits(lambda x: self.objective.logits(x, mixing), *self.dist.part(data))
        loss, correct = self.dist.total(list(sums))
        n = max(len(data[1]), 1)
        return loss / n, correct / n

    def _epoch_record(self) -> tuple[dict[str, Any], Mixing]:
        """The epoch's metrics over every rank, and the final mixing they were scored at."""
        a = self.acc
        arch_total = a["arch_steps"] + sum(m["arch_steps"] for m in self.metrics)
        weight_total = a["batches"] + sum(m["weight_steps"] for m in self.metrics)
        loss, correct, seen = self.dist.total([a["loss"], a["correct"], a["seen"]])
        self.dist.broadcast(list(self.model.buffers()))  # rank 0's BatchNorm statistics
        mixing = self.model.relaxation.final()
        val_loss, val_acc = self.evaluate(self.val_all, mixing)
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
            "threads": torch.get_num_threads(),  # float sums' order: a seed reproduces at these
            "zero_fraction": zero_fraction(mixing),
        }
        return record, mixing

    def _end_epoch(self) -> None:
        record, mixing = self._epoch_record()
        self.guard.check(record["train_loss"], Divergence.TRAIN_LOSS)
        self.guard.check(record["val_loss"], Divergence.VAL_LOSS)
        if self.guard.flagged:  # the same on every rank: both are totals over the ranks
            self._roll_back(self.guard.flagged)
            return
        stopping = self.early_stop.after_epoch(self.model, mixing, record)
        self.metrics.append(record)
        log.info("epoch %d: %s", self.epoch + 1, record)
        self.epoch += 1
        self.acc = fresh_sums()
        final = stopping or self.epoch >= self.cfg.epochs or self.step >= self.total_steps
        history, replaced = self.model.end_phase(mixing, self.epoch, final)
        forget_replaced(self.model, self.a_opt, self.objective.regularizers, replaced)
        for cb in self.callbacks:
            cb.on_epoch_end(self, record, mixing, history)
        self._save()

    def state_dict(self) -> State:
        """Everything a resumed run needs to continue bit for bit: the supernet
        (weights, α, relaxation buffers), both optimizers, each component, the
        batch streams' positions, the counters and partial-epoch sums, the
        metrics so far, the guard's scale and rollbacks, and the global RNGs."""
        return {
            "model": self.model.state_dict(),
            "w_opt": self.w_opt.state_dict(),
            "a_opt": self.a_opt.state_dict(),
            "scalers": {"w": self.w_scaler.state_dict(), "a": self.a_scaler.state_dict()},
            "components": {name: c.state_dict() for name, c in self.components.items()},
            "train": self.train.state_dict(),
            "val": self.val.state_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "acc": dict(self.acc),
            "metrics": json.dumps(self.metrics),
            "config": json.dumps(self.config),
            **self.guard.state_dict(),
            **rng_state(),
        }

    def load_state_dict(self, state: State) -> None:
        """Back to where :meth:`state_dict` found this search (ValueError when the
        checkpoint holds other components than this search has; RunError when
        it was saved with another ``config``)."""
        check_state_config(state, self.config)
        self.model.load_state_dict(state["model"])
        self.w_opt.load_state_dict(state["w_opt"])
        self.a_opt.load_state_dict(state["a_opt"])
        self.w_scaler.load_state_dict(state["scalers"]["w"])
        self.a_scaler.load_state_dict(state["scalers"]["a"])
        saved = state["components"]
        if sorted(saved) != sorted(self.components):
            raise ValueError(
                f"it holds components {sorted(saved)}, this run {sorted(self.components)}"
            )
        for name, component in self.components.items():
            component.load_state_dict(saved[name])
        self.train.load_state_dict(state["train"])
        self.val.load_state_dict(state["val"])
        self.epoch, self.step, self.acc = state["epoch"], state["step"], dict(state["acc"])
        if not self.dist.is_main:  # rank 0's sums are every rank's (:meth:`_merge_sums`)
            self.acc.update(loss=0.0, correct=0, seen=0)
        self.metrics = json.loads(state["metrics"])
        self.guard.load_state_dict(state)
        set_rng_state(state)

    def resume(self) -> bool:
        """Continue from ``run_dir/checkpoint.pt`` if there is one; the run folder's
        histories are cut back to the checkpoint (they may hold lines written after it)."""
        found = bool(self.run_dir) and load_checkpoint(self.run_dir, self.load_state_dict)
        if self.run_dir and self.dist.is_main:
            tidy_run_dir(self.run_dir, self.epoch)
        return found

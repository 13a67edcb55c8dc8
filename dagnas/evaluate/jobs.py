"""Evaluate many candidates: sample, train each standalone, record each in the store.

:func:`evaluate_space` draws ``sample`` candidates from a space
(:func:`~dagnas.evaluate.candidates.sample_architectures`), or takes every
architecture of a small space (``exhaustive``,
:func:`~dagnas.evaluate.candidates.all_architectures`: a tabular benchmark
of the space, exported by :mod:`dagnas.evaluate.table`), skips the
(candidate, seed) keys the store already holds, and trains the rest with
:func:`dagnas.training.retrain.train_architecture` on a backend
(:mod:`dagnas.evaluate.backends`: ``local`` processes or ``ray``).

Results come back to this process and are written to the store one by one
as they complete, so a killed evaluation loses only the trainings in flight,
and running it again trains only what is missing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import networkx as nx

from dagnas.analysis.predict import load_predictor
from dagnas.analysis.store import EvalKey, EvalStore, Evaluation, budget_json, worker_id
from dagnas.compile import ChildNet
from dagnas.data import DataSplits, load_dataset
from dagnas.errors import DagnasError
from dagnas.evaluate.backends import BACKENDS
from dagnas.evaluate.candidates import MAX_ENUMERATE, all_architectures, sample_architectures
from dagnas.graph import canonical_hash, from_json_dict, to_json_dict
from dagnas.measure.flops import count_macs
from dagnas.spec.lower import lower
from dagnas.training.retrain import TrainConfig, train_architecture

log = logging.getLogger(__name__)
OnResult = Callable[[Evaluation], None]


@dataclass(frozen=True)
class DataRef:
    """A dataset by name, loadable in any process (cached per process)."""

    name: str = "digits"
    root: str | None = None
    limit: int | None = None

    def load(self) -> DataSplits:
        if self not in _DATA:
            _DATA[self] = load_dataset(self.name, self.root, limit=self.limit)
        return _DATA[self]


_DATA: dict[DataRef, DataSplits] = {}


@dataclass(frozen=True)
class Job:
    """One training: the candidate (node-link dict), its key, data and settings."""

    key: EvalKey
    graph: dict[str, Any]
    data: DataRef
    train: TrainConfig


def run_job(job: Job) -> Evaluation:
    """Train one candidate from scratch and measure it (runs in any worker)."""
    data = job.data.load()
    arch = from_json_dict(job.graph)
    result = train_architecture(arch, data, job.train)
    flops = count_macs(ChildNet(arch), data.input_shape)
    return Evaluation(
        key=job.key,
        epochs=job.train.epochs,
        accuracy=result.test_acc,
        test_loss=result.test_loss,
        params=result.params,
        flops=flops,
        wall_time=result.wall_time,
        graph=job.graph,
        worker=worker_id(),
    )


@dataclass(frozen=True)
class EvalPlan:
    """What to evaluate and how: ``sample`` candidates (or every architecture of
    the space: ``exhaustive``, up to ``limit``) × ``seeds`` training seeds."""

    sample: int | None = None
    data: DataRef = DataRef()
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=1))
    seeds: int = 1
    sample_seed: int = 0
    workers: int = 1
    backend: str = "local"
    address: str | None = None
    rank_with: str | None = None
    pool: int = 4
    exhaustive: bool = False
    limit: int = MAX_ENUMERATE


@dataclass
class EvalSummary:
    """How an evaluation went: candidates drawn, (candidate, seed) keys skipped and trained."""

    candidates: int
    skipped: int
    trained: int
    wall_time: float
    store: Path


def budget_of(cfg: TrainConfig, data: DataRef) -> str:
    """The ``budget`` key part: every training setting but the seed, and the data limit."""
    settings = {k: v for k, v in asdict(cfg).items() if k != "seed"}
    return budget_json({**settings, "data_limit": data.limit})


def candidates(graph: nx.DiGraph, plan: EvalPlan) -> list[nx.DiGraph]:
    """The plan's candidates: every one (``exhaustive``), ``sample`` drawn, or the
    predicted best ``sample`` of ``pool × sample`` drawn when ``rank_with`` names
    a fitted predictor."""
    if plan.exhaustive or plan.sample is None:  # check_plan: not both
        return all_architectures(graph, plan.limit)
    if plan.rank_with is None:
        return sample_architectures(graph, plan.sample, plan.sample_seed)
    predictor = load_predictor(plan.rank_with)
    drawn = sample_architectures(graph, plan.pool * plan.sample, plan.sample_seed)
    scores = predictor.predict(drawn)
    order = sorted(range(len(drawn)), key=lambda i: -scores[i])
    return [drawn[i] for i in order[: plan.sample]]


def make_jobs(spec: Any, plan: EvalPlan) -> list[Job]:
    """One job per (candidate, training seed), in candidate order."""
    data = plan.data.load()
    graph = lower(spec, data.input_shape, data.num_classes)
    budget = budget_of(plan.train, plan.data)
    jobs = []
    for arch in candidates(graph, plan):
        node_link = to_json_dict(arch)
        h = canonical_hash(arch)
        for seed in range(plan.seeds):
            key = EvalKey(h, spec.name, data.name, budget, seed)
            jobs.append(Job(key, node_link, plan.data, replace(plan.train, seed=seed)))
    return jobs


def check_plan(plan: EvalPlan) -> None:
    """DagnasError naming the first bad setting of ``plan``."""
    if plan.backend not in BACKENDS:
        raise DagnasError(BACKENDS.unknown_message(plan.backend))
    if (plan.sample is None) != plan.exhaustive:
        raise DagnasError(
            "say which candidates to train: a number to draw (sample) or every one"
            " (exhaustive), not both"
        )
    if plan.exhaustive and plan.rank_with is not None:
        raise DagnasError("rank_with picks among drawn candidates; it does not apply to all")
    numbers = ("seeds", "workers", "pool", "limit") + (() if plan.exhaustive else ("sample",))
    for name in numbers:
        value = getattr(plan, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise DagnasError(f"{name} must be an integer >= 1, got {value!r}")


def evaluate_space(
    spec: Any,
    store: str | Path,
    plan: EvalPlan,
    on_result: OnResult | None = None,
    on_start: Callable[[int], None] | None = None,
) -> EvalSummary:
    """Evaluate ``plan`` on the space ``spec`` into the store file ``store``.

    Keys the store holds already are skipped; each finished training is
    written at once. ``on_start`` gets the number of trainings to run;
    ``on_result`` sees every new evaluation after it is stored.
    """
    check_plan(plan)
    start = time.perf_counter()
    jobs = make_jobs(spec, plan)
    with EvalStore(store) as db:
        done = db.done(j.key for j in jobs)
        todo = [j for j in jobs if j.key not in done]
        log.info("evaluate: %d jobs, %d already in %s", len(jobs), len(done), store)
        if on_start is not None:
            on_start(len(todo))

        def record(ev: Evaluation) -> None:
            db.add(ev)
            log.info("evaluate: %s seed %d: acc %.4f", ev.key.hash[:8], ev.key.seed, ev.accuracy)
            if on_result is not None:
                on_result(ev)

        BACKENDS.get(plan.backend)(run_job, todo, plan.workers, record, plan.address)
    return EvalSummary(
        candidates=len({j.key.hash for j in jobs}),
        skipped=len(jobs) - len(todo),
        trained=len(todo),
        wall_time=time.perf_counter() - start,
        store=Path(store),
    )

"""Build the tabular benchmarks of benchmarks/tables/: every architecture of a
small space trained with a fixed budget and seeds (``dagnas evaluate --all``).

``python -m benchmarks.build_tables [--only NAME ...]`` trains what the store
(``benchmarks/tables/evaluations.sqlite``, resumable) lacks, then writes
``benchmarks/tables/<name>.csv``; the same, one table at a time, from the shell::

    dagnas evaluate SPACE --all --seeds 3 --epochs E --lr 0.05 \\
        --store benchmarks/tables/evaluations.sqlite --csv benchmarks/tables/SPACE.csv

Each table takes a few minutes of one core.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from dagnas.evaluate.jobs import DataRef, EvalPlan, budget_of, evaluate_space
from dagnas.evaluate.table import export_table
from dagnas.spaces import load_space
from dagnas.training.retrain import TrainConfig

HERE = Path(__file__).resolve().parent / "tables"
STORE = HERE / "evaluations.sqlite"


@dataclass(frozen=True)
class TableSpec:
    """One table: a shipped space, the training budget, the seeds."""

    space: str
    epochs: int
    lr: float = 0.05
    seeds: int = 3
    data: str = "digits"

    @property
    def train(self) -> TrainConfig:
        return TrainConfig(epochs=self.epochs, lr=self.lr)

    @property
    def csv(self) -> Path:
        return HERE / f"{self.space}.csv"


TABLES = {
    t.space: t
    for t in (
        TableSpec("mlp_dag", epochs=5, seeds=10),  # 48 vector DAGs; a flat top: 10 seeds
        TableSpec("dense5_digits", epochs=4),  # 98 connected 5-vertex blocks
        TableSpec("nb201_tiny", epochs=6),  # 125 NB201-style cells
    )
}


def build(table: TableSpec, store: Path = STORE) -> int:
    """Train what ``store`` lacks of ``table`` and write its CSV; the architectures."""
    data = DataRef(table.data)
    plan = EvalPlan(data=data, train=table.train, seeds=table.seeds, exhaustive=True)
    evaluate_space(load_space(table.space), store, plan)
    where = {"space": table.space, "dataset": table.data, "budget": budget_of(table.train, data)}
    return export_table(store, table.csv, **where)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(TABLES), default=list(TABLES))
    parser.add_argument("--store", type=Path, default=STORE)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    for name in args.only:
        n = build(TABLES[name], args.store)
        print(f"{name}: {n} architectures -> {TABLES[name].csv}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

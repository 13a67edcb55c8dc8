"""Build the tabular benchmarks of benchmarks/tables/: every architecture of a
small space trained with a fixed budget and seeds (``dagnas evaluate --all``).

``python -m benchmarks.build_tables [--only NAME ...]`` trains what the store
(``benchmarks/tables/evaluations.sqlite``, resumable) lacks, then writes
``benchmarks/tables/<name>.csv``; the same, one table at a time, from the shell::

    dagnas evaluate SPACE --all --seeds 3 --epochs E --lr 0.05 \\
        --store benchmarks/tables/evaluations.sqlite --csv benchmarks/tables/SPACE.csv

(add ``--data-root DIR`` for MNIST: ``$DAGNAS_SHARED_DATA``, else ``../shared/data``
here). Each table takes a few minutes of one core.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from benchmarks.common import ROOT
from dagnas.bench.table import HASH_PREFIX
from dagnas.evaluate.candidates import all_architectures
from dagnas.evaluate.jobs import DataRef, EvalPlan, budget_of, evaluate_space
from dagnas.evaluate.table import describe, export_table
from dagnas.graph import canonical_hash
from dagnas.spaces import load_space
from dagnas.spec.lower import lower
from dagnas.training.retrain import TrainConfig

HERE = Path(__file__).resolve().parent / "tables"
STORE = HERE / "evaluations.sqlite"
#: where datasets read from files (MNIST) are found
SHARED_DATA = Path(os.environ.get("DAGNAS_SHARED_DATA", ROOT.parent / "shared" / "data"))


@dataclass(frozen=True)
class TableSpec:
    """One table: a shipped space, the training budget, the seeds, the data
    (``limit``: the training pool, before its train/val split; the test set is whole)."""

    space: str
    epochs: int
    lr: float = 0.05
    seeds: int = 3
    data: str = "digits"
    limit: int | None = None

    @property
    def data_root(self) -> str | None:
        """The folder of a dataset read from files; None for the embedded digits."""
        return None if self.data == "digits" else str(SHARED_DATA)

    @property
    def data_ref(self) -> DataRef:
        return DataRef(self.data, self.data_root, self.limit)

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
        TableSpec("dense5_mnist", epochs=3, data="mnist", limit=8000),  # the 98 blocks on MNIST
    )
}


def build(table: TableSpec, store: Path = STORE) -> int:
    """Train what ``store`` lacks of ``table`` and write its CSV; the architectures."""
    data = table.data_ref
    plan = EvalPlan(data=data, train=table.train, seeds=table.seeds, exhaustive=True)
    evaluate_space(load_space(table.space), store, plan)
    where = {"space": table.space, "dataset": table.data, "budget": budget_of(table.train, data)}
    return export_table(store, table.csv, **where)


def rekey(table: TableSpec) -> int:
    """Rewrite the ``arch`` column of ``table``'s CSV with today's canonical hashes
    (after a change of :data:`dagnas.versions.HASH_SCHEME`): each row is found
    again among the space's architectures by its ``ops``; the metrics stay."""
    data = table.data_ref.load()
    graph = lower(load_space(table.space), data.input_shape, data.num_classes)
    hashes = {describe(a): HASH_PREFIX + canonical_hash(a) for a in all_architectures(graph)}
    with table.csv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    missing = [r["ops"] for r in rows if r["ops"] not in hashes]
    if missing:
        raise SystemExit(f"{table.csv}: {len(missing)} rows not in the space, e.g. {missing[0]}")
    with table.csv.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "arch": hashes[r["ops"]]} for r in rows)
    return len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=sorted(TABLES), default=list(TABLES))
    parser.add_argument("--store", type=Path, default=STORE)
    parser.add_argument(
        "--rekey", action="store_true", help="only rewrite the CSVs' hashes (no training)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(1)
    for name in args.only:
        n = rekey(TABLES[name]) if args.rekey else build(TABLES[name], args.store)
        print(f"{name}: {n} architectures -> {TABLES[name].csv}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark look-ups: the tabulated score of an architecture, a run, or every
epoch of a run, from a table the user holds or the NATS-Bench API."""

from dagnas.bench.nats import NatsBench
from dagnas.bench.query import (
    Hit,
    epoch_architectures,
    open_source,
    query_architecture,
    query_epochs,
    query_run,
)
from dagnas.bench.table import BenchTable, Source, arch_string, load_table

__all__ = [
    "BenchTable",
    "Hit",
    "NatsBench",
    "Source",
    "arch_string",
    "epoch_architectures",
    "load_table",
    "open_source",
    "query_architecture",
    "query_epochs",
    "query_run",
]

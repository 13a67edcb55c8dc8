"""Tabular benchmarks: a CSV or Parquet file with an architecture-string column
(NB201 strings, DARTS genotypes, or ``hash:<canonical hash>`` in the tables
``dagnas evaluate --all --csv`` writes for any space) and metric columns.

NAS-Bench-201 / NATS-Bench tables circulate in this form. The architecture
column and the metrics are given or detected: the architecture column is the
first whose values are NB201 strings or genotypes; the metrics are the other
columns that hold numbers, and every cell of a metric must be one (a stray
word in a column of numbers is an error naming its row, not a reason to drop
the column). Rows of one architecture (several seeds) are averaged. Genotypes
match whatever the order of a node's two edges.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import networkx as nx

from dagnas.errors import DagnasError
from dagnas.export.genotype import parse_genotype, to_genotype
from dagnas.export.nb201 import SUMMED, nb201_string, parse_nb201, summed_edges
from dagnas.graph import canonical_hash

PathLike = str | os.PathLike[str]
Kind = Literal["nb201", "genotype", "hash"]
HASH_PREFIX = "hash:"


class Source(Protocol):
    """Where scores come from: architectures named by strings of one ``kind``."""

    name: str
    kind: Kind

    def lookup(self, text: str) -> dict[str, float]:
        """The metrics of the architecture ``text``; DagnasError if it is absent."""
        ...


def string_kind(text: object) -> Kind | None:
    """ "nb201", "genotype" or "hash" if ``text`` looks like one, else None."""
    if not isinstance(text, str):
        return None
    if text.startswith(HASH_PREFIX):
        return "hash"
    if "Genotype(" in text:
        return "genotype"
    return "nb201" if "~0|" in text and text.strip().startswith("|") else None


def table_key(text: str, kind: Kind) -> str:
    """A normal form of an architecture string: equal for the same architecture."""
    if kind == "hash":
        return text.strip()
    if kind == "nb201":
        return "+".join(
            "|"
            + "|".join(f"{op}~{i}" for (i, j), op in sorted(parse_nb201(text).items()) if j == n)
            + "|"
            for n in (1, 2, 3)
        )
    g = parse_genotype(text)
    parts = []
    for cell in ("normal", "reduce"):
        edges, concat = g.cell(cell)
        nodes = [sorted(edges[k : k + 2]) for k in range(0, len(edges), 2)]
        parts.append(repr((nodes, concat)))
    return ";".join(parts)


def arch_string(arch: nx.DiGraph, kind: Kind) -> str:
    """The string a ``kind`` table indexes ``arch`` by; DagnasError if its space has none."""
    space = arch.graph.get("space")
    if kind == "hash":  # the table's space is the architecture's: the hash ignores it
        return HASH_PREFIX + canonical_hash(arch)
    if kind == "nb201":
        text = nb201_string(arch)
        if text is None and summed_edges(arch):
            raise DagnasError(
                "the benchmark is indexed by NAS-Bench-201 strings, but the architecture's"
                f" edges {', '.join(summed_edges(arch))} {SUMMED}"
            )
        if text is None:
            raise DagnasError(
                f"the benchmark is indexed by NAS-Bench-201 strings, but the architecture"
                f" (space {space!r}) is not NB201-shaped; query it against a table of genotypes"
                " or search spaces/nb201.yaml"
            )
        return text
    try:
        return repr(to_genotype(arch))
    except DagnasError as e:
        raise DagnasError(f"the benchmark is indexed by DARTS genotypes, but {e}") from None


def _read_rows(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DagnasError(f"{path}: no such benchmark file")
    if path.suffix.lower() == ".csv":
        try:
            with path.open(newline="", encoding="utf-8") as f:
                return list(csv.DictReader(f))
        except (UnicodeDecodeError, csv.Error) as e:
            raise DagnasError(
                f"{path}: not a UTF-8 CSV table ({e}); pass the benchmark as a UTF-8 CSV or"
                " a Parquet table"
            ) from None
    if path.suffix.lower() not in (".parquet", ".pq"):
        raise DagnasError(f"{path}: expected a .csv or .parquet table")
    try:
        import pandas as pd
    except ImportError:
        raise DagnasError(
            f"{path}: reading Parquet needs pandas and pyarrow: pip install 'dagnas[bench]'"
        ) from None
    try:
        return pd.read_parquet(path).to_dict("records")
    except (ImportError, ValueError, OSError) as e:
        raise DagnasError(f"{path}: cannot read the Parquet table ({e})") from None


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _columns(
    rows: list[dict[str, Any]], path: Path, arch_column: str | None, metrics: Sequence[str] | None
) -> tuple[str, list[str]]:
    """The architecture column and the metric columns, given or detected."""
    columns = list(rows[0])
    for name in [arch_column, *(metrics or [])]:
        if name is not None and name not in columns:
            raise DagnasError(f"{path}: no column '{name}' (columns: {', '.join(columns)})")
    if arch_column is None:
        found = [c for c in columns if string_kind(rows[0][c])]
        if not found:
            text = [f"{c} = {rows[0][c]!r:.40}" for c in columns if _number(rows[0][c]) is None]
            held = f"row 1 has {'; '.join(text)}" if text else "every column is numeric"
            raise DagnasError(
                f"{path}: no column holds architectures in a form dagnas reads: NB201"
                f" strings ('|nor_conv_3x3~0|+...'), DARTS genotypes ('Genotype(normal=...')"
                f" or hashes ('{HASH_PREFIX}<canonical hash>', as dagnas evaluate --csv writes);"
                f" {held}; write the architectures in one of those forms"
            )
        arch_column = found[0]
    if not metrics:
        metrics = [
            c for c in columns if c != arch_column and any(_number(r[c]) is not None for r in rows)
        ]
        if not metrics:
            raise DagnasError(f"{path}: no numeric metric columns besides '{arch_column}'")
    return arch_column, list(metrics)


@dataclass
class BenchTable:
    """A tabular benchmark in memory: ``scores[key]`` holds the mean metrics and ``n``."""

    name: str
    kind: Kind
    arch_column: str
    metrics: list[str]
    scores: dict[str, dict[str, float]]

    def lookup(self, text: str) -> dict[str, float]:
        kind = string_kind(text)
        if kind != self.kind:
            raise DagnasError(
                f"{self.name} is indexed by {self.kind} strings; '{text[:80]}' is not one"
            )
        found = self.scores.get(table_key(text, kind))
        if found is None:
            raise DagnasError(
                f"architecture {text} is not in {self.name} ({len(self.scores)} architectures,"
                f" column '{self.arch_column}')"
            )
        return dict(found)


def load_table(
    path: PathLike, arch_column: str | None = None, metrics: Sequence[str] | None = None
) -> BenchTable:
    """Read a CSV or Parquet benchmark (see the module docstring)."""
    path = Path(path)
    rows = _read_rows(path)
    if not rows:
        raise DagnasError(f"{path}: the table has no rows")
    arch_column, metrics = _columns(rows, path, arch_column, metrics)
    kind = string_kind(rows[0][arch_column])
    if kind is None:
        raise DagnasError(
            f"{path}: column '{arch_column}' holds {rows[0][arch_column]!r:.60}, not an NB201"
            " string, a genotype or a hash"
        )
    sums: dict[str, dict[str, float]] = {}
    for i, row in enumerate(rows):
        try:
            key = table_key(str(row[arch_column]), kind)
        except DagnasError as e:
            raise DagnasError(f"{path}: row {i + 1}: {e}") from None
        acc = sums.setdefault(key, dict.fromkeys(["n", *metrics], 0.0))
        acc["n"] += 1
        for m in metrics:
            value = _number(row[m])
            if value is None:
                raise DagnasError(
                    f"{path}: row {i + 1}, column {m}: {row[m]!r:.40} is not a number; correct"
                    " the cell, or name the metric columns to read (--metric) without it"
                )
            acc[m] += value
    scores = {k: {"n": s["n"], **{m: s[m] / s["n"] for m in metrics}} for k, s in sums.items()}
    return BenchTable(str(path), kind, arch_column, metrics, scores)

"""Trackers that need no tool: ``metrics.csv`` and ``alpha.csv`` (``csv``), and
TensorBoard event files (``tensorboard``, through ``torch.utils.tensorboard``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagnas.extras import optional_module
from dagnas.io import atomic_write_text
from dagnas.loggers.base import (
    LOGGERS,
    AlphaTable,
    Tracker,
    flat_config,
    scalars,
)

CSV_METRICS, CSV_ALPHA, TENSORBOARD = "metrics.csv", "alpha.csv", "tensorboard"


@LOGGERS.register("csv")
class CsvTracker(Tracker):
    """``metrics.csv`` (one row per epoch, a column per key of the records) and
    ``alpha.csv`` (``epoch,key,op,weight``, one row per op of each choice).

    Rows already in the folder (a resumed run) are kept; ``metrics.csv`` is
    rewritten whole each epoch, so a key that appears later gets its column.
    """

    def __init__(self, folder: Path, name: str, config: Mapping[str, Any], **options: Any):
        super().__init__(folder, name, config, **options)
        path = self.folder / CSV_METRICS
        self.rows = list(csv.DictReader(path.open())) if path.exists() else []

    def log(self, record: Mapping[str, Any], alpha: AlphaTable | None = None) -> None:
        epoch = record.get("epoch")
        self.rows = [r for r in self.rows if str(r.get("epoch")) != str(epoch)]
        self.rows.append(dict(record))
        columns = list(dict.fromkeys(k for r in self.rows for k in r))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.rows)
        atomic_write_text(self.folder / CSV_METRICS, buf.getvalue())
        if alpha:
            path = self.folder / CSV_ALPHA
            new = not path.exists()
            with path.open("a", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                if new:
                    writer.writerow(["epoch", "key", "op", "weight"])
                for key, row in alpha.items():
                    writer.writerows([epoch, key, op, repr(float(w))] for op, w in row.items())


@LOGGERS.register("tensorboard")
class TensorBoardTracker(Tracker):
    """Event files in ``tensorboard/`` of the run folder: every number of the
    epoch's record as a scalar, each op's mixing weight as ``alpha/<key>/<op>``,
    the resolved config as text. View with ``tensorboard --logdir RUN/tensorboard``."""

    def __init__(self, folder: Path, name: str, config: Mapping[str, Any], **options: Any):
        super().__init__(folder, name, config, **options)
        board = optional_module("torch.utils.tensorboard", "tensorboard", "--logger tensorboard")
        self.writer = board.SummaryWriter(log_dir=str(self.folder / TENSORBOARD))
        text = "\n".join(f"    {k}: {v}" for k, v in sorted(flat_config(config).items()))
        self.writer.add_text("config", text)

    def log(self, record: Mapping[str, Any], alpha: AlphaTable | None = None) -> None:
        step = int(record["epoch"])
        for tag, value in scalars(record, alpha).items():
            self.writer.add_scalar(tag, value, step)
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()

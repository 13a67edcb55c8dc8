"""Store writers for the concurrency test; imports no torch, so spawned writers start fast."""

from __future__ import annotations

import os
import time
from typing import Any

from dagnas.analysis.store import EvalKey, EvalStore, Evaluation, budget_json

BUDGET = budget_json({"epochs": 1, "lr": 0.1})


def evaluation(h: str, seed: int = 0, acc: float = 0.5, dataset: str = "digits") -> Evaluation:
    """A made-up evaluation of hash ``h``, by this process."""
    key = EvalKey(h, "space", dataset, BUDGET, seed)
    return Evaluation(key, 1, acc, 1.0, 10, 20, 0.5, {"h": h}, str(os.getpid()))


def write_rows(path: str, first: int, count: int, start: Any) -> None:
    """Wait at barrier ``start``, then add rows first..first+count-1, one transaction
    each, with a millisecond of "work" between them (as trainings between results)."""
    with EvalStore(path) as db:
        start.wait()
        for i in range(first, first + count):
            db.add(evaluation(f"h{i}", acc=i / 1000))
            time.sleep(0.001)

"""Architecture-step schedules."""

from __future__ import annotations

from typing import Any

from pydantic import PositiveInt

from dagnas.search.components import SCHEDULES, Schedule
from dagnas.spec.components import Strict


@SCHEDULES.register("alternate")
class Alternate(Schedule):
    """One architecture step every ``every`` weight steps (DARTS: every=1)."""

    class Options(Strict):
        every: PositiveInt = 1

    def __init__(self, **options: Any):
        super().__init__(**options)
        self.count = 0

    def arch_step_due(self) -> bool:
        due = self.count % self.options.every == 0
        self.count += 1
        return due

"""Experiment trackers (``--logger``, ``search.loggers``): csv, tensorboard, mlflow, wandb.

Each writes inside the run folder; none needs a network. The search loop
feeds them through :class:`dagnas.loggers.callbacks.TrackerCallback`.
"""

from dagnas.loggers import files, services  # noqa: F401  (registers)
from dagnas.loggers.base import (
    LOGGERS,
    Tracker,
    close_all,
    epoch_trackers,
    open_trackers,
    scalars,
)

__all__ = ["LOGGERS", "Tracker", "close_all", "epoch_trackers", "open_trackers", "scalars"]

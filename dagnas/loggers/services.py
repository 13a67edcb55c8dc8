"""Trackers of the field's services, offline: MLflow (a file store in the run
folder) and Weights & Biases (``mode="offline"``). Each package is imported
only when its tracker is asked for (extras ``mlflow``, ``wandb``)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from dagnas.extras import optional_module
from dagnas.loggers.base import (
    LOGGERS,
    AlphaTable,
    Tracker,
    flat_config,
    scalars,
)
from dagnas.registry import Strict

MLRUNS, WANDB = "mlruns", "wandb"
#: what MLflow allows in a metric name; anything else becomes "_"
_MLFLOW_NAME = re.compile(r"[^\w\-. /]")


def mlflow_name(tag: str) -> str:
    """``alpha/normal:0->2/skip`` → ``alpha/normal.0-2/skip`` (MLflow's name rules)."""
    return _MLFLOW_NAME.sub("_", tag.replace("->", "-").replace(":", "."))


@LOGGERS.register("mlflow")
class MlflowTracker(Tracker):
    """An MLflow run in the file store ``mlruns/`` of the run folder (MLflow's
    filesystem backend, allowed through ``MLFLOW_ALLOW_FILE_STORE``): the
    config as params, every number of each epoch as a metric at step ``epoch``.
    View with ``mlflow ui --backend-store-uri RUN/mlruns``."""

    class Options(Strict):
        experiment: str = "dagnas"

    def __init__(self, folder: Path, name: str, config: Mapping[str, Any], **options: Any):
        super().__init__(folder, name, config, **options)
        client_module = optional_module("mlflow.tracking", "mlflow", "--logger mlflow")
        self.entities = optional_module("mlflow.entities", "mlflow", "--logger mlflow")
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
        self.client = client_module.MlflowClient(
            tracking_uri=(self.folder / MLRUNS).resolve().as_uri()
        )
        experiment = self.options.experiment
        found = self.client.get_experiment_by_name(experiment)
        exp_id = found.experiment_id if found else self.client.create_experiment(experiment)
        self.run_id = self.client.create_run(exp_id, run_name=name).info.run_id
        params = [self.entities.Param(k, v[:6000]) for k, v in flat_config(config).items()]
        self.client.log_batch(self.run_id, params=params)

    def log(self, record: Mapping[str, Any], alpha: AlphaTable | None = None) -> None:
        now, step = int(time.time() * 1000), int(record["epoch"])
        metrics = [
            self.entities.Metric(mlflow_name(k), v, now, step)
            for k, v in scalars(record, alpha).items()
        ]
        self.client.log_batch(self.run_id, metrics=metrics)

    def close(self) -> None:
        self.client.set_terminated(self.run_id)


@LOGGERS.register("wandb")
class WandbTracker(Tracker):
    """A Weights & Biases run kept offline in ``wandb/`` of the run folder
    (``wandb sync`` uploads it later, if ever): the config, and every number of
    each epoch at step ``epoch``."""

    class Options(Strict):
        project: str = "dagnas"
        mode: Literal["offline", "disabled"] = "offline"

    def __init__(self, folder: Path, name: str, config: Mapping[str, Any], **options: Any):
        super().__init__(folder, name, config, **options)
        wandb = optional_module("wandb", "wandb", "--logger wandb")
        self.run = wandb.init(
            project=self.options.project,
            name=name,
            dir=str(self.folder),
            mode=self.options.mode,
            config=dict(config),
        )

    def log(self, record: Mapping[str, Any], alpha: AlphaTable | None = None) -> None:
        self.run.log(scalars(record, alpha), step=int(record["epoch"]))

    def close(self) -> None:
        self.run.finish()

"""``dagnas train``: retrain an exported architecture from scratch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import data_options, device_option, out_option, seed_option, train_options


@click.command()
@click.argument("arch", type=click.Path(exists=True, dir_okay=False))
@data_options()
@train_options(epochs=10)
@seed_option()
@device_option(default="auto")
@out_option("Folder (default: train-DATA/).")
def train(arch: str, data: str, out: str | None, **opts: Any) -> None:
    """Retrain the Architecture in ARCH (node-link JSON) from scratch; write
    metrics.jsonl and result.json."""
    from dagnas.cli.progress import console, summary_table
    from dagnas.workflows.retrain import retrain

    folder = Path(out or f"train-{data}")
    result = retrain(arch, data, out=folder, **opts)
    rows = {k: result[k] for k in ("test_acc", "params", "graph_params", "flops", "wall_time")}
    title = f"dagnas train: {arch} on {result['data']}"
    console.print(summary_table(title, {**rows, "out": folder}))

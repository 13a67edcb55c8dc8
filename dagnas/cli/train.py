"""``dagnas train``: retrain an exported architecture from scratch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import (
    data_options,
    default_folder,
    device_option,
    json_option,
    logger_option,
    out_option,
    seed_option,
    train_options,
)


@click.command()
@click.argument("arch", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--genotype", help="A DARTS genotype string or preset (DARTS_V2...) instead of ARCH.")
@click.option("--space", help="The darts_cell space a --genotype fills (file or built-in name).")
@data_options()
@train_options(epochs=10)
@seed_option()
@device_option(default="auto")
@out_option("metrics.jsonl and result.json (default: runs/train-DATA-TIME)")
@logger_option()
@json_option()
def train(
    arch: str | None,
    genotype: str | None,
    space: str | None,
    data: str,
    out: str | None,
    loggers: list[str],
    as_json: bool,
    **opts: Any,
) -> None:
    """Retrain the Architecture in ARCH (node-link JSON), or a DARTS genotype in a
    space (--genotype G --space S), from scratch; write metrics.jsonl and result.json."""
    from dagnas.cli.progress import show_result
    from dagnas.loggers import epoch_trackers
    from dagnas.workflows.retrain import genotype_architecture, retrain

    if (arch is None) == (genotype is None) or (genotype is None) != (space is None):
        raise click.UsageError("give ARCH, or --genotype with --space")
    folder = Path(out) if out else default_folder(f"train-{data}")
    found: Any = arch
    if genotype is not None and space is not None:
        found, data = genotype_architecture(genotype, space, data, opts)
    config = {"arch": arch or genotype, "data": str(data), **opts}
    with epoch_trackers(loggers, folder, folder.name, config) as on_epoch:
        result = retrain(found, data, out=folder, on_epoch=on_epoch, **opts)
    rows = {k: result[k] for k in ("test_acc", "params", "graph_params", "flops", "wall_time")}
    title = f"dagnas train: {arch or genotype} on {result['data']}"
    show_result(title, {**rows, "out": folder}, as_json)

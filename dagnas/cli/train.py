"""``dagnas train``: retrain an exported architecture from scratch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import data_options, device_option, out_option, seed_option, train_options


@click.command()
@click.argument("arch", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--genotype", help="A DARTS genotype string or preset (DARTS_V2...) instead of ARCH.")
@click.option("--space", help="The darts_cell space a --genotype fills (file or built-in name).")
@data_options()
@train_options(epochs=10)
@seed_option()
@device_option(default="auto")
@out_option("Folder (default: train-DATA/).")
def train(
    arch: str | None,
    genotype: str | None,
    space: str | None,
    data: str,
    out: str | None,
    **opts: Any,
) -> None:
    """Retrain the Architecture in ARCH (node-link JSON), or a DARTS genotype in a
    space (--genotype G --space S), from scratch; write metrics.jsonl and result.json."""
    from dagnas.cli.progress import console, summary_table
    from dagnas.workflows.retrain import genotype_architecture, retrain

    if (arch is None) == (genotype is None) or (genotype is None) != (space is None):
        raise click.UsageError("give ARCH, or --genotype with --space")
    folder = Path(out or f"train-{data}")
    found: Any = arch
    if genotype is not None and space is not None:
        found, data = genotype_architecture(genotype, space, data, opts)
    result = retrain(found, data, out=folder, **opts)
    rows = {k: result[k] for k in ("test_acc", "params", "graph_params", "flops", "wall_time")}
    title = f"dagnas train: {arch or genotype} on {result['data']}"
    console.print(summary_table(title, {**rows, "out": folder}))

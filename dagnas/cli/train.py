"""``dagnas train``: retrain an exported architecture from scratch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from dagnas.cli.options import (
    data_options,
    device_option,
    json_option,
    logger_option,
    out_option,
    seed_option,
    train_options,
)
from dagnas.io import new_folder


@click.command()
@click.argument("arch", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option("--genotype", help="A DARTS genotype string or preset (DARTS_V2...) instead of ARCH.")
@click.option("--space", help="The darts_cell space a --genotype fills (file or built-in name).")
@click.option(
    "--protocol", help="An evaluation protocol: darts_cifar10, nb201, quick (default: plain)."
)
@click.option(
    "--resume",
    type=click.Path(file_okay=False, exists=True),
    help="Continue the retraining in this folder.",
)
@data_options()
@train_options(epochs=10)
@click.option(
    "--eval-every",
    type=click.IntRange(min=1),
    default=1,
    help="Epochs between scorings of the test split (the last epoch is always scored).",
)
@seed_option()
@device_option(default="auto")
@out_option("model.pt, metrics.jsonl and result.json (default: runs/train-DATA-TIME)")
@logger_option()
@json_option()
@click.pass_context
def train(
    ctx: click.Context,
    arch: str | None,
    genotype: str | None,
    space: str | None,
    resume: str | None,
    data: str,
    out: str | None,
    device: str,
    loggers: list[str],
    as_json: bool,
    **opts: Any,
) -> None:
    """Retrain the Architecture in ARCH (node-link JSON), or a DARTS genotype in a
    space (--genotype G --space S), from scratch; write metrics.jsonl, model.pt
    and result.json. The options given override the protocol's settings."""
    from dagnas.cli.progress import show_result
    from dagnas.loggers import epoch_trackers
    from dagnas.workflows import retrain as workflow

    if resume is not None:
        folder = Path(resume)
        title = f"dagnas train --resume {resume}"
        with epoch_trackers(loggers, folder, folder.name, {"resume": resume}) as on_epoch:
            result = workflow.resume(folder, device, on_epoch=on_epoch)
    else:
        if (arch is None) == (genotype is None) or (genotype is None) != (space is None):
            raise click.UsageError("give ARCH, or --genotype with --space")
        folder = Path(out) if out else new_folder(f"train-{data}")
        given = {
            k: v for k, v in opts.items() if ctx.get_parameter_source(k) != ParameterSource.DEFAULT
        }
        config = {"arch": arch or genotype, "data": str(data), **given}
        with epoch_trackers(loggers, folder, folder.name, config) as on_epoch:
            result = workflow.retrain(
                arch or genotype, data, space=space, out=folder, device=device,
                on_epoch=on_epoch, **given,
            )  # fmt: skip
        title = f"dagnas train: {arch or genotype} on {result['data']}"
    rows = {k: result[k] for k in ("test_acc", "params", "graph_params", "flops", "wall_time")}
    show_result(title, {**rows, "out": str(folder)}, as_json)

"""``dagnas train``: retrain an exported architecture from scratch."""

from __future__ import annotations

from typing import Any

import click
from click.core import ParameterSource

from dagnas.cli.options import data_options, device_option, out_option, seed_option, train_options


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
@seed_option()
@device_option(default="auto")
@out_option("Folder (default: runs/train-DATA-TIME).")
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
    **opts: Any,
) -> None:
    """Retrain the Architecture in ARCH (node-link JSON), or a DARTS genotype in a
    space (--genotype G --space S), from scratch; write metrics.jsonl, model.pt
    and result.json. The options given override the protocol's settings."""
    from dagnas.cli.progress import console, summary_table
    from dagnas.training.files import default_train_dir
    from dagnas.workflows import retrain as workflow

    if resume is not None:
        result = workflow.resume(resume, device)
        folder, title = resume, f"dagnas train --resume {resume}"
    else:
        if (arch is None) == (genotype is None) or (genotype is None) != (space is None):
            raise click.UsageError("give ARCH, or --genotype with --space")
        folder = out or str(default_train_dir(data))
        given = {
            k: v for k, v in opts.items() if ctx.get_parameter_source(k) != ParameterSource.DEFAULT
        }
        result = workflow.retrain(
            arch or genotype, data, space=space, out=folder, device=device, **given
        )
        title = f"dagnas train: {arch or genotype} on {result['data']}"
    rows = {k: result[k] for k in ("test_acc", "params", "graph_params", "flops", "wall_time")}
    console.print(summary_table(title, {**rows, "out": folder}))

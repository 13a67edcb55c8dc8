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
        _check_resume_options(ctx, folder, opts)
        title = f"dagnas train --resume {resume}"
        epochs = opts["epochs"] if _given(ctx, "epochs") else None
        with epoch_trackers(loggers, folder, folder.name, {"resume": resume}) as on_epoch:
            result = workflow.resume(folder, device, epochs=epochs, on_epoch=on_epoch)
    else:
        if (arch is None) == (genotype is None) or (genotype is None) != (space is None):
            raise click.UsageError("give ARCH, or --genotype with --space")
        folder = Path(out) if out else new_folder(f"train-{data}")
        given = {k: v for k, v in opts.items() if _given(ctx, k)}
        config = {"arch": arch or genotype, "data": str(data), **given}
        with epoch_trackers(loggers, folder, folder.name, config) as on_epoch:
            result = workflow.retrain(
                arch or genotype, data, space=space, out=folder, device=device,
                on_epoch=on_epoch, **given,
            )  # fmt: skip
        title = f"dagnas train: {arch or genotype} on {result['data']}"
    rows = {k: result[k] for k in ("test_acc", "params", "graph_params", "flops", "wall_time")}
    show_result(title, {**rows, "out": str(folder)}, as_json)


def _given(ctx: click.Context, name: str) -> bool:
    """Whether option ``name`` was given (not left at its default)."""
    return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)


def _check_resume_options(ctx: click.Context, folder: Path, opts: dict[str, Any]) -> None:
    """UsageError for what `--resume` cannot change: an option given with another value
    than ``folder``'s config.json records (ARCH, --genotype, --space, --protocol and
    --out with any); --train-epochs is recorded anew, --device says where it runs."""
    from dagnas.training.files import read_config

    recorded = read_config(folder).options()
    fixable = {"arch", "genotype", "space", "data", "out", *opts} - {"epochs"}
    fixed = [
        _flag(p)
        for p in ctx.command.params
        if p.name in fixable
        and _given(ctx, p.name)
        and (p.name not in recorded or recorded[p.name] != ctx.params[p.name])
    ]
    if fixed:
        raise click.UsageError(
            f"--resume continues a retraining as its config.json says; {', '.join(fixed)}"
            " cannot change it (only --train-epochs, --device can); start a new training"
            " instead"
        )


def _flag(param: click.Parameter) -> str:
    """``param`` as written on the command line: ``--train-epochs``, ``ARCH``."""
    return param.opts[-1] if isinstance(param, click.Option) else param.human_readable_name

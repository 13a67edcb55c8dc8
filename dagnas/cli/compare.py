"""``dagnas compare``: several methods × seeds on one space."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import (
    data_options,
    device_option,
    json_option,
    out_option,
    quiet_option,
    set_option,
)
from dagnas.io import new_folder


@click.command()
@click.argument("space", required=False)
@click.option(
    "--methods",
    default="darts,crb",
    help="Comma-separated presets (darts, crb, crb_admm) or relaxation names.",
)
@click.option("--seeds", type=click.IntRange(min=1), default=3)
@data_options(default=None)
@set_option()
@click.option("--epochs", type=click.IntRange(min=1), help="Search epochs (default: the spec's).")
@click.option("--max-steps", type=click.IntRange(min=1), help="Stop each search after N steps.")
@click.option(
    "--train-epochs",
    "retrain_epochs",
    type=click.IntRange(min=1),
    default=10,
    help="Epochs of each derived architecture's retraining.",
)
@device_option()
@out_option("the comparison; give an existing one to continue it (default: runs/compare-NAME-TIME)")
@quiet_option()
@json_option()
def compare(
    space: str | None,
    methods: str,
    seeds: int,
    out: str | None,
    quiet: bool,
    overrides: dict[str, Any],
    as_json: bool,
    **budget: Any,
) -> None:
    """Search, retrain and table several METHODS × seeds on SPACE (resumable)."""
    from dagnas.cli.progress import echo_json, step_bar
    from dagnas.spaces import load_space
    from dagnas.spec.overrides import apply_overrides
    from dagnas.workflows.compare import Budget, markdown, report_title, run_compare
    from dagnas.workflows.methods import parse_methods
    from dagnas.workflows.search import with_search

    chosen = parse_methods(methods)
    data = {k: budget.pop(k) for k in ("data", "data_root", "data_limit")}
    spec = apply_overrides(with_search(load_space(space), **data), overrides, origin="--set")
    folder = Path(out) if out else new_folder(f"compare-{spec.name}")
    rows = run_compare(
        spec,
        chosen,
        seeds,
        folder,
        Budget(**budget),
        bar=lambda label: step_bar(label, enabled=not quiet),
    )
    if as_json:
        echo_json({"folder": str(folder), "rows": rows})
    else:
        click.echo(markdown(rows, report_title(spec)))
    click.echo(f"results in {folder} (continue it with --out {folder})", err=True)

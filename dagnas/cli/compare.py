"""``dagnas compare``: several methods × seeds on one space."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import device_option, out_option, quiet_option


@click.command()
@click.argument("space", required=False)
@click.option(
    "--methods",
    default="darts,crb",
    show_default=True,
    help="Comma-separated presets (darts, crb, crb_admm) or relaxation names.",
)
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--epochs", type=click.IntRange(min=1), help="Search epochs (default: the space's).")
@click.option("--max-steps", type=click.IntRange(min=1), help="Stop each search after N steps.")
@click.option("--retrain-epochs", type=click.IntRange(min=1), default=10, show_default=True)
@device_option()
@out_option("Folder (default runs/compare-NAME).")
@quiet_option("No progress bars.")
def compare(
    space: str | None, methods: str, seeds: int, out: str | None, quiet: bool, **budget: Any
) -> None:
    """Search, retrain and table several METHODS × seeds on SPACE (resumable)."""
    from dagnas.cli.progress import step_bar
    from dagnas.spaces import load_space
    from dagnas.workflows.compare import Budget, markdown, run_compare
    from dagnas.workflows.methods import parse_methods

    chosen = parse_methods(methods)
    spec = load_space(space)
    folder = Path(out) if out else Path("runs") / f"compare-{spec.name}"
    rows = run_compare(
        spec,
        chosen,
        seeds,
        folder,
        Budget(**budget),
        bar=lambda label: step_bar(label, enabled=not quiet),
    )
    click.echo(markdown(rows, spec.name))
    click.echo(f"results in {folder}")

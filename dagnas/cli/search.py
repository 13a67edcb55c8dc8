"""Search commands: run, derive, validate, spaces, sample, schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import data_options, device_option, out_option, quiet_option


@click.command()
@click.argument("space", required=False)
@data_options(default=None, limit_help="smoke runs")
@click.option("--epochs", type=click.IntRange(min=1))
@click.option("--max-steps", type=click.IntRange(min=1), help="Stop after N steps (smoke runs).")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--seed", type=int)
@device_option()
@click.option(
    "--method",
    help="A method (preset or relaxation, as `dagnas compare --methods`), e.g. darts for plain"
    " DARTS; default: the space's.",
)
@click.option(
    "--bench",
    type=click.Path(exists=True),
    help="A benchmark table (CSV/Parquet) or NATS-Bench: score each epoch's architecture.",
)
@out_option("Run folder (default runs/NAME-TIME).")
@click.option(
    "--resume",
    "resume",
    type=click.Path(file_okay=False, exists=True),
    help="Continue the run in this folder.",
)
@click.option(
    "--ddp",
    type=click.IntRange(min=2),
    help="Search data-parallel on N local processes (torchrun; gloo on CPU, nccl on CUDA).",
)
@quiet_option()
@click.pass_context
def run(
    ctx: click.Context,
    space: str | None,
    resume: str | None,
    quiet: bool,
    out: str | None,
    ddp: int | None,
    **options: Any,
) -> None:
    """Search SPACE (a YAML file or built-in name; default: darts_digits).

    Ctrl-C stops after the current step, writes a checkpoint and the
    architecture found so far, and exits with status 130; `--resume` continues.
    Under torchrun (or with --ddp N) the batch is split across processes.
    """
    from dagnas.cli.progress import console, step_bar, summary_table
    from dagnas.engine.distributed import launch, launched, process_group
    from dagnas.spaces import load_space
    from dagnas.workflows.methods import apply_method, resolve_method
    from dagnas.workflows.rundir import load_run_spec, new_run_dir
    from dagnas.workflows.search import run_search, stop_on_signal, with_search

    if ddp and not launched():
        args = _relaunch_args(space, {"resume": resume, "out": out, "quiet": quiet, **options})
        verbose = ["--verbose"] if ctx.find_root().params.get("verbose") else []
        ctx.exit(launch(ddp, [*verbose, "run", *args]))
    method = options.pop("method")
    spec = with_search(load_run_spec(Path(resume)) if resume else load_space(space), **options)
    spec = apply_method(spec, resolve_method(method)) if method else spec
    with process_group(spec.search.device) as here, stop_on_signal() as stop:
        run_dir = Path(resume) if resume else here.on_main(lambda: new_run_dir(spec, out))
        with step_bar(f"search {spec.name}", enabled=not quiet and here.is_main) as hook:
            outcome = run_search(spec, run_dir, resume=bool(resume), on_step=hook, stop=stop)
    if not here.is_main:
        return
    rows = {k: v for k, v in outcome.summary.items() if v is not None}
    rows["run folder"] = str(run_dir)
    console.print(summary_table(f"dagnas run: {spec.name}", rows))
    if stop.signum is not None:
        click.echo(
            f"stopped early at step {outcome.summary['steps']}: the checkpoint and the"
            f" architecture so far are in {run_dir}.\nContinue with: dagnas run --resume {run_dir}",
            err=True,
        )
        ctx.exit(128 + stop.signum)


def _relaunch_args(space: str | None, options: dict[str, Any]) -> list[str]:
    """The command line that repeats ``run`` in each torchrun worker."""
    args = [space] if space else []
    for name, value in options.items():
        if value not in (None, False):
            flag = "--" + name.replace("_", "-")
            args += [flag] if value is True else [flag, str(value)]
    return args


def _floats(ctx: click.Context, param: click.Parameter, value: str | None) -> list[float] | None:
    if value is None:
        return None
    try:
        found = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a comma-separated list of numbers") from None
    if not found or any(v < 0 for v in found):
        raise click.BadParameter(f"'{value}': give one or more λ ≥ 0, e.g. 1e-4,1e-3")
    return found


@click.command()
@click.argument("run_dir", type=click.Path(file_okay=False, exists=True))
@click.option(
    "--lambda",
    "lams",
    callback=_floats,
    help="λ values of a hypernet run, e.g. 1e-4,1e-3,1e-2: one architecture each.",
)
@click.option("--rule", help="A derivation rule instead of the run's (topk, support...).")
def derive(run_dir: str, lams: list[float] | None, rule: str | None) -> None:
    """Derive architectures again from RUN_DIR's checkpoint, with no new search."""
    from rich.console import Console

    from dagnas.cli.progress import rows_table
    from dagnas.workflows.rederive import rederive

    found = rederive(Path(run_dir), lams, rule)
    rows = [
        ["-" if d.lam is None else f"{d.lam:g}", d.rule, str(d.params), d.hash[:12], d.stem]
        for d in found
    ]
    columns = ["λ", "rule", "params", "hash", "files"]
    Console(width=120).print(rows_table(f"dagnas derive: {run_dir}", columns, rows))


@click.command()
@click.argument("spaces", nargs=-1, required=True)
def validate(spaces: tuple[str, ...]) -> None:
    """Check spec files without running them."""
    from dagnas.spaces import load_space

    for name in spaces:
        spec = load_space(name)
        click.echo(f"{name}: ok ({spec.kind} '{spec.name}')")


@click.command()
def spaces() -> None:
    """List the built-in spaces."""
    from dagnas.spaces import builtin_spaces, load_space

    for name, path in sorted(builtin_spaces().items()):
        spec = load_space(path)
        click.echo(f"{name:16s} {spec.kind:12s} {spec.description}")


@click.command()
@click.argument("space")
@click.option("-n", "count", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--seed", type=int, help="Sampler seed (default: the spec's search seed).")
@out_option("Write the DAGs here (JSON).", file=True)
def sample(space: str, count: int, seed: int | None, out: str | None) -> None:
    """Show the size of a dense_blocks SPACE and N DAGs its sampler draws."""
    from dagnas.io import atomic_write_json
    from dagnas.samplers import sample_space
    from dagnas.spaces import load_space

    spec = load_space(space)
    stages = sample_space(spec, count, seed)
    for st in stages:
        click.echo(st.describe())
    if out:
        atomic_write_json(out, {"space": spec.name, "stages": [st.to_json() for st in stages]})
        click.echo(f"wrote {out}")


@click.command()
def schema() -> None:
    """Print the JSON Schema of the spec language."""
    from dagnas.spec import json_schema

    click.echo(json.dumps(json_schema(), indent=2))

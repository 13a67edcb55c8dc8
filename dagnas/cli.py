"""The ``dagnas`` command: parses options and dispatches to the package."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click

from dagnas.errors import DagnasError, SpecError


class UserError(click.ClickException):
    """A DagnasError shown as a message; spec errors exit with status 2."""

    def __init__(self, err: DagnasError):
        super().__init__(str(err))
        self.exit_code = 2 if isinstance(err, SpecError) else 1


class Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DagnasError as e:
            raise UserError(e) from None


@click.group(cls=Group)
@click.option("-v", "--verbose", is_flag=True, help="Log every epoch.")
def main(verbose: bool) -> None:
    """Differentiable architecture search over graph search spaces."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


@main.command()
@click.argument("space", required=False)
@click.option(
    "--data", help="digits (default), mnist, fashion_mnist, cifar10, mnist1d, or an .npz."
)
@click.option("--data-root", type=click.Path(file_okay=False), help="Folder holding the dataset.")
@click.option(
    "--data-limit", type=click.IntRange(min=2), help="Use N training examples (smoke runs)."
)
@click.option("--epochs", type=click.IntRange(min=1))
@click.option("--max-steps", type=click.IntRange(min=1), help="Stop after N steps (smoke runs).")
@click.option("--batch-size", type=click.IntRange(min=1))
@click.option("--seed", type=int)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]))
@click.option(
    "--out", type=click.Path(file_okay=False), help="Run folder (default runs/NAME-TIME)."
)
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
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
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
    from dagnas.progress import console, step_bar, summary_table
    from dagnas.run import (
        load_run_spec,
        new_run_dir,
        resolve_space,
        run_search,
        stop_on_signal,
        with_overrides,
    )
    from dagnas.search.distributed import launch, launched, process_group
    from dagnas.spec import load_space

    if ddp and not launched():
        args = [space] if space else []
        for name, value in {"resume": resume, "out": out, "quiet": quiet, **options}.items():
            if value not in (None, False):
                flag = "--" + name.replace("_", "-")
                args += [flag] if value is True else [flag, str(value)]
        verbose = ["--verbose"] if ctx.find_root().params.get("verbose") else []
        ctx.exit(launch(ddp, [*verbose, "run", *args]))
    if resume:
        spec = with_overrides(load_run_spec(Path(resume)), **options)
    else:
        spec = with_overrides(load_space(resolve_space(space)), **options)
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


@main.command()
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

    from dagnas.progress import rows_table
    from dagnas.rederive import rederive

    found = rederive(Path(run_dir), lams, rule)
    rows = [
        ["-" if d.lam is None else f"{d.lam:g}", d.rule, str(d.params), d.hash[:12], d.stem]
        for d in found
    ]
    columns = ["λ", "rule", "params", "hash", "files"]
    Console(width=120).print(rows_table(f"dagnas derive: {run_dir}", columns, rows))


@main.command()
@click.argument("spaces", nargs=-1, required=True)
def validate(spaces: tuple[str, ...]) -> None:
    """Check spec files without running them."""
    from dagnas.run import resolve_space
    from dagnas.spec import load_space

    for name in spaces:
        spec = load_space(resolve_space(name))
        click.echo(f"{name}: ok ({spec.kind} '{spec.name}')")


@main.command()
def spaces() -> None:
    """List the built-in spaces."""
    from dagnas.run import builtin_spaces
    from dagnas.spec import load_space

    for name, path in sorted(builtin_spaces().items()):
        spec = load_space(path)
        click.echo(f"{name:16s} {spec.kind:12s} {spec.description}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of the spec language."""
    from dagnas.spec import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command()
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
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]))
@click.option("--out", type=click.Path(file_okay=False), help="Folder (default runs/compare-NAME).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars.")
def compare(
    space: str | None, methods: str, seeds: int, out: str | None, quiet: bool, **budget: Any
) -> None:
    """Search, retrain and table several METHODS × seeds on SPACE (resumable)."""
    from dagnas.compare import Budget, markdown, run_compare
    from dagnas.methods import parse_methods
    from dagnas.progress import step_bar
    from dagnas.run import resolve_space
    from dagnas.spec import load_space

    chosen = parse_methods(methods)
    spec = load_space(resolve_space(space))
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

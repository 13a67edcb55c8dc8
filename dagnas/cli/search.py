"""Search commands: run, derive, validate, spaces, sample, schema."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import (
    data_options,
    device_option,
    json_option,
    logger_option,
    out_option,
    quiet_option,
    set_option,
)

SAMPLES = "samples.json"


@click.command()
@click.argument("space", required=False)
@data_options(default=None, limit_help="smoke runs")
@click.option("--epochs", type=click.IntRange(min=1), help="Search epochs (default: the spec's).")
@click.option("--max-steps", type=click.IntRange(min=1), help="Stop after N steps (smoke runs).")
@click.option("--batch-size", type=click.IntRange(min=1), help="Default: the spec's.")
@click.option("--seed", type=int, help="Search seed (default: the spec's).")
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
@out_option("the run (default: runs/NAME-TIME)")
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
@set_option()
@logger_option()
@quiet_option()
@json_option()
@click.pass_context
def run(
    ctx: click.Context,
    space: str | None,
    resume: str | None,
    quiet: bool,
    out: str | None,
    ddp: int | None,
    overrides: dict[str, Any],
    loggers: list[str],
    as_json: bool,
    **options: Any,
) -> None:
    """Search SPACE (a YAML file or built-in name; default: nb201_tiny).

    Ctrl-C stops after the current step, writes a checkpoint and the
    architecture found so far, and exits with status 130; `--resume` continues
    (with --epochs to extend a run, --max-steps, --device or --data-root; they
    are recorded in its config.yaml). One process at a time holds a run folder.
    Under torchrun (or with --ddp N) the batch is split across processes.
    """
    from dagnas.cli.progress import show_result, step_bar
    from dagnas.engine.distributed import launch, launched, process_group
    from dagnas.spaces import load_space
    from dagnas.workflows.methods import apply_method, resolve_method
    from dagnas.workflows.rundir import load_run_spec, run_folder
    from dagnas.workflows.search import run_search, with_search
    from dagnas.workflows.signals import stop_on_signal

    if ddp and not launched():
        given = {"resume": resume, "out": out, "quiet": quiet, "json": as_json, "logger": loggers}
        sets = [f"{k}={json.dumps(v)}" for k, v in overrides.items()]
        args = _relaunch_args(space, {**given, "set": sets, **options})
        verbose = ["--verbose"] if ctx.find_root().params.get("verbose") else []
        ctx.exit(launch(ddp, [*verbose, "run", *args]))
    if resume:
        _check_resume_options(space, out, options)
    method = options.pop("method")
    base = load_run_spec(Path(resume)) if resume else load_space(space)
    spec = with_search(base, origin="option", **options)
    spec = apply_method(spec, resolve_method(method)) if method else spec
    spec = _with_overrides(spec, overrides, loggers, resume)
    with (
        process_group(spec.search.device) as here,
        stop_on_signal() as stop,
        ExitStack() as held,  # rank 0 holds the run folder
    ):
        folder = run_folder(spec, resume or out, resume=bool(resume))
        run_dir = here.on_main(lambda: held.enter_context(folder))
        with step_bar(f"search {spec.name}", enabled=not quiet and here.is_main) as hook:
            outcome = run_search(spec, run_dir, resume=bool(resume), on_step=hook, stop=stop)
    if not here.is_main:
        return
    show_result(
        f"dagnas run: {spec.name}", _summary_rows(outcome.summary, run_dir, as_json), as_json
    )
    if stop.signum is not None:
        click.echo(
            f"stopped early at step {outcome.summary['steps']}: the checkpoint and the"
            f" architecture so far are in {run_dir}.\nContinue with: dagnas run --resume {run_dir}",
            err=True,
        )
        ctx.exit(128 + stop.signum)


def _check_resume_options(space: str | None, out: str | None, options: dict[str, Any]) -> None:
    """UsageError for what `--resume` cannot change: the space, the folder, the search."""
    from dagnas.workflows.rundir import RESUMABLE

    def flag(name: str) -> str:
        return "--" + name.replace("_", "-")

    fixed = [flag(k) for k, v in options.items() if v is not None and k not in RESUMABLE]
    fixed += ["SPACE"] * bool(space) + ["--out"] * bool(out)
    if fixed:
        allowed = ", ".join(flag(k) for k in RESUMABLE)
        raise click.UsageError(
            f"--resume continues a run as its config.yaml says; {', '.join(fixed)} cannot"
            f" change it (only {allowed} can); start a new run instead"
        )


def _relaunch_args(space: str | None, options: dict[str, Any]) -> list[str]:
    """The command line that repeats ``run`` in each torchrun worker (a list value:
    its flag repeated)."""
    args = [space] if space else []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        for item in value if isinstance(value, list) else [value]:
            if item not in (None, False):
                args += [flag] if item is True else [flag, str(item)]
    return args


def _with_overrides(
    spec: Any, overrides: dict[str, Any], loggers: list[str], resume: str | None
) -> Any:
    """``spec`` with the --set fields and the --logger trackers (search.loggers)."""
    from dagnas.spec.overrides import apply_overrides

    given = {**overrides, **({"search.loggers": loggers} if loggers else {})}
    if given and resume:
        raise click.UsageError(
            "--set and --logger change the spec; a resumed run keeps the config.yaml it"
            " started with (start a new run to change it)"
        )
    return apply_overrides(spec, given, origin="--set")


def _summary_rows(summary: dict[str, Any], run_dir: Path, full: bool) -> dict[str, Any]:
    """A run's summary for the table (``full``: every field, for --json): the
    per-edge margins shortened to their spread."""
    rows = {k: v for k, v in summary.items() if v not in (None, []) or full}
    margins = sorted(summary.get("choice_margins", {}).values())
    if margins and not full:
        median = margins[len(margins) // 2]
        rows["choice_margins"] = (
            f"median {median:.3f}, min {margins[0]:.3f}, max {margins[-1]:.3f}"
            f" over {len(margins)} choices"
        )
    rows["run folder"] = str(run_dir)
    return rows


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
@json_option()
def derive(run_dir: str, lams: list[float] | None, rule: str | None, as_json: bool) -> None:
    """Derive architectures again from RUN_DIR's checkpoint, with no new search."""
    from dagnas.cli.progress import show_rows
    from dagnas.workflows.rederive import rederive

    found = rederive(Path(run_dir), lams, rule)
    rows = [
        ["-" if d.lam is None else f"{d.lam:g}", d.rule, str(d.params), d.hash[:12], d.stem]
        for d in found
    ]
    show_rows(f"dagnas derive: {run_dir}", ["λ", "rule", "params", "hash", "files"], rows, as_json)


@click.command()
@click.argument("spaces", nargs=-1, required=True)
@set_option()
@json_option()
@click.pass_context
def validate(
    ctx: click.Context, spaces: tuple[str, ...], overrides: dict[str, Any], as_json: bool
) -> None:
    """Check spec files (or built-in names) without running them, with the --set
    fields, lowered for the data they name. Every file is checked; the exit status
    is 2 if any has a spec error, 1 if any failed otherwise."""
    from dagnas.cli.main import UserError
    from dagnas.cli.progress import echo_json
    from dagnas.errors import DagnasError

    records, lines, failed = [], [], []
    for name in spaces:
        try:
            record, line = _validate_one(name, overrides)
            lines.append(line)
        except DagnasError as e:
            record = {"space": name, "ok": False, "error": str(e)}
            failed.append(UserError(e))
        records.append(record)
    if as_json:
        echo_json(records)
    else:
        for line in lines:
            click.echo(line)
        for e in failed:
            e.show()
    if failed:
        ctx.exit(max(e.exit_code for e in failed))


def _validate_one(name: str, overrides: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``validate``'s JSON record and text line of the spec ``name``; DagnasError if
    it is not valid."""
    from dagnas.spaces import load_space
    from dagnas.spec.check import check_spec
    from dagnas.spec.overrides import apply_overrides

    spec = apply_overrides(load_space(name), overrides, origin="--set")
    lowered = check_spec(spec) is not None
    record = {"space": name, "ok": True, "kind": spec.kind, "name": spec.name}
    note = "" if lowered else f"; shapes unchecked: give input_shape for '{spec.search.data}'"
    return {**record, "shapes_checked": lowered}, f"{name}: ok ({spec.kind} '{spec.name}'{note})"


@click.command()
@json_option()
def spaces(as_json: bool) -> None:
    """List the built-in spaces; `dagnas run` searches the one marked default."""
    from dagnas.cli.progress import echo_json
    from dagnas.spaces import DEFAULT_SPACE, builtin_spaces, load_space

    rows = []
    for name, path in sorted(builtin_spaces().items()):
        spec = load_space(path)
        default = name == DEFAULT_SPACE
        rows.append(
            {"space": name, "kind": spec.kind, "description": spec.description, "default": default}
        )
    if as_json:
        echo_json(rows)
        return
    width = max(len(r["space"]) for r in rows)
    for r in rows:
        mark = " (default)" if r["default"] else ""
        click.echo(f"{r['space']:{width}s}  {r['kind']:12s} {r['description']}{mark}")


@click.command()
@click.argument("space")
@click.option("-n", "count", type=click.IntRange(min=1), default=20)
@click.option("--seed", type=int, help="Sampler seed (default: the spec's search seed).")
@out_option("samples.json, the DAGs in node-link form (default: none written)")
@json_option()
def sample(space: str, count: int, seed: int | None, out: str | None, as_json: bool) -> None:
    """Show the size of a dense_blocks SPACE and N DAGs its sampler draws."""
    from dagnas.cli.progress import echo_json
    from dagnas.io import atomic_write_json
    from dagnas.samplers import sample_space
    from dagnas.spaces import load_space

    spec = load_space(space)
    stages = sample_space(spec, count, seed)
    result = {"space": spec.name, "stages": [st.to_json() for st in stages]}
    if as_json:
        echo_json(result)
    else:
        for st in stages:
            click.echo(st.describe())
    if out:
        path = atomic_write_json(Path(out) / SAMPLES, result)
        click.echo(f"wrote {path}", err=True)


@click.command()
def schema() -> None:
    """Print the JSON Schema of the spec language (with the registered names,
    plugins' included: dagnas --import MODULE schema)."""
    from dagnas.spec import json_schema

    click.echo(json.dumps(json_schema(), indent=2))

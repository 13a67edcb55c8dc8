"""The ``dagnas`` command: parses options and dispatches to the package."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from dagnas.cli.formats import export, query
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
    from dagnas.cli.progress import console, step_bar, summary_table
    from dagnas.search.distributed import launch, launched, process_group
    from dagnas.spec import load_space
    from dagnas.workflows.search import (
        load_run_spec,
        new_run_dir,
        resolve_space,
        run_search,
        stop_on_signal,
        with_overrides,
    )

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

    from dagnas.cli.progress import rows_table
    from dagnas.workflows.rederive import rederive

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
    from dagnas.spec import load_space
    from dagnas.workflows.search import resolve_space

    for name in spaces:
        spec = load_space(resolve_space(name))
        click.echo(f"{name}: ok ({spec.kind} '{spec.name}')")


@main.command()
def spaces() -> None:
    """List the built-in spaces."""
    from dagnas.spec import load_space
    from dagnas.workflows.search import builtin_spaces

    for name, path in sorted(builtin_spaces().items()):
        spec = load_space(path)
        click.echo(f"{name:16s} {spec.kind:12s} {spec.description}")


@main.command()
@click.argument("space")
@click.option("-n", "count", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--seed", type=int, help="Sampler seed (default: the spec's search seed).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the DAGs here (JSON).")
def sample(space: str, count: int, seed: int | None, out: str | None) -> None:
    """Show the size of a dense_blocks SPACE and N DAGs its sampler draws."""
    from dagnas.io import atomic_write_json
    from dagnas.samplers import sample_space
    from dagnas.spec import load_space
    from dagnas.workflows.search import resolve_space

    spec = load_space(resolve_space(space))
    stages = sample_space(spec, count, seed)
    for st in stages:
        click.echo(st.describe())
    if out:
        atomic_write_json(out, {"space": spec.name, "stages": [st.to_json() for st in stages]})
        click.echo(f"wrote {out}")


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
    from dagnas.cli.progress import step_bar
    from dagnas.spec import load_space
    from dagnas.workflows.compare import Budget, markdown, run_compare
    from dagnas.workflows.methods import parse_methods
    from dagnas.workflows.search import resolve_space

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


DATA_HELP = "digits (default), mnist, fashion_mnist, cifar10, mnist1d, or an .npz."


def data_options(f: Any) -> Any:
    """--data, --data-root, --data-limit."""
    f = click.option(
        "--data-limit", type=click.IntRange(min=2), help="Use N training examples (quick runs)."
    )(f)
    f = click.option(
        "--data-root", type=click.Path(file_okay=False), help="Folder holding the dataset."
    )(f)
    return click.option("--data", default="digits", show_default=True, help=DATA_HELP)(f)


def train_options(epochs: int) -> Any:
    """--epochs, --batch-size, --lr of a retraining."""

    def deco(f: Any) -> Any:
        f = click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=0.025)(f)
        f = click.option("--batch-size", type=click.IntRange(min=1), default=64)(f)
        return click.option(
            "--epochs", type=click.IntRange(min=1), default=epochs, show_default=True
        )(f)

    return deco


@main.command()
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
@data_options
@train_options(epochs=10)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Folder (default: runs/train-DATA-TIME)."
)
@click.pass_context
def train(
    ctx: click.Context,
    arch: str | None,
    genotype: str | None,
    space: str | None,
    protocol: str | None,
    resume: str | None,
    data: str,
    data_root: str | None,
    data_limit: int | None,
    **opts: Any,
) -> None:
    """Retrain the Architecture in ARCH (node-link JSON), or a DARTS genotype in a
    space (--genotype G --space S), from scratch; write metrics.jsonl, model.pt
    and result.json."""
    from dagnas.cli.progress import console, summary_table
    from dagnas.data import load_dataset
    from dagnas.export import read_json
    from dagnas.export.fixed import from_genotype
    from dagnas.spec import load_space
    from dagnas.training.files import default_train_dir
    from dagnas.training.protocols import Protocol, get_protocol
    from dagnas.training.retrain import resume as resume_in
    from dagnas.training.retrain import retrain
    from dagnas.workflows.search import pick_device, resolve_space

    device = pick_device(opts.pop("device"))
    if resume is not None:
        result = resume_in(Path(resume), device=device)
        out, title = Path(resume), f"dagnas train --resume {resume}"
    else:
        if (arch is None) == (genotype is None) or (genotype is None) != (space is None):
            raise click.UsageError("give ARCH, or --genotype with --space")
        out = Path(opts.pop("out") or default_train_dir(data))
        source = {"name": data, "root": data_root, "seed": opts["seed"], "limit": data_limit}
        splits = load_dataset(**source)
        if genotype is not None:
            spec = load_space(resolve_space(space))
            found = from_genotype(genotype, spec, splits.input_shape, splits.num_classes)
        else:
            found = read_json(arch)
        given = {  # with --protocol, only the options given override the preset
            k: v
            for k, v in opts.items()
            if protocol is None or ctx.get_parameter_source(k) != ParameterSource.DEFAULT
        }
        settings = get_protocol(protocol, **given) if protocol else Protocol(**given)
        result = retrain(found, settings, splits, out, device=device, source=source)
        title = f"dagnas train: {arch or genotype} on {splits.name}"
    rows = {k: result[k] for k in ("test_acc", "params", "graph_params", "flops", "wall_time")}
    console.print(summary_table(title, {**rows, "out": out}))


@main.command()
@click.argument("space")
@click.option("--sample", type=click.IntRange(min=1), required=True, help="Candidates to draw.")
@data_options
@train_options(epochs=1)
@click.option("--seeds", type=click.IntRange(min=1), default=1, help="Train seeds 0..S-1.")
@click.option("--sample-seed", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local", show_default=True)
@click.option("--address", help="Ray cluster address (default: a local Ray instance).")
@click.option(
    "--store",
    type=click.Path(dir_okay=False),
    default="evaluations.sqlite",
    show_default=True,
    help="SQLite evaluations store (shared safely by several writers).",
)
@click.option(
    "--rank-with",
    type=click.Path(exists=True, dir_okay=False),
    help="A predictor from `dagnas predict fit`: train the N ranked best of POOL×N drawn.",
)
@click.option("--pool", type=click.IntRange(min=1), default=4, show_default=True)
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
def evaluate(space: str, store: str, quiet: bool, **opts: Any) -> None:
    """Train SPACE's candidates standalone and record them in the store (resumable)."""
    from dagnas.cli.progress import console, summary_table, task_bar
    from dagnas.evaluate.jobs import DataRef, EvalPlan, evaluate_space
    from dagnas.spec import load_space
    from dagnas.training.retrain import TrainConfig
    from dagnas.workflows.search import resolve_space

    spec = load_space(resolve_space(space))
    data = DataRef(opts.pop("data"), opts.pop("data_root"), opts.pop("data_limit"))
    train = TrainConfig(**{k: opts.pop(k) for k in ("epochs", "batch_size", "lr")})
    plan = EvalPlan(data=data, train=train, **opts)
    with task_bar(f"evaluate {spec.name}", enabled=not quiet) as bar:
        summary = evaluate_space(
            spec,
            store,
            plan,
            on_result=lambda ev: bar.advance(f"acc {ev.accuracy:.3f}"),
            on_start=bar.start,
        )
    rows = {
        "candidates": summary.candidates,
        "already stored": summary.skipped,
        "trained": summary.trained,
        "wall time (s)": summary.wall_time,
        "store": summary.store,
    }
    console.print(summary_table(f"dagnas evaluate: {spec.name} on {data.name}", rows))


def store_filters(f: Any) -> Any:
    """--space, --dataset, --epochs: which rows of the store to use."""
    f = click.option("--epochs", type=int, help="Only evaluations trained this many epochs.")(f)
    f = click.option("--dataset", help="Only evaluations on this dataset.")(f)
    return click.option("--space", help="Only evaluations of this space.")(f)


def read_rows(store: str, **where: Any) -> list[dict[str, Any]]:
    from dagnas.analysis.store import EvalStore

    with EvalStore(store) as db:
        return db.rows(**{k: v for k, v in where.items() if v is not None})


@main.command()
@click.argument("store", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", default="dataset", show_default=True, help="dataset, space, epochs, budget.")
@store_filters
@click.option("--out", type=click.Path(file_okay=False), help="Folder (default: STORE-report/).")
@click.option("--boot", type=click.IntRange(min=100), default=1000, show_default=True)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
def analyze(store: str, by: str, out: str | None, boot: int, seed: int, **where: Any) -> None:
    """Relate DAG metrics to accuracy in STORE: report.md, stats.json and PNG plots."""
    from dagnas.analysis.report import REPORT, analyze

    folder = Path(out) if out else Path(store).with_name(Path(store).stem + "-report")
    columns = [c.strip() for c in by.split(",") if c.strip()]
    result = analyze(read_rows(store, **where), folder, columns, boot, seed, source=store)
    for group in sorted(result.groups):
        top = ", ".join(
            f"{result.label(group, c.metric)} ρ={c.spearman:+.2f}" for c in result.strongest(group)
        )
        click.echo(f"{group} ({result.groups[group]} architectures): {top or 'no variation'}")
    click.echo(f"report: {folder / REPORT}")


@main.group(cls=Group)
def predict() -> None:
    """A graph neural network that predicts accuracy from an Architecture."""


@predict.command("fit")
@click.argument("store", type=click.Path(exists=True, dir_okay=False))
@store_filters
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Model file (default: STORE-DATASET.pt)."
)
@click.option("--splits", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--fit-epochs", type=click.IntRange(min=1), default=300, show_default=True)
@click.option("--hidden", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--layers", type=click.IntRange(min=1), default=4, show_default=True)
@click.option(
    "--test-fraction",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.25,
    show_default=True,
)
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True)
def predict_fit(store: str, out: str | None, splits: int, fit_epochs: int, **opts: Any) -> None:
    """Fit the GNN predictor on STORE: Kendall τ on held-out splits (mean ± sd) next to
    the best single metric's; the saved model is fitted on every architecture."""
    from dagnas.analysis.predict import PredictorConfig, fit_predictor
    from dagnas.cli.progress import console, summary_table

    where = {k: opts.pop(k) for k in ("space", "dataset", "epochs")}
    predictor, fit = fit_predictor(
        read_rows(store, **where), PredictorConfig(epochs=fit_epochs, **opts), splits
    )
    path = Path(out) if out else Path(store).with_name(f"{Path(store).stem}-{fit.dataset}.pt")
    predictor.save(path)
    first = fit.splits[0]

    def pm(name: str) -> str:
        mean, sd = fit.mean_sd(name)
        return f"{mean:+.3f} ± {sd:.3f}"

    best = sorted({s.best_metric for s in fit.splits})
    rows = {
        "architectures (train / held out)": f"{first.n_train} / {first.n_test}, {splits} splits",
        "predictor τ, held out": pm("tau_test"),
        f"best metric on train ({', '.join(best)}) τ, held out": pm("best_metric_tau_test"),
        "best metric on held out |τ| (optimistic)": pm("oracle_metric_tau_test"),
        "predictor τ, train": pm("tau_train"),
        "model (fitted on all)": path,
    }
    console.print(summary_table(f"dagnas predict fit: {fit.dataset}", rows))


main.add_command(export)
main.add_command(query)

"""Many candidates: evaluate, analyze, predict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dagnas.cli.options import (
    data_options,
    json_option,
    out_option,
    quiet_option,
    seed_option,
    store_filters,
    train_options,
)
from dagnas.io import new_folder

PREDICTOR = "predictor.pt"


@click.command()
@click.argument("space")
@click.option("--sample", type=click.IntRange(min=1), help="Candidates to draw.")
@click.option(
    "--all",
    "exhaustive",
    is_flag=True,
    help="Every architecture of a small space, up to isomorphism (a tabular benchmark).",
)
@data_options()
@train_options(epochs=1)
@click.option("--seeds", type=click.IntRange(min=1), default=1, help="Train seeds 0..S-1.")
@click.option("--sample-seed", type=click.IntRange(min=0), default=0)
@click.option("--workers", type=click.IntRange(min=1), default=1)
@click.option("--backend", type=click.Choice(["local", "ray"]), default="local")
@click.option("--address", help="Ray cluster address (default: a local Ray instance).")
@click.option(
    "--store",
    type=click.Path(dir_okay=False),
    default="evaluations.sqlite",
    help="SQLite evaluations store, added to (shared safely by several writers).",
)
@click.option(
    "--rank-with",
    type=click.Path(exists=True),
    callback=lambda ctx, param, value: _predictor_file(value),
    help="A predictor from `dagnas predict fit` (its folder or predictor.pt): train the N"
    " ranked best of POOL×N drawn.",
)
@click.option("--pool", type=click.IntRange(min=1), default=4)
@click.option(
    "--csv",
    "csv_out",
    type=click.Path(dir_okay=False),
    help="Then write this space's evaluations (this data and budget) as a CSV table.",
)
@quiet_option()
@json_option()
def evaluate(
    space: str, store: str, quiet: bool, csv_out: str | None, as_json: bool, **opts: Any
) -> None:
    """Train SPACE's candidates standalone and record them in the store (resumable)."""
    from dagnas.cli.progress import show_result, task_bar
    from dagnas.evaluate.jobs import DataRef, EvalPlan, budget_of, evaluate_space
    from dagnas.evaluate.table import export_table
    from dagnas.spaces import load_space
    from dagnas.training.retrain import TrainConfig

    if (opts["sample"] is None) != opts["exhaustive"]:
        raise click.UsageError("give one of --sample N and --all")
    spec = load_space(space)
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
    if csv_out is not None:
        where = {"space": spec.name, "dataset": data.name, "budget": budget_of(train, data)}
        rows["table"] = f"{csv_out} ({export_table(store, csv_out, **where)} architectures)"
    show_result(f"dagnas evaluate: {spec.name} on {data.name}", rows, as_json)


def _predictor_file(path: str | None) -> str | None:
    """``path``, or ``path/predictor.pt`` when it is a folder."""
    return str(Path(path) / PREDICTOR) if path and Path(path).is_dir() else path


def read_rows(store: str, **where: Any) -> list[dict[str, Any]]:
    """The store's rows that match the given filters (None: any), read-only."""
    from dagnas.analysis.store import EvalStore

    with EvalStore(store, readonly=True) as db:
        return db.rows(**{k: v for k, v in where.items() if v is not None})


@click.command()
@click.argument("store", type=click.Path(exists=True, dir_okay=False))
@click.option("--by", default="dataset", help="dataset, space, epochs, budget.")
@store_filters
@out_option("report.md, stats.json and plots (default: runs/analyze-STORE-TIME)")
@click.option("--boot", type=click.IntRange(min=100), default=1000, help="Bootstrap resamples.")
@seed_option("Bootstrap seed.")
@json_option()
def analyze(
    store: str, by: str, out: str | None, boot: int, seed: int, as_json: bool, **where: Any
) -> None:
    """Relate DAG metrics to accuracy in STORE: report.md, stats.json and PNG plots.

    A group of fewer than 10 architectures gets no bootstrap intervals (a warning
    says so): resampling so few points gives intervals that mean little.
    """
    from dagnas.analysis.report import REPORT, analyze
    from dagnas.cli.progress import echo_json

    folder = Path(out) if out else new_folder(f"analyze-{Path(store).stem}")
    columns = [c.strip() for c in by.split(",") if c.strip()]
    result = analyze(read_rows(store, **where), folder, columns, boot, seed, source=store)
    lines = {}
    for group in sorted(result.groups):
        top = result.strongest(group)
        lines[group] = {
            "architectures": result.groups[group],
            "strongest": [
                {
                    "metric": result.label(group, c.metric),
                    "spearman": c.spearman,
                    "p": c.spearman_p,
                    "ci": list(c.spearman_ci),
                }
                for c in top
            ],
        }
        text = ", ".join(
            f"{result.label(group, c.metric)} ρ={c.spearman:+.2f} (p={c.spearman_p:.2g})"
            for c in top
        )
        if not as_json:
            click.echo(f"{group} ({result.groups[group]} architectures): {text or 'no variation'}")
    if as_json:
        echo_json({"groups": lines, "report": str(folder / REPORT)})
    else:
        click.echo(f"report: {folder / REPORT}")


@click.group()
def predict() -> None:
    """A graph neural network that predicts accuracy from an Architecture."""


@predict.command("fit")
@click.argument("store", type=click.Path(exists=True, dir_okay=False))
@store_filters
@out_option("predictor.pt (default: runs/predict-STORE-TIME)")
@click.option("--splits", type=click.IntRange(min=1), default=5)
@click.option("--fit-epochs", type=click.IntRange(min=1), default=300)
@click.option("--hidden", type=click.IntRange(min=1), default=64)
@click.option("--layers", type=click.IntRange(min=1), default=4)
@click.option(
    "--test-fraction", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=0.25
)
@seed_option()
@json_option()
def predict_fit(
    store: str, out: str | None, splits: int, fit_epochs: int, as_json: bool, **opts: Any
) -> None:
    """Fit the GNN predictor on STORE: Kendall τ on held-out splits (mean ± sd) next to
    the best single metric's; the saved model is fitted on every architecture."""
    from dagnas.analysis.predict import PredictorConfig, fit_predictor
    from dagnas.cli.progress import show_result

    where = {k: opts.pop(k) for k in ("space", "dataset", "epochs")}
    predictor, fit = fit_predictor(
        read_rows(store, **where), PredictorConfig(epochs=fit_epochs, **opts), splits
    )
    folder = Path(out) if out else new_folder(f"predict-{Path(store).stem}")
    path = folder / PREDICTOR
    folder.mkdir(parents=True, exist_ok=True)
    predictor.save(path)
    show_result(f"dagnas predict fit: {fit.dataset}", _fit_rows(fit, splits, path), as_json)


def _fit_rows(fit: Any, splits: int, path: Path) -> dict[str, Any]:
    """The summary rows of a predictor fit."""
    first = fit.splits[0]

    def pm(name: str) -> str:
        mean, sd = fit.mean_sd(name)
        return f"{mean:+.3f} ± {sd:.3f}"

    best = sorted({s.best_metric for s in fit.splits})
    return {
        "architectures (train / held out)": f"{first.n_train} / {first.n_test}, {splits} splits",
        "predictor τ, held out": pm("tau_test"),
        f"best metric on train ({', '.join(best)}) τ, held out": pm("best_metric_tau_test"),
        "best metric on held out |τ| (optimistic)": pm("oracle_metric_tau_test"),
        "predictor τ, train": pm("tau_train"),
        "model (fitted on all)": path,
    }

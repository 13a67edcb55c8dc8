"""``dagnas query`` and ``dagnas export``: the field's formats and benchmarks."""

from __future__ import annotations

from pathlib import Path

import click

from dagnas.errors import DagnasError

FORMAT_NAMES = ["onnx", "pt2", "torchscript", "genotype", "nb201", "dot"]


def _shape(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, ...] | None:
    if value is None:
        return None
    try:
        shape = tuple(int(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(
            f"'{value}' is not a comma-separated shape, e.g. 3,32,32"
        ) from None
    if not shape or min(shape) < 1:
        raise click.BadParameter(f"'{value}': give positive sizes, e.g. 3,32,32")
    return shape


def _architecture_file(arch: str) -> Path:
    """ARCH itself, or the architecture.json of the run folder ARCH."""
    path = Path(arch)
    if path.is_dir():
        path = path / "architecture.json"
        if not path.exists():
            raise DagnasError(f"{arch} has no architecture.json: not a finished run folder")
    return path


@click.command()
@click.argument("arch", type=click.Path(exists=True))
@click.option("--to", "fmt", type=click.Choice(FORMAT_NAMES), required=True)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    help="Folder for the file (default: ARCH's folder, beside the architecture).",
)
@click.option(
    "--input-shape", callback=_shape, help="C,H,W to trace at (default: the searched data's)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON on stdout.")
def export(
    arch: str, fmt: str, out: str | None, input_shape: tuple[int, ...] | None, as_json: bool
) -> None:
    """Write the Architecture ARCH (architecture.json, or a run folder) as a standalone
    model (onnx, pt2, torchscript: freshly initialised weights) or as text (genotype,
    nb201, dot)."""
    from dagnas.cli.progress import echo_json
    from dagnas.export import read_architecture
    from dagnas.export.model import FORMATS, export_model

    path = _architecture_file(arch)
    name = f"{path.stem}-{fmt}{FORMATS[fmt]}"
    target = Path(out) / name if out else path.with_name(name)
    written = export_model(read_architecture(path), fmt, target, input_shape)
    if as_json:
        echo_json({"file": str(written), "format": fmt})
    else:
        click.echo(f"wrote {written}")


@click.command()
@click.argument("source", type=click.Path())
@click.argument("target")
@click.option("--every-epoch", "epochs", is_flag=True, help="Every epoch of the run folder TARGET.")
@click.option("--arch-column", help="The table's architecture column (default: detected).")
@click.option("--metric", "metrics", multiple=True, help="A metric column (default: numeric ones).")
@click.option("--dataset", default="cifar10", help="NATS-Bench dataset.")
@click.option("--hp", type=click.Choice(["12", "200"]), default="200")
@click.option("--json", "as_json", is_flag=True, help="One JSON line per look-up.")
def query(
    source: str,
    target: str,
    epochs: bool,
    arch_column: str | None,
    metrics: tuple[str, ...],
    dataset: str,
    hp: str,
    as_json: bool,
) -> None:
    """The benchmark scores of TARGET in SOURCE.

    SOURCE: a CSV/Parquet table (architecture strings and metrics) or a
    NATS-Bench topology benchmark (file or directory). TARGET: a run folder,
    an architecture.json, or an NB201 / genotype string.
    """
    from dagnas.bench import Hit, open_source, query_architecture, query_epochs, query_run
    from dagnas.bench.table import string_kind
    from dagnas.cli.progress import echo_json, show_rows
    from dagnas.export import read_json

    bench = open_source(source, arch_column, metrics or None, dataset, hp)
    path = Path(target)
    if epochs:
        hits = query_epochs(bench, path)
    elif path.is_dir():
        hits = [query_run(bench, path)]
    elif path.is_file():
        hits = [query_architecture(bench, read_json(path))]
    elif string_kind(target):
        hits = [Hit(target, bench.lookup(target))]
    else:
        raise DagnasError(
            f"'{target}' is neither a run folder, an architecture file, nor an NB201 or"
            " genotype string"
        )
    if as_json:
        echo_json([{"epoch": h.epoch, "arch": h.arch, **h.metrics} for h in hits])
        return
    names = sorted({k for h in hits for k in h.metrics})
    rows = [
        ["" if h.epoch is None else str(h.epoch), h.arch, *(f"{h.metrics[k]:g}" for k in names)]
        for h in hits
    ]
    show_rows(f"dagnas query: {source}", ["epoch", "architecture", *names], rows, False)

"""Pictures of a run folder's records: ``alpha.png`` and ``curves.png``.

They read only the files a run writes (``alpha.jsonl``, ``metrics.jsonl``),
or the same records given as a list, so they work on a finished run, on a
run still going, and apart from the search loop:

- :func:`plot_alpha`: small multiples, one panel per edge (or per choice of
  a dense stage), each op's mixing weight over the epochs, one colour per op
  in every panel, the uniform weight ``1/#ops`` dotted; all panels share the
  y axis from 0, so a search that stays near uniform looks flat.
- :func:`plot_curves`: loss and accuracy per epoch, of the weight steps
  (train split) and of the architecture steps (validation split).

matplotlib is imported when a picture is made (Agg canvas, no pyplot).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagnas.errors import DagnasError
from dagnas.io import atomic_write, read_jsonl

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ALPHA, METRICS = "alpha.jsonl", "metrics.jsonl"
Records = Sequence[Mapping[str, Any]]
Source = str | os.PathLike[str] | Records
PANEL_W, PANEL_H, MAX_COLUMNS = 2.4, 1.9, 6  # inches, panels per row
CURVES = {
    "loss": [("train_loss", "train (weight steps)"), ("val_loss", "val (architecture steps)")],
    "accuracy": [("train_acc", "train (weight steps)"), ("val_acc", "val (architecture steps)")],
}


def read_records(source: Source, name: str) -> list[dict[str, Any]]:
    """The records of ``source``: a list as given, or ``source/name`` (a JSONL file) read,
    a torn last line (a run killed mid-write) left out."""
    if not isinstance(source, (str, os.PathLike)):
        return [dict(r) for r in source]
    path = Path(source) / name
    if not path.is_file():
        raise DagnasError(f"{path}: not found; give a run folder written by `dagnas run`")
    return read_jsonl(path)


def _first_seen(groups: Sequence[Sequence[str]]) -> list[str]:
    return list(dict.fromkeys(x for g in groups for x in g))


def alpha_figure(records: Records) -> Figure:
    """Small multiples of the mixing weights in ``records`` (``alpha.jsonl`` lines).

    Each op's line carries the gid ``"<edge key>|<op>"``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    if not records:
        raise DagnasError("no mixing weights recorded yet (alpha.jsonl is empty)")
    epochs = [r["epoch"] for r in records]
    keys = _first_seen([list(r["weights"]) for r in records])
    ops = {k: _first_seen([list(r["weights"].get(k, {})) for r in records]) for k in keys}
    colour = {op: f"C{i % 10}" for i, op in enumerate(_first_seen(list(ops.values())))}
    top = max(w for r in records for row in r["weights"].values() for w in row.values())
    cols = min(len(keys), MAX_COLUMNS)
    rows = math.ceil(len(keys) / cols)
    width = max(PANEL_W * cols, 1.5 * min(len(colour), 8))  # room for the legend
    fig = Figure(figsize=(width, PANEL_H * rows + 0.9))
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey=True).ravel()
    marker = "o" if len(epochs) <= 12 else None
    for ax, key in zip(axes, keys, strict=False):
        for op in ops[key]:
            ys = [r["weights"].get(key, {}).get(op, math.nan) for r in records]
            (line,) = ax.plot(epochs, ys, color=colour[op], marker=marker, ms=3, lw=1.2, label=op)
            line.set_gid(f"{key}|{op}")
        ax.axhline(1 / len(ops[key]), color="#999999", ls=":", lw=0.8)
        ax.set_title(key, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in axes[len(keys) :]:
        ax.set_axis_off()
    axes[0].set_ylim(0, 1.05 * top)
    axes[0].xaxis.set_major_locator(MaxNLocator(integer=True))
    handles = [axes[0].plot([], [], color=c, lw=2)[0] for c in colour.values()]
    fig.legend(handles, list(colour), loc="upper center", ncol=min(len(colour), 8), fontsize=8)
    fig.supxlabel("epoch", fontsize=9)
    fig.supylabel("mixing weight (dotted: uniform)", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.5 / fig.get_figheight()))
    return fig


def curves_figure(records: Records) -> Figure:
    """Loss and accuracy per epoch from ``records`` (``metrics.jsonl`` lines).

    Each line carries its metric's name as gid (``"train_loss"``, ...).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    records = [r for r in records if "epoch" in r]
    if not records:
        raise DagnasError("no epoch recorded yet (metrics.jsonl is empty)")
    fig = Figure(figsize=(9, 3.4))
    FigureCanvasAgg(fig)
    epochs = [r["epoch"] for r in records]
    for ax, (what, curves) in zip(fig.subplots(1, 2), CURVES.items(), strict=True):
        for name, label in curves:
            if any(name in r for r in records):
                ys = [r.get(name, math.nan) for r in records]
                (line,) = ax.plot(
                    epochs, ys, marker="o" if len(epochs) <= 12 else None, label=label
                )
                line.set_gid(name)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(what)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _save(fig: Figure, path: str | os.PathLike[str], dpi: int) -> Path:
    return atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=dpi))


def plot_alpha(source: Source, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``alpha.png``-style small multiples from a run folder's ``alpha.jsonl``
    (or its records); returns ``path``."""
    return _save(alpha_figure(read_records(source, ALPHA)), path, dpi)


def plot_curves(source: Source, path: str | os.PathLike[str], dpi: int = 100) -> Path:
    """Write ``curves.png``-style loss and accuracy curves from a run folder's
    ``metrics.jsonl`` (or its records); returns ``path``."""
    return _save(curves_figure(read_records(source, METRICS)), path, dpi)

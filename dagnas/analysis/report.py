"""``dagnas analyze``: DAG metrics vs accuracy, as a markdown report with PNG plots.

:func:`analyze` reads the store's rows, builds the per-architecture table
(:mod:`dagnas.analysis.metrics`), correlates every metric with accuracy per
group and compares groups pairwise (:mod:`dagnas.analysis.stats`), and
writes into ``out``: ``report.md``, ``stats.json``, ``architectures.csv``,
``scatter_<metric>.png`` (every group's points and least-squares trend line)
and ``heatmap_<group>.png`` (Spearman ρ between accuracy and the metrics).

Small groups: below :data:`MIN_CI_N` architectures no bootstrap interval is
computed or shown, and a warning says so. With so few points a percentile
bootstrap resamples only a handful of distinct sets, many with ties, and its
interval can be narrow and even exclude the estimate (at n = 4: ρ = −0.78
with "CI [−1.00, −0.77]" beside p = 0.23); the p-values, exact or
asymptotic, stay in the report.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dagnas.analysis.metrics import architecture_table, metric_names
from dagnas.analysis.stats import LEVEL, Correlation, Difference, compare_groups, correlate
from dagnas.errors import DagnasError
from dagnas.io import atomic_write, atomic_write_json, atomic_write_text

REPORT = "report.md"
#: fewest architectures in a group for bootstrap intervals
MIN_CI_N = 10
log = logging.getLogger(__name__)


@dataclass
class Analysis:
    """Correlations per group, differences per group pair, the table, the files written."""

    groups: dict[str, int]
    correlations: dict[str, list[Correlation]]
    differences: list[Difference]
    records: list[dict[str, Any]]
    files: list[Path] = field(default_factory=list)

    def strongest(self, group: str, k: int = 3) -> list[Correlation]:
        """The ``k`` metrics with the largest |Spearman ρ| in ``group``, one per set of
        metrics that rank the group's architectures identically (see :meth:`label`)."""
        same = equivalent_metrics(self.records, group)
        valid = [c for c in self.correlations[group] if math.isfinite(c.spearman)]
        return sorted((c for c in valid if c.metric in same), key=lambda c: -abs(c.spearman))[:k]

    def label(self, group: str, metric: str) -> str:
        """``metric`` and the metrics ranking ``group`` identically: "edges (≡ density)"."""
        same = equivalent_metrics(self.records, group).get(metric, [])
        return f"{metric} (≡ {', '.join(same)})" if same else metric


def equivalent_metrics(records: Sequence[dict[str, Any]], group: str) -> dict[str, list[str]]:
    """First metric → the later metrics with the same ranks in ``group`` (e.g. edges,
    density and mean degrees when every DAG has as many nodes)."""
    from scipy import stats as sps

    found: dict[str, list[str]] = {}
    ranks: dict[str, np.ndarray] = {}
    for m in metric_names(records):
        r = sps.rankdata(_column(records, group, m))
        first = next((f for f, rf in ranks.items() if np.array_equal(rf, r)), None)
        if first is None:
            ranks[m], found[m] = r, []
        else:
            found[first].append(m)
    return found


def _column(records: Sequence[dict[str, Any]], group: str, name: str) -> np.ndarray:
    return np.array([r[name] for r in records if r["group"] == group], dtype=float)


def correlations_of(
    records: list[dict[str, Any]], n_boot: int = 1000, seed: int = 0
) -> tuple[dict[str, int], dict[str, list[Correlation]], list[Difference]]:
    """(architectures per group, correlations per group, differences per group pair)."""
    groups = sorted({r["group"] for r in records})
    metrics = metric_names(records)
    sizes = {g: sum(r["group"] == g for r in records) for g in groups}
    boot = {g: n_boot if sizes[g] >= MIN_CI_N else 0 for g in groups}  # see MIN_CI_N
    corr = {
        g: [
            correlate(m, _column(records, g, m), _column(records, g, "accuracy"), boot[g], seed)
            for m in metrics
        ]
        for g in groups
    }
    diffs = [
        compare_groups(
            m,
            (a, _column(records, a, m), _column(records, a, "accuracy")),
            (b, _column(records, b, m), _column(records, b, "accuracy")),
            min(boot[a], boot[b]),
            seed,
        )
        for a, b in itertools.combinations(groups, 2)
        for m in metrics
    ]
    return sizes, corr, diffs


def analyze(
    rows: Sequence[dict[str, Any]],
    out: str | Path,
    by: Sequence[str] = ("dataset",),
    n_boot: int = 1000,
    seed: int = 0,
    source: str = "",
) -> Analysis:
    """Analyse store ``rows`` grouped ``by`` columns; write the report into ``out``."""
    if not rows:
        raise DagnasError(f"no evaluations to analyse in {source or 'the store'}")
    records = architecture_table(rows, by)
    sizes, corr, diffs = correlations_of(records, n_boot, seed)
    for group in sorted(g for g, n in sizes.items() if n < MIN_CI_N):
        log.warning(
            "%s: %d architectures; no bootstrap intervals under %d (too few points to"
            " resample); the correlations are rough, read their p-values",
            group,
            sizes[group],
            MIN_CI_N,
        )
    result = Analysis(sizes, corr, diffs, records)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    result.files += _plots(result, folder)
    result.files.append(atomic_write_text(folder / "architectures.csv", _csv(records)))
    result.files.append(atomic_write_json(folder / "stats.json", _json(result)))
    text = markdown(result, rows, by, n_boot, seed, source)
    result.files.append(atomic_write_text(folder / REPORT, text))
    return result


def _csv(records: Sequence[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(records[0]))
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()


def _json(result: Analysis) -> dict[str, Any]:
    def clean(obj: Any) -> Any:
        if isinstance(obj, float) and not math.isfinite(obj):
            return None
        if isinstance(obj, dict):
            return {k: clean(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [clean(v) for v in obj]
        return obj

    return clean(
        {
            "groups": result.groups,
            "correlations": {g: [asdict(c) for c in cs] for g, cs in result.correlations.items()},
            "differences": [asdict(d) for d in result.differences],
        }
    )


def _fmt(v: float, spec: str = ".3f") -> str:
    return format(v, spec) if math.isfinite(v) else "–"


def _ci(ci: tuple[float, float]) -> str:
    return f"[{_fmt(ci[0], '.2f')}, {_fmt(ci[1], '.2f')}]" if math.isfinite(ci[0]) else "–"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "all"


def _group_section(result: Analysis, group: str) -> list[str]:
    lines = [f"## {group} ({result.groups[group]} architectures)", ""]
    if result.groups[group] < MIN_CI_N:
        lines += [
            f"**Fewer than {MIN_CI_N} architectures: no bootstrap intervals** (resampling so"
            " few points gives intervals that mean little); read the p-values, and evaluate"
            " more architectures for intervals.",
            "",
        ]
    top = result.strongest(group)
    if top:
        lines.append(
            "Strongest (|Spearman ρ|): "
            + "; ".join(
                f"**{result.label(group, c.metric)}** ρ = {c.spearman:+.3f} "
                f"{_ci(c.spearman_ci)}, τ = {c.kendall:+.3f}"
                for c in top
            )
            + "."
        )
        lines.append("")
    lines += [
        "| metric | n | Spearman ρ | CI | p | Kendall τ | CI | p |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in sorted(result.correlations[group], key=lambda c: -abs(np.nan_to_num(c.spearman))):
        note = "" if math.isfinite(c.spearman) else " (constant)"
        lines.append(
            f"| {c.metric}{note} | {c.n} | {_fmt(c.spearman)} | {_ci(c.spearman_ci)} | "
            f"{_fmt(c.spearman_p, '.2g')} | {_fmt(c.kendall)} | {_ci(c.kendall_ci)} | "
            f"{_fmt(c.kendall_p, '.2g')} |"
        )
    lines += ["", f"![Spearman heatmap, {group}](heatmap_{_slug(group)}.png)", ""]
    return lines


def _difference_section(result: Analysis) -> list[str]:
    if not result.differences:
        return []
    lines = [
        "## Does a correlation differ between groups?",
        "",
        "| metric | a | b | ρ_a | ρ_b | Δρ | CI | Fisher z | p |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for d in sorted(result.differences, key=lambda d: np.nan_to_num(d.p, nan=2.0)):
        lines.append(
            f"| {d.metric} | {d.a} | {d.b} | {_fmt(d.rho_a)} | {_fmt(d.rho_b)} | "
            f"{_fmt(d.diff)} | {_ci(d.diff_ci)} | {_fmt(d.z, '.2f')} | {_fmt(d.p, '.2g')} |"
        )
    return [*lines, ""]


def markdown(
    result: Analysis,
    rows: Sequence[dict[str, Any]],
    by: Sequence[str],
    n_boot: int,
    seed: int,
    source: str,
) -> str:
    """The report: setup, method, one section per group, group differences, plots."""
    spaces = sorted({r["space"] for r in rows})
    budgets = sorted({r["budget"] for r in rows})
    pct = round(100 * LEVEL)
    lines = [
        f"# DAG structure vs accuracy{': ' + source if source else ''}",
        "",
        f"{len(rows)} evaluations of {len({r['hash'] for r in rows})} architectures; "
        f"space(s) {', '.join(spaces)}; grouped by {', '.join(by)}.",
        "",
        *[f"- budget: `{b}`" for b in budgets],
        "",
        "Method: one point per architecture (test accuracy averaged over its training "
        "seeds). Spearman ρ and Kendall τ-b with scipy's p-values; "
        f"{pct}% percentile-bootstrap intervals from {n_boot} resamples of architectures "
        f"(seed {seed}). Group differences: Δρ with a bootstrap interval (groups resampled "
        "independently) and a Fisher z test with var(atanh ρ) = 1.06/(n−3) "
        "(Fieller, Hartley & Pearson 1957). Metrics: dagnas.graph.dag_metrics on the "
        "active subgraph, parameters, FLOPs counted as multiply-accumulates.",
        "",
    ]
    for group in sorted(result.groups):
        lines += _group_section(result, group)
    lines += _difference_section(result)
    lines += ["## Scatter plots", ""]
    lines += [f"![{m}](scatter_{_slug(m)}.png)" for m in metric_names(result.records)]
    return "\n".join(lines) + "\n"


def _plots(result: Analysis, folder: Path) -> list[Path]:
    """One scatter per metric (all groups) and one heatmap per group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    files = []
    records = result.records
    for m in metric_names(records):
        fig, ax = plt.subplots(figsize=(4.5, 3.5))
        for g in sorted(result.groups):
            x, y = _column(records, g, m), _column(records, g, "accuracy")
            rho = next(c.spearman for c in result.correlations[g] if c.metric == m)
            ax.scatter(x, y, s=14, alpha=0.7, label=f"{g} (ρ={_fmt(rho, '.2f')})")
            if np.ptp(x) > 0:
                slope, icpt = np.polyfit(x, y, 1)
                xs = np.linspace(x.min(), x.max(), 2)
                ax.plot(xs, slope * xs + icpt, linewidth=1)
        ax.set_xlabel(m)
        ax.set_ylabel("test accuracy")
        ax.legend(fontsize=7)
        fig.tight_layout()
        files.append(_save(fig, folder / f"scatter_{_slug(m)}.png"))
    for g in sorted(result.groups):
        files.append(_heatmap(records, g, folder / f"heatmap_{_slug(g)}.png"))
    return files


def _heatmap(records: list[dict[str, Any]], group: str, path: Path) -> Path:
    """Spearman ρ between accuracy and every non-constant metric of ``group``."""
    import matplotlib.pyplot as plt
    from scipy import stats as sps

    names = ["accuracy", *metric_names(records)]
    cols = [_column(records, group, n) for n in names]
    keep = [i for i, c in enumerate(cols) if len(c) > 2 and np.ptp(c) > 0]
    if len(keep) < 2:  # nothing to correlate: an empty map that says so
        names, rho = ["accuracy"], np.full((1, 1), np.nan)
    else:
        names = [names[i] for i in keep]
        rho = np.atleast_2d(sps.spearmanr(np.stack([cols[i] for i in keep], axis=1)).statistic)
    fig, ax = plt.subplots(figsize=(0.5 * len(names) + 2.5, 0.5 * len(names) + 2))
    im = ax.imshow(rho, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(names)), names, fontsize=7)
    for i, j in itertools.product(range(len(names)), repeat=2):
        ax.text(j, i, f"{rho[i, j]:.2f}", ha="center", va="center", fontsize=5)
    ax.set_title(f"Spearman ρ, {group}", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8)
    fig.tight_layout()
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)
    return path

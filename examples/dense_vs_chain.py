"""Retrain the block a dense-blocks search chose, and the chain MLP of the same
depth and width, from scratch; compare their test accuracy over several seeds.

The chain is the same Architecture with each stage's block replaced by
0 → 1 → … → l-1 (METHODS.md §3: does a searched block beat a dense MLP?).

    dagnas run spaces/dense_mnist.yaml --data-root ../shared/data --out runs/dense_mnist
    PYTHONPATH=. python examples/dense_vs_chain.py runs/dense_mnist --data-root ../shared/data

Writes ``compare_chain.json`` into the run folder and prints a table.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import click

from dagnas.data import load_dataset
from dagnas.engine.derive import block_architecture
from dagnas.export import read_json
from dagnas.samplers import chain_block
from dagnas.training.retrain import TrainConfig, train_architecture
from dagnas.workflows.rundir import load_run_spec


@click.command()
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--data-root", type=click.Path(file_okay=False))
@click.option("--epochs", default=10, show_default=True)
@click.option("--batch-size", default=128, show_default=True)
@click.option("--lr", default=0.05, show_default=True)
@click.option("--seeds", default=3, show_default=True, help="Seeds 0..N-1 for each network.")
def main(
    run_dir: Path, data_root: str | None, epochs: int, batch_size: int, lr: float, seeds: int
) -> None:
    """Searched block vs chain MLP, retrained on train+val, scored on test."""
    cfg = load_run_spec(run_dir).search
    data = load_dataset(cfg.data, data_root or cfg.data_root, seed=cfg.seed)
    searched = read_json(run_dir / "architecture.json")
    chain_blocks = {
        st["name"]: chain_block(st["vertices"]) for st in searched.graph["macro"]["stages"]
    }
    nets = {"searched": searched, "chain": block_architecture(searched, chain_blocks, run="chain")}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in nets}
    for seed in range(seeds):
        for name, arch in nets.items():
            train_cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
            r = train_architecture(arch, data, train_cfg)
            results[name].append(
                {"seed": seed, "test_acc": r.test_acc, "params": r.params, "time": r.wall_time}
            )
            click.echo(f"{name:9s} seed {seed}: test acc {r.test_acc:.4f} ({r.params} params)")
    summary = {
        "data": cfg.data,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "blocks": {n: a.graph["chosen"] for n, a in nets.items()},
        "results": results,
    }
    (run_dir / "compare_chain.json").write_text(json.dumps(summary, indent=2) + "\n")
    for name, rows in results.items():
        accs = [r["test_acc"] for r in rows]
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        click.echo(f"{name:9s} test acc {statistics.mean(accs):.4f} ± {sd:.4f} over {seeds} seeds")


if __name__ == "__main__":
    main()

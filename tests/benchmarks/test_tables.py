"""The committed tabular benchmarks hold exactly their spaces' architectures, keyed
by today's canonical hash: a change of the hash scheme that is not carried into
the tables would make every ``--bench`` look-up miss."""

from __future__ import annotations

import pytest

import dagnas
from benchmarks.build_tables import TABLES
from dagnas.bench import load_table
from dagnas.data import load_dataset
from dagnas.evaluate.candidates import all_architectures
from dagnas.graph import canonical_hash
from dagnas.spaces import load_space


@pytest.mark.parametrize("name", sorted(TABLES))
def test_table_keys_are_the_spaces_canonical_hashes(name: str) -> None:
    table = TABLES[name]
    data = load_dataset("digits")  # the hash does not depend on the data's sizes
    graph = dagnas.lower(load_space(table.space), data.input_shape, data.num_classes)
    hashes = {f"hash:{canonical_hash(arch)}" for arch in all_architectures(graph)}
    assert set(load_table(table.csv).scores) == hashes


def test_the_default_run_finds_a_top_cell_and_holds_it() -> None:
    """The default space (nb201_tiny, β-DARTS), 8 epochs: the derived cell lies in
    the table's top 10 % (0.925 and up; the mean cell scores 0.606), no edge of it
    holds ``none``, and it held for at least the last 5 epochs (a decision)."""
    spec = load_space()
    assert spec.name == "nb201_tiny"
    assert [r.name for r in spec.search.regularizers] == ["beta_decay"]
    bench = str(TABLES["nb201_tiny"].csv)
    out = dagnas.search(spec, epochs=8, seed=0, device="cpu", bench=bench)
    assert out.summary["bench_accuracy"] >= 0.925
    assert out.summary["held_epochs"] >= 5
    ops = [d["op"] for _, _, d in out.architecture.edges(data=True) if d.get("op") in spec.ops]
    assert len(ops) == 3 and "none" not in ops

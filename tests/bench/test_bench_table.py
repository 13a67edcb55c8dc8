"""Tabular benchmarks: columns detected or given, seeds averaged, clear errors."""

from __future__ import annotations

import sys

import pytest

from dagnas.bench import arch_string, load_table, query_architecture
from dagnas.errors import DagnasError
from dagnas.export.fixed import from_genotype, from_nb201
from dagnas.export.genotype import PRESETS, genotype
from tests.bench.runs import CLASSES, CONV, MIXED, SHAPE, SKIP, write_csv
from tests.export.spaces import space


def test_columns_are_detected_and_seeds_averaged(tmp_path):
    table = load_table(write_csv(tmp_path / "nb201.csv"))
    assert table.kind == "nb201" and table.arch_column == "arch_str"
    assert table.metrics == ["test_acc", "valid_acc", "seed"]
    assert table.lookup(CONV) == {"n": 2, "test_acc": 93.5, "valid_acc": 90.5, "seed": 0.5}
    assert table.lookup(SKIP)["test_acc"] == 10.0


def test_columns_can_be_given(tmp_path):
    table = load_table(write_csv(tmp_path / "t.csv"), "arch_str", ["valid_acc"])
    assert table.lookup(MIXED) == {"n": 1, "valid_acc": 79.5}
    with pytest.raises(DagnasError, match=r"no column 'acc' \(columns: arch_str, test_acc"):
        load_table(tmp_path / "t.csv", metrics=["acc"])


def test_an_architecture_is_looked_up_by_its_string(tmp_path):
    table = load_table(write_csv(tmp_path / "t.csv"))
    arch = from_nb201(MIXED, space("nb201"), SHAPE, CLASSES)
    hit = query_architecture(table, arch)
    assert hit.arch == MIXED and hit.metrics["test_acc"] == 80.5


def test_missing_architecture_names_the_string(tmp_path):
    table = load_table(write_csv(tmp_path / "t.csv"))
    other = CONV.replace("nor_conv_3x3~2", "none~2")
    with pytest.raises(DagnasError, match=r"architecture \|nor_conv_3x3~0\|.*none~2\| is not in"):
        table.lookup(other)


def test_wrong_space_is_refused(tmp_path):
    table = load_table(write_csv(tmp_path / "t.csv"))
    arch = from_genotype("DARTS_V2", space("darts_cifar10"), SHAPE, CLASSES)
    with pytest.raises(DagnasError, match=r"indexed by NAS-Bench-201 strings.*darts_cifar10"):
        query_architecture(table, arch)
    with pytest.raises(DagnasError, match="indexed by nb201 strings"):
        table.lookup(PRESETS["DARTS_V2"])


def test_genotype_tables_match_whatever_the_edge_order(tmp_path):
    rows = [("DARTS_V2", 97.24), ("PC_DARTS", 97.43)]
    path = tmp_path / "g.csv"
    lines = ["genotype,acc"] + ['"' + PRESETS[n] + f'",{a}' for n, a in rows]
    path.write_text("\n".join(lines) + "\n")
    table = load_table(path)
    assert table.kind == "genotype"
    arch = from_genotype("DARTS_V2", space("darts_cifar10"), SHAPE, CLASSES)
    assert arch_string(arch, "genotype") != PRESETS["DARTS_V2"]  # node edges reordered
    assert query_architecture(table, arch).metrics["acc"] == 97.24
    assert table.lookup(repr(genotype("PC_DARTS")))["acc"] == 97.43


def test_parquet_tables(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    path = tmp_path / "t.parquet"
    pd.DataFrame({"arch": [CONV, SKIP], "acc": [94.0, 10.0]}).to_parquet(path)
    assert load_table(path).lookup(SKIP) == {"n": 1, "acc": 10.0}


@pytest.mark.parametrize(
    "name, text, says",
    [
        ("missing.csv", None, "no such benchmark file"),
        ("t.json", "{}", "expected a .csv or .parquet"),
        ("empty.csv", "arch,acc\n", "no rows"),
        (
            "noarch.csv",
            "arch_str,acc\nconv-skip,1\n",
            "no column holds architectures.*row 1 has arch_str = 'conv-skip'",
        ),
        ("numbers.csv", "a,acc\n1,1\n", "no column holds architectures.*every column is numeric"),
        ("nometric.csv", f"arch,name\n{CONV},x\n", "no numeric metric"),
        ("bad.csv", f"arch,acc\n{CONV},1\n|x~0|,2\n", "row 2: .* is not a NAS-Bench-201 string"),
    ],
)
def test_bad_tables_say_what(tmp_path, name, text, says):
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(DagnasError, match=says):
        load_table(path)


def test_parquet_without_pandas_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    (tmp_path / "t.parquet").write_bytes(b"PAR1")
    with pytest.raises(DagnasError, match=r"pip install 'dagnas\[bench\]'"):
        load_table(tmp_path / "t.parquet")

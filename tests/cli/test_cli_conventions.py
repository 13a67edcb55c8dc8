"""The command line's conventions: --version, -v/-q anywhere, results on stdout and
progress on stderr, --json, one meaning per flag, visible defaults, --out folders."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

import dagnas
from dagnas.cli import main
from dagnas.io import new_folder
from tests.cli.test_cli_run import TINY

#: commands whose output is itself the result in a fixed format
NO_JSON = {"schema"}


def commands(group: click.Group = main, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            found |= commands(cmd, f"{prefix}{name} ")
        else:
            found[prefix + name] = cmd
    return found


def options(cmd: click.Command) -> dict[str, click.Option]:
    return {o: p for p in cmd.params if isinstance(p, click.Option) for o in p.opts}


def run(*args: str) -> click.testing.Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def test_version() -> None:
    result = run("--version")
    assert (
        result.exit_code == 0 and result.stdout.strip() == f"dagnas, version {dagnas.__version__}"
    )


@pytest.mark.parametrize("name", sorted(commands()))
def test_every_command_takes_verbose_and_quiet(name: str) -> None:
    assert {"-v", "--verbose", "-q", "--quiet"} <= set(options(commands()[name]))


@pytest.mark.parametrize("name", sorted(set(commands()) - NO_JSON))
def test_every_command_that_prints_a_result_has_json(name: str) -> None:
    assert "--json" in options(commands()[name])


def test_flags_have_one_meaning() -> None:
    for name, cmd in commands().items():
        opts = options(cmd)
        if "--epochs" in opts:
            assert opts["--epochs"].help.startswith("Search epochs"), name
        if "--out" in opts:
            kind = opts["--out"].type
            assert isinstance(kind, click.Path) and not kind.file_okay, name
        if "--space" in opts:
            assert "--genotype" in opts, name  # train's space; store filters are --filter-*
        if "--dataset" in opts:
            assert name == "query", name  # NATS dataset; the filter is --filter-dataset


def test_defaults_are_shown_in_help() -> None:
    root = click.Context(main, info_name="dagnas", **main.context_settings)
    for name, cmd in commands().items():
        ctx = click.Context(cmd, info_name=name, parent=root)
        for opt in cmd.params:
            if not isinstance(opt, click.Option) or opt.is_flag or opt.hidden:
                continue
            if opt.get_default(ctx, call=False) in (None, ()) or "UNSET" in repr(opt.default):
                continue  # no default (click >= 8.3 marks it UNSET)
            record = opt.get_help_record(ctx)
            assert record and "default:" in record[1], f"{name} {opt.opts}"


def test_default_folders_are_timestamped_and_never_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = new_folder("train-digits")
    assert first.parent == Path("runs") and first.name.startswith("train-digits-20")
    first.mkdir(parents=True)
    assert new_folder("train-digits") != first


@pytest.mark.slow
def test_run_prints_results_on_stdout_and_epoch_lines_on_stderr(
    tiny: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    out = tmp_path / "run"
    result = run("run", str(tiny), "--out", str(out), "--set", "search.arch.lr=0.001")
    assert result.exit_code == 0, result.output
    assert "dagnas run: tiny" in result.stdout and "choice_margins" in result.stdout
    assert "dagnas run" not in result.stderr
    lines = [x for x in result.stderr.splitlines() if "epoch" in x]
    assert [x.split(", ")[0] for x in lines] == [
        "search tiny: epoch 1 done",
        "search tiny: epoch 2 done",
    ]
    assert "\r" not in result.stderr and "━" not in result.stderr  # no progress-bar frames
    assert "near uniform" in caplog.text  # the derivation warning (logging: stderr)
    config = yaml.safe_load((out / "config.yaml").read_text())
    assert config["search"]["arch"]["lr"] == 0.001

    again = run("run", str(tiny), "--out", str(tmp_path / "j"), "--max-steps", "2", "--json", "-q")
    assert again.exit_code == 0, again.output
    summary = json.loads(again.stdout)
    assert summary["steps"] == 2 and set(summary["choice_margins"]) and "epoch" not in again.stderr


def test_set_errors_name_the_key(tiny: Path) -> None:
    result = run("validate", str(tiny), "--set", "search.arch.lrr=1")
    assert result.exit_code == 2 and "lrr" in result.output and "did you mean 'lr'" in result.output
    result = run("validate", str(tiny), "--set", "search.epochs=3", "--json", "-v")
    assert json.loads(result.stdout) == [
        {
            "space": str(tiny),
            "ok": True,
            "kind": "darts_cell",
            "name": "tiny",
            "shapes_checked": True,
        }
    ]
    result = run("compare", str(tiny), "--set", "search.nope=1")
    assert result.exit_code == 2 and "nope" in result.output
    result = run("run", str(tiny), "--logger", "tensorbord")
    assert result.exit_code == 2 and "did you mean 'tensorboard'" in result.output


def test_ops_lists_domain_width_stride_and_zero_ops() -> None:
    result = run("ops", "--json")
    found = {d["op"]: d for d in json.loads(result.stdout)}
    assert found["none"]["zero"] and found["zero"]["zero"] and not found["skip_connect"]["zero"]
    assert found["max_pool_3x3"]["domain"] == "image" and found["linear"]["domain"] == "vector"
    assert found["max_pool_3x3"]["width"].startswith("kept")
    assert found["linear"]["stride"].startswith("none")
    assert "sep_conv_3x3" in run("ops", "--domain", "image").stdout


def test_ddp_workers_get_repeated_flags() -> None:
    from dagnas.cli.search import _relaunch_args

    given = {"set": ["a=1", "b=[1, 2]"], "logger": ["csv"], "json": True, "quiet": False}
    assert _relaunch_args("s", {**given, "out": None, "epochs": 3}) == [
        "s",
        "--set",
        "a=1",
        "--set",
        "b=[1, 2]",
        "--logger",
        "csv",
        "--json",
        "--epochs",
        "3",
    ]

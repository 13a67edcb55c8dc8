"""Unwritable output: a read-only folder or mount, a full disk, a file size limit.
A clean error naming the path and the reason, exit 1, nothing left of a new run,
and a resumed run's checkpoint intact."""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from procs import dagnas, finish

from dagnas.cli import main
from dagnas.engine.checkpoint import CHECKPOINT

pytestmark = pytest.mark.slow


def mount_tmpfs(where: Path, options: str) -> bool:
    """Mount a tmpfs at ``where`` (root only; False where mounting is not allowed)."""
    where.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)])
    return done.returncode == 0


@pytest.fixture
def read_only(tmp_path) -> Iterator[Path]:
    """A read-only folder: a read-only mount as root, else a folder without write rights."""
    where = tmp_path / "ro"
    mounted = mount_tmpfs(where, "ro,size=64k")
    if not mounted:
        where.chmod(0o555)
        if os.access(where, os.W_OK):
            pytest.skip("cannot make a read-only folder here (root, and mount not allowed)")
    yield where
    if mounted:
        subprocess.run(["umount", str(where)])
    where.chmod(0o755)


def test_out_under_a_read_only_folder_is_one_clean_error(space, read_only):
    out = read_only / "run"
    result = CliRunner().invoke(main, ["run", str(space), "--out", str(out), "-q"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: cannot write {out}: ")
    assert "Read-only file system" in result.output or "Permission denied" in result.output
    assert not out.exists()


def limit_file_size(size: int) -> None:
    """In the child: files may grow to ``size`` bytes; a write past it fails (EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the write kills the process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


@pytest.fixture(params=["tmpfs", "fsize"])
def full(request, tmp_path) -> Iterator[tuple[Path, dict]]:
    """(a folder, Popen options) where a run's checkpoint cannot be written: a 64 KB
    tmpfs (root), or a 4 KB file size limit (RLIMIT_FSIZE) in the child."""
    if request.param == "fsize":
        yield tmp_path, {"preexec_fn": lambda: limit_file_size(4096)}
        return
    where = tmp_path / "tiny"
    if not mount_tmpfs(where, "size=64k"):
        pytest.skip("mounting a tmpfs needs root and mount; the RLIMIT_FSIZE case covers it")
    yield where, {}
    subprocess.run(["umount", str(where)])


def test_a_full_disk_leaves_nothing_of_a_new_run(space, full):
    where, popen = full
    (where / "before").mkdir()  # a folder that held something: it stays as it was
    (where / "before" / "notes.txt").write_text("mine")
    for out in (where / "fresh", where / "before"):
        code, output = finish(dagnas("run", str(space), "--out", str(out), "-q", **popen))
        assert code == 1 and "Traceback" not in output, output
        assert "No space left on device" in output or "File too large" in output
        assert output.startswith("Error: cannot write ") and len(output.splitlines()) == 1
    assert not (where / "fresh").exists()
    assert [p.name for p in (where / "before").iterdir()] == ["notes.txt"]


def test_a_failed_write_keeps_the_checkpoint_of_a_resumed_run(space, tmp_path):
    out = tmp_path / "run"
    args = ["run", str(space), "--out", str(out), "-q", "--epochs", "2"]
    assert CliRunner().invoke(main, args).exit_code == 0
    before = (out / CHECKPOINT).read_bytes()
    assert len(before) > 4096
    resume = dagnas(
        "run", "--resume", str(out), "-q", "--epochs", "4", preexec_fn=lambda: limit_file_size(4096)
    )
    code, output = finish(resume)
    assert code == 1 and "File too large" in output and "Traceback" not in output, output
    assert (out / CHECKPOINT).read_bytes() == before
    assert [p.name for p in out.glob(".*.tmp")] == []

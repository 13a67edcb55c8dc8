"""What a CLI test asserts of a refused command: one line, no traceback."""

from __future__ import annotations

from click.testing import Result


def assert_one_error(result: Result, *parts: str) -> None:
    """``result`` exited 1 with a single ``Error: ...`` line holding every part."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # no traceback
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    for part in parts:
        assert part in lines[0], lines[0]

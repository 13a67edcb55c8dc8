"""The errors dagnas raises on purpose.

Every message says what was expected, what was found, where (file, line,
field path) and how to fix it. The CLI turns these into an exit status and a
message, never a traceback.
"""

from __future__ import annotations


class DagnasError(Exception):
    """Base class of every error dagnas raises for a user to read."""


class SpecError(DagnasError):
    """A search-space spec (YAML) is malformed or inconsistent.

    ``issues`` holds one ``(location, message)`` pair per problem; ``str()``
    renders them as ``file:line: field: message`` lines.
    """

    def __init__(self, issues: list[tuple[str, str]] | str, source: str | None = None):
        if isinstance(issues, str):
            issues = [("", issues)]
        self.issues = issues
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        head = f"invalid spec {self.source}" if self.source else "invalid spec"
        lines = [f"{head}:"] if len(self.issues) > 1 else []
        for where, msg in self.issues:
            text = f"{where}: {msg}" if where else msg
            lines.append(f"  {text}" if len(self.issues) > 1 else text)
        if len(self.issues) == 1 and self.source and not self.issues[0][0].startswith(self.source):
            lines[0] = f"{self.source}: {lines[0]}"
        return "\n".join(lines)


class SpecIssue(DagnasError):
    """One problem at a field path of a spec, e.g. ``("edges", 2, "from")``.

    Raised by validators that know the exact field; the loader turns it into a
    :class:`SpecError` with the file and line.
    """

    def __init__(self, loc: tuple[str | int, ...], msg: str):
        self.loc, self.msg = loc, msg
        super().__init__(f"{format_loc(loc)}: {msg}" if loc else msg)


def format_loc(loc: tuple[str | int, ...]) -> str:
    """``("edges", 2, "ops", 0)`` → ``edges[2].ops[0]``."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class DataError(DagnasError):
    """A dataset is missing, malformed, or does not fit the spec."""


class RunError(DagnasError):
    """A run cannot start or continue (bad run folder, diverged search...)."""

"""Load a spec from YAML with errors that name the file, line and field."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from dagnas.errors import SpecError, SpecIssue, format_loc
from dagnas.registry import did_you_mean
from dagnas.spec.models import SPACE_KINDS, Spec
from dagnas.spec.yamldoc import Locator, read_yaml

SPEC_ADAPTER: TypeAdapter[Any] = TypeAdapter(Spec)
KINDS = [m.model_fields["kind"].annotation.__args__[0] for m in SPACE_KINDS]
#: a step pydantic may put in an error's location (not a key: a user's key may
#: begin with "function-" too)
VALIDATOR_STEP = re.compile(r"function-(after|before|wrap|plain)\[")


def _pydantic_issues(err: ValidationError, data: Any) -> list[tuple[tuple, str]]:
    issues = []
    for e in err.errors():
        loc = tuple(e["loc"])
        if loc and loc[0] in KINDS:  # the discriminated union's tag
            loc = loc[1:]
        loc = tuple(p for p in loc if not (isinstance(p, str) and VALIDATOR_STEP.match(p)))
        issues.append((loc, _message(e, loc, data)))
    return issues


def _message(e: Any, loc: tuple, data: Any) -> str:
    kind = e["type"]
    if kind == "extra_forbidden":
        parent = _model_at(data, loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        hint = did_you_mean(str(loc[-1]), allowed)
        return f"unknown key '{loc[-1]}'{hint} (allowed here: {', '.join(allowed)})"
    if kind == "missing":
        return "required field is missing; add it"
    if kind == "union_tag_invalid":
        tag = e["ctx"]["tag"]
        return f"unknown kind '{tag}'{did_you_mean(str(tag), KINDS)} (known: {', '.join(KINDS)})"
    if kind == "union_tag_not_found":
        return f"missing 'kind:' (one of: {', '.join(KINDS)})"
    msg = e["msg"].removeprefix("Value error, ")
    if kind != "value_error" and "input" in e and not isinstance(e["input"], dict | list):
        msg += f" (got {e['input']!r})"
    return msg


def _model_at(data: Any, loc: tuple) -> Any:
    """The pydantic model class that validates the mapping at ``loc``."""
    from dagnas.spec import models

    if not isinstance(data, dict):
        return None
    model = {m.model_fields["kind"].annotation.__args__[0]: m for m in SPACE_KINDS}.get(
        data.get("kind")
    )
    for part in loc:
        if model is None or isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        model = next(
            (
                a
                for a in getattr(ann, "__args__", (ann,))
                if isinstance(a, type) and issubclass(a, models.Strict)
            ),
            None,
        )
    return model


def parse_spec(text: str, source: str = "<string>") -> Any:
    """Validate YAML text into a Spec, or raise :class:`SpecError`."""
    data, loc = read_yaml(text, source)
    if data is None:
        raise SpecError([(source, "the file is empty; a spec needs at least 'kind:'")])
    if not isinstance(data, dict):
        found = type(data).__name__
        raise SpecError(
            [(loc.where(()), f"a spec must be a YAML mapping (key: value), found a {found}")]
        )
    try:
        spec = SPEC_ADAPTER.validate_python(data)
    except ValidationError as e:
        raise SpecError([(loc.where(p), m) for p, m in _pydantic_issues(e, data)]) from None
    except SpecIssue as e:
        raise SpecError([(loc.where(e.loc), e.msg)]) from None
    spec._source = loc
    return spec


def load_space(path: str | Path) -> Any:
    """Read and validate a spec file; ``SpecError`` on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([(str(path), "no such file")]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise SpecError([(str(path), f"cannot read the file: {e}")]) from None
    return parse_spec(text, str(path))


def issue_at(spec: Any, loc: tuple[str | int, ...], msg: str) -> SpecError:
    """A :class:`SpecError` at ``loc`` of a loaded spec (for checks after loading)."""
    source: Locator | None = getattr(spec, "_source", None)
    where = source.where(loc) if source else format_loc(loc)
    return SpecError([(where, msg)])


def json_schema() -> dict[str, Any]:
    """The JSON Schema of every spec kind, for editors."""
    schema = SPEC_ADAPTER.json_schema()
    schema["title"] = "dagnas search space"
    return schema

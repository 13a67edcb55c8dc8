"""Load a spec from YAML with errors that name the file, line and field.

A spec is one of the registered kinds' models, told apart by ``kind:``
(:data:`dagnas.kinds.KINDS`); the union and its JSON Schema are built from
the kinds registered when they are asked for, a user's kinds included.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from dagnas.errors import SpecError, SpecIssue
from dagnas.kinds.base import KINDS
from dagnas.registry import did_you_mean
from dagnas.spec.yamldoc import read_yaml

#: a step pydantic may put in an error's location (not a key: a user's key may
#: begin with "function-" too)
VALIDATOR_STEP = re.compile(r"function-(after|before|wrap|plain)\[")
#: how pydantic names a member of a (non-discriminated) union in an error's location
UNION_MEMBER = re.compile(r"^([A-Z]\w*|literal\[.*\]|str|int|float|bool|none)$")
_ADAPTERS: dict[tuple[type, ...], TypeAdapter[Any]] = {}


def _kind_names() -> list[str]:
    return [name for name, _ in KINDS.items()]


def spec_type() -> Any:
    """``Annotated[Union[<kind models>], Field(discriminator="kind")]`` over the
    registered kinds, in the order they were registered."""
    models = tuple(kind.spec for _, kind in KINDS.items())
    return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007


def spec_adapter() -> TypeAdapter[Any]:
    """The pydantic adapter of :func:`spec_type`, built once per set of kinds."""
    models = tuple(kind.spec for _, kind in KINDS.items())
    if models not in _ADAPTERS:
        _ADAPTERS[models] = TypeAdapter(spec_type())
    return _ADAPTERS[models]


def pydantic_issues(err: ValidationError, data: Any) -> list[tuple[tuple, str]]:
    issues, others = [], []
    for e in err.errors():
        loc = tuple(e["loc"])
        if loc and loc[0] in KINDS:  # the discriminated union's tag
            loc = loc[1:]
        loc = tuple(p for p in loc if not (isinstance(p, str) and VALIDATOR_STEP.match(p)))
        branch = _union_branch(loc, data)
        if branch is None:  # the member of a union the value's shape does not fit
            others.append((loc, _message(e, loc, data)))
            continue
        msg = _message(e, branch, data)
        model = _model_at(data, branch) if len(branch) < len(loc) else None
        if model is not None and e["type"] != "extra_forbidden":  # a scalar for a union
            msg += f"; or a mapping with keys {', '.join(sorted(model.model_fields))}"
        issues.append((branch, msg))
    return issues or others


def _union_branch(loc: tuple, data: Any) -> tuple | None:
    """``loc`` without the union members' names pydantic puts in it (``Augment``,
    ``literal['none','default']``); None when the member does not fit the
    shape of the value there (a model for a mapping, any other member for a
    scalar), so that only the member the user meant is reported."""
    out: list[Any] = []
    value = data
    for part in loc:
        if (
            isinstance(part, str)
            and UNION_MEMBER.match(part)
            and not (isinstance(value, dict) and part in value)
        ):
            if part[0].isupper() != isinstance(value, dict):
                return None
            continue
        out.append(part)
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value):
            value = value[part]
        else:
            value = None
    return tuple(out)


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
        known = _kind_names()
        return f"unknown kind '{tag}'{did_you_mean(str(tag), known)} (known: {', '.join(known)})"
    if kind == "union_tag_not_found":
        return f"missing 'kind:' (one of: {', '.join(_kind_names())})"
    msg = e["msg"].removeprefix("Value error, ")
    if kind != "value_error" and "input" in e and not isinstance(e["input"], dict | list):
        msg += f" (got {e['input']!r})"
    if kind == "int_type":  # the spec's integers are strict: no true, no "64"
        msg += "; write a whole number such as 8, without quotes"
    return msg


def _model_at(data: Any, loc: tuple) -> Any:
    """The pydantic model class that validates the mapping at ``loc``."""
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        return None
    model = KINDS.get(data["kind"]).spec
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
                if isinstance(a, type) and issubclass(a, BaseModel)
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
        spec = spec_adapter().validate_python(data)
    except ValidationError as e:
        raise SpecError([(loc.where(p), m) for p, m in pydantic_issues(e, data)]) from None
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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of every spec kind, for editors."""
    schema = spec_adapter().json_schema()
    schema["title"] = "dagnas search space"
    return schema

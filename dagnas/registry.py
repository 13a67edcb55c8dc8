"""One generic name → object registry, filled by a decorator, and the option models.

Ops, relaxations, regularizers, schedules, samplers, derivation rules and
space kinds all use it: the names a YAML file uses are the registry's keys.

A spec names a registered component as ``relaxation: {name: softmax, ...options}``.
A registered component class declares its options as a pydantic model,
``Options``; the spec validates a component's options against it and fills
every default in, so the resolved config shows all of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictInt,
    ValidationError,
    model_validator,
)
from pydantic_core import core_schema

from dagnas.errors import DagnasError

T = TypeVar("T")


def did_you_mean(name: str, choices: list[str]) -> str:
    """``" did you mean 'x'?"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


class Registry(Generic[T]):
    """A named table of factories; duplicate names are refused."""

    def __init__(self, what: str):
        self.what = what
        self._items: dict[str, T] = {}

    def register(self, name: str) -> Callable[[T], T]:
        def deco(obj: T) -> T:
            if name in self._items:
                raise DagnasError(f"{self.what} '{name}' is already registered")
            self._items[name] = obj
            return obj

        return deco

    def unknown_message(self, name: str) -> str:
        known = sorted(self._items)
        return (
            f"unknown {self.what} '{name}'{did_you_mean(name, known)} (known: {', '.join(known)})"
        )

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise DagnasError(self.unknown_message(name)) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def names(self) -> list[str]:
        return sorted(self._items)

    def items(self) -> list[tuple[str, T]]:
        """(name, entry) pairs in the order they were registered."""
        return list(self._items.items())


#: the spec language's integers: YAML's ``true`` or ``"64"`` is refused, where pydantic's
#: lax mode would read 1 and 64 (a quoted or boolean value is a typo, not a number)
StrictPositiveInt = Annotated[StrictInt, Field(gt=0)]
StrictNonNegativeInt = Annotated[StrictInt, Field(ge=0)]


def _admits(annotation: Any, kind: type) -> bool:
    """Whether a field annotated ``annotation`` takes a ``kind`` itself (unions,
    Optional and Annotated looked through; a container of ``kind`` does not)."""
    if annotation is kind:
        return True
    origin = get_origin(annotation)
    if origin is Annotated:
        return _admits(get_args(annotation)[0], kind)
    if origin is Union or origin is UnionType:
        return any(_admits(a, kind) for a in get_args(annotation))
    return False


class Strict(BaseModel):
    """Base of every spec model: unknown keys are errors, values immutable, numbers finite,
    and a number is not ``true``/``false`` (pydantic's lax mode reads them as 1.0 / 0.0)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, use_attribute_docstrings=True
    )

    @model_validator(mode="before")
    @classmethod
    def _no_bool_numbers(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        for name, value in data.items():
            field = cls.model_fields.get(name) if isinstance(value, bool) else None
            if field and _admits(field.annotation, float) and not _admits(field.annotation, bool):
                raise ValueError(f"'{name}' is a number, not {str(value).lower()}")
        return data


class NoOptions(Strict):
    """A component that takes no options."""


class Component(BaseModel):
    """A registered component by name, with its options as extra keys."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str = Field(description="the registered component's name")

    @model_validator(mode="before")
    @classmethod
    def _from_name(cls, data: Any) -> Any:
        return {"name": data} if isinstance(data, str) else data

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


def resolve_component(registry: Registry[Any], comp: Component) -> Component:
    """Check ``comp`` against ``registry`` and fill its option defaults in.

    Raises ``ValueError`` (pydantic turns it into a located error).
    """
    try:
        cls = registry.get(comp.name)
    except DagnasError as e:
        raise ValueError(str(e)) from None
    options_model: type[BaseModel] = getattr(cls, "Options", NoOptions)
    try:
        opts = options_model.model_validate(comp.options)
    except ValidationError as e:
        allowed = sorted(options_model.model_fields)
        msgs = []
        for err in e.errors():
            field = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                hint = did_you_mean(field, allowed)
                choices = ", ".join(allowed) if allowed else "none"
                msgs.append(
                    f"option '{field}' does not belong to {registry.what} '{comp.name}'"
                    f"{hint} (its options: {choices})"
                )
            elif field:
                msgs.append(f"option '{field}' of {registry.what} '{comp.name}': {err['msg']}")
            else:  # a check of the options together
                msg = err["msg"].removeprefix("Value error, ")
                msgs.append(f"{registry.what} '{comp.name}': {msg}")
        raise ValueError("; ".join(msgs)) from None
    return Component(name=comp.name, **opts.model_dump())


class NamesOf:
    """Annotation: the JSON Schema of a name (``str``) or a component (``Component``)
    of ``registry``, listing the names registered when the schema is made (a
    plugin's included). A component may be written as its name alone
    (``relaxation: softmax``) or as ``{name: ..., options}``."""

    def __init__(self, registry: Registry[Any]):
        self.registry = registry

    def __get_pydantic_json_schema__(self, schema: Any, handler: GetJsonSchemaHandler) -> Any:
        name = {"type": "string", "enum": self.registry.names()}
        if "str" in (schema.get("type"), schema.get("schema", {}).get("type")):
            return {**name, "description": f"a registered {self.registry.what}"}
        options = {
            "type": "object",
            "properties": {"name": name},
            "required": ["name"],
            "additionalProperties": True,
        }
        return {
            "anyOf": [name, options],
            "description": f"a registered {self.registry.what}: its name, or a mapping"
            " with its name and options",
        }


class Registered(NamesOf):
    """Annotation: a name or a component of ``registry``, checked when validated
    (a component's options filled in, see :func:`resolve_component`), with the
    JSON Schema of :class:`NamesOf`."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> Any:
        check = self._check_component if source is Component else self._check_name
        return core_schema.no_info_after_validator_function(check, handler(source))

    def _check_component(self, comp: Component) -> Component:
        return resolve_component(self.registry, comp)

    def _check_name(self, name: str) -> str:
        if name not in self.registry:
            raise ValueError(self.registry.unknown_message(name))
        return name

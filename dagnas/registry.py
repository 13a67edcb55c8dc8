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
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

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


class Strict(BaseModel):
    """Base of every spec model: unknown keys are errors, values immutable, numbers finite."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class NoOptions(Strict):
    """A component that takes no options."""


class Component(BaseModel):
    """A registered component by name, with its options as extra keys."""

    model_config = ConfigDict(extra="allow", frozen=True)
    name: str

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
            else:
                msgs.append(f"option '{field}' of {registry.what} '{comp.name}': {err['msg']}")
        raise ValueError("; ".join(msgs)) from None
    return Component(name=comp.name, **opts.model_dump())

"""One generic name → object registry, filled by a decorator.

Ops, relaxations, regularizers, schedules, samplers and derivation rules all
use it: the names a YAML file uses are the registry's keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

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

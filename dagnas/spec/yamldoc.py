"""YAML text → a located document: the data, and the node tree that gives lines.

Reading uses PyYAML's ``SafeLoader`` (the constructors ``yaml.safe_load``
uses, nothing more), parsing once for both the node tree and the data. What
a spec never needs and what would exhaust the validators later is refused
with its file and line: nesting deeper than :data:`MAX_DEPTH`, more than
:data:`MAX_VALUES` values once aliases are expanded (a "billion laughs"
document), recursive aliases, keys given twice, values PyYAML cannot build
(an integer of 5000 digits), and text that is not valid Unicode (a lone
surrogate from a ``"\\ud800"`` escape).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from dagnas.errors import SpecError, format_loc

#: Deepest nesting of mappings and sequences a spec may use.
MAX_DEPTH = 64
#: Most scalars, mappings and sequences a spec may hold, aliases expanded.
MAX_VALUES = 200_000
Loc = tuple[str | int, ...]


class SpecLoader(yaml.SafeLoader):
    """``SafeLoader`` that bounds nesting and says where a value cannot be built."""

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels", mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError, TypeError, AttributeError) as e:
            # PyYAML's safe constructors fail this way on values they cannot build
            # (an int past 4300 digits, a !!timestamp that is not one)
            kind = str(node.tag).rsplit(":", 1)[-1]
            why = f": {e}" if isinstance(e, ValueError | OverflowError) else ""
            msg = f"cannot read this value as {kind}{why}"
            raise ConstructorError(None, None, msg, node.start_mark) from None


class Where(Protocol):
    """What tells where a field of a loaded spec came from: a :class:`Locator`, or
    :class:`dagnas.spec.overrides.Overridden` when some fields were set afterwards."""

    def where(self, loc: Loc) -> str: ...


@dataclass
class Locator:
    """Maps a field path to the line of a YAML document it came from."""

    source: str
    root: yaml.Node | None

    def line(self, loc: Loc) -> int | None:
        node, line = self.root, None
        for part in loc:
            if node is None:
                break
            line = node.start_mark.line + 1
            node = _child(node, part)
        if node is not None:
            line = node.start_mark.line + 1
        return line

    def where(self, loc: Loc) -> str:
        line = self.line(loc)
        head = f"{self.source}:{line}" if line else self.source
        return f"{head}: {format_loc(loc)}" if loc else head


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        for key, value in node.value:
            if key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def read_yaml(text: str, source: str) -> tuple[Any, Locator]:
    """The data of one YAML document and its locator; SpecError with file:line otherwise."""
    try:
        root, data = _load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = getattr(e, "problem", None) or str(e)
        if isinstance(e, yaml.reader.ReaderError):  # a character YAML refuses
            where = f"{source}:{text.count(chr(10), 0, e.position) + 1}"
            problem = f"character {chr(e.character)!a} is not allowed in YAML; remove it"
        syntax = isinstance(e, yaml.scanner.ScannerError | yaml.parser.ParserError)
        kind = "YAML syntax error" if syntax else "YAML error"
        raise SpecError([(where, f"{kind}: {problem}")]) from None
    loc = Locator(source, root)
    issues = Walk(loc).issues(root)
    if issues:
        raise SpecError(issues)
    return data, loc


def _load(text: str) -> tuple[yaml.Node | None, Any]:
    """The node tree and the data of one document, parsed once."""
    loader = SpecLoader(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


class Walk:
    """One pass over the node graph (shared nodes once) collecting what a spec refuses."""

    def __init__(self, loc: Locator):
        self.loc = loc
        self.sizes: dict[int, int] = {}
        self.open: set[int] = set()
        self.found: list[tuple[str, str]] = []

    def issues(self, root: yaml.Node | None) -> list[tuple[str, str]]:
        if root is not None and self.size(root, ()) > MAX_VALUES:
            self.found.append(
                (
                    self.loc.where(()),
                    f"the document holds more than {MAX_VALUES} values once its aliases"
                    " (*name) are expanded; a spec needs far fewer",
                )
            )
        return self.found

    def size(self, node: yaml.Node, loc: Loc) -> int:
        """Values under ``node`` with aliases expanded (memoised by node)."""
        key = id(node)
        if key in self.open:
            self.found.append((self.loc.where(loc), "a YAML alias refers to itself"))
            return 0
        if key in self.sizes:
            return self.sizes[key]
        self.open.add(key)
        total = 1
        if isinstance(node, yaml.ScalarNode):
            self.text(node.value, loc)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(self.size(v, (*loc, i)) for i, v in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            total += self.mapping(node, loc)
        self.open.discard(key)
        self.sizes[key] = total
        return total

    def mapping(self, node: yaml.MappingNode, loc: Loc) -> int:
        total, seen = 0, set()
        for k, v in node.value:
            name = k.value if isinstance(k, yaml.ScalarNode) else "?"
            if isinstance(k, yaml.ScalarNode) and name in seen:
                self.found.append(
                    (self.loc.where((*loc, name)), f"key '{_show(name)}' is given twice; keep one")
                )
            seen.add(name)
            total += self.size(k, loc) + self.size(v, (*loc, name))
        return total

    def text(self, value: str, loc: Loc) -> None:
        bad = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
        if bad is not None:
            self.found.append(
                (
                    self.loc.where(loc),
                    f"text holds a lone surrogate {bad!a}, which is not Unicode;"
                    " write the character itself or a valid escape",
                )
            )


def _show(text: str) -> str:
    """``text`` for a message: as is, unless it would not print."""
    return text if text.isprintable() else ascii(text)[1:-1]

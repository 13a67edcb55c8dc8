"""A space kind: everything one kind of search space brings, in one registered object.

A kind has a name (the ``kind:`` a YAML spec names), its spec model (a
:class:`~dagnas.spec.models.SpaceBase` subclass with ``kind: Literal[name]``),
its lowering to the SearchGraph, its supernet body class (built as
``body(graph, search=True)`` for the supernet and ``search=False`` for a
child network; ``forward(x, mixing)``), the model of its Architectures'
``macro`` (checked when a file is read), its parameter formula, its candidate
drawer and enumerator and the derivation rules that apply to it. Register one with the
:func:`register_kind` decorator on a :class:`SpaceKind` subclass; the spec
loader, ``lower``, the compiler, ``graph_params`` and the candidate sampler
find it by name. Importing any module of :mod:`dagnas.kinds` registers the
built-in kinds (the package imports them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import networkx as nx
import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo
from torch import nn

from dagnas.engine import DERIVE_RULES
from dagnas.errors import DagnasError
from dagnas.graph import MACRO_MODELS, NETWORK_MACRO
from dagnas.registry import Component, NamesOf, Registry, resolve_component

if TYPE_CHECKING:
    from dagnas.spec.models import SpaceBase


class Macro(BaseModel):
    """Base of a kind's ``macro`` model: JSON's own types (no coercion of ``"3"``
    to 3: the network reads the file's values, not the model's), keys the
    model does not name are kept."""

    model_config = ConfigDict(strict=True, extra="allow")


class SpaceKind:
    """One kind of search space; subclass it and decorate with :func:`register_kind`.

    ``derive_rules`` names the derivation rules a spec of this kind may choose;
    a rule registered later applies once it is added
    (``get_kind("dag").derive_rules |= {"mine"}``).
    """

    name: ClassVar[str]
    spec: ClassVar[type[SpaceBase]]
    body: ClassVar[type[nn.Module]]  # a dagnas.compile.Body subclass
    #: what the child network reads from an Architecture's ``macro``: an
    #: architecture file is checked against it before it is built (None: unchecked)
    macro: ClassVar[type[BaseModel] | None] = None
    derive_rules: frozenset[str] = frozenset()

    def lower(self, spec: Any, g: nx.DiGraph) -> None:
        """Add the nodes, edges and graph attributes (``macro``, ``cells`` and,
        where choices are not edge ops, ``choices``/``groups``) of ``spec`` to ``g``,
        which holds ``kind``, ``space``, ``input_shape``, ``num_classes``, ``derive``."""
        raise NotImplementedError

    def check(self, spec: Any, g: nx.DiGraph) -> None:
        """Raise a located :class:`~dagnas.errors.SpecError` (``issue_at``) where the
        lowered SearchGraph ``g`` of ``spec`` could not be searched, derived and
        retrained: what the spec model alone cannot see (it needs the data's shape)."""

    def params(self, arch: nx.DiGraph) -> int:
        """The parameter count of the child network of Architecture ``arch``."""
        raise NotImplementedError

    def draw(self, graph: nx.DiGraph, n: int, rng: np.random.Generator) -> list[nx.DiGraph]:
        """``n`` Architectures of SearchGraph ``graph``'s space (possibly isomorphic)."""
        raise NotImplementedError

    def network_macro(self, macro: Any) -> Any:
        """The part of a graph's ``macro`` that changes the child network (what
        :func:`dagnas.graph.canonical_hash` covers); all of it unless a kind says less."""
        return macro

    def size(self, graph: nx.DiGraph) -> int:
        """How many Architectures :meth:`enumerate` yields (isomorphic ones counted),
        computed without building them."""
        raise NotImplementedError

    def enumerate(self, graph: nx.DiGraph) -> Iterator[nx.DiGraph]:
        """Every Architecture of SearchGraph ``graph``'s space that its derivation
        rule can produce (isomorphic ones possibly repeated)."""
        raise NotImplementedError


KINDS: Registry[SpaceKind] = Registry("space kind")


def register_kind(cls: type[SpaceKind]) -> type[SpaceKind]:
    """Class decorator: register an instance of ``cls`` under ``cls.name``."""
    tag = cls.spec.model_fields["kind"].annotation
    if getattr(tag, "__args__", None) != (cls.name,):
        raise DagnasError(
            f"space kind '{cls.name}': its spec model {cls.spec.__name__} needs the field"
            f" kind: Literal['{cls.name}']"
        )
    kind = cls()
    KINDS.register(cls.name)(kind)
    NETWORK_MACRO[cls.name] = kind.network_macro
    if cls.macro is not None:
        MACRO_MODELS[cls.name] = cls.macro
    return cls


def get_kind(name: str) -> SpaceKind:
    """The registered kind ``name`` (DagnasError with the known kinds if none)."""
    return KINDS.get(name)


def kind_of(g: nx.DiGraph) -> SpaceKind:
    """The kind of a SearchGraph or Architecture (its ``kind`` graph attribute)."""
    return get_kind(g.graph.get("kind"))


def _check_derive(comp: Component, info: ValidationInfo) -> Component:
    """A spec's ``derive`` rule: registered, its options filled, and applying to the kind."""
    comp = resolve_component(DERIVE_RULES, comp)
    kind = info.data.get("kind")
    if kind not in KINDS or comp.name in KINDS.get(kind).derive_rules:
        return comp
    fits = [name for name, k in KINDS.items() if comp.name in k.derive_rules]
    raise ValueError(
        f"derivation rule '{comp.name}' applies to {', '.join(fits) or 'no'} spaces, not {kind};"
        " choose another rule or remove derive: for the default"
    )


#: the type of a kind spec's ``derive`` field
DeriveRule = Annotated[Component, AfterValidator(_check_derive), NamesOf(DERIVE_RULES)]

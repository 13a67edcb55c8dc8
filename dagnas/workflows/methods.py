"""Named search methods: presets of a space's ``search:`` config (and a few space fields).

``darts`` and ``crb`` are presets; any registered relaxation name is a method
too (that relaxation with its defaults, DARTS's schedule, no regularizers), so
relaxations added later work in ``dagnas compare`` by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagnas.errors import DagnasError, SpecError
from dagnas.registry import Registry, did_you_mean
from dagnas.relax import RELAXATIONS
from dagnas.spec.overrides import apply_overrides


@dataclass(frozen=True)
class Method:
    """Overrides a method applies: ``search`` fields (components replace, plain
    sub-configs like ``arch`` merge) and ``space`` fields, the latter only on
    space kinds that have them (``node_norm`` is a darts_cell field) and, when
    ``kinds`` names some, only on those kinds."""

    name: str
    description: str
    search: dict[str, Any]
    space: dict[str, Any] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()


METHODS: Registry[Method] = Registry("method")


def register_method(method: Method) -> Method:
    return METHODS.register(method.name)(method)


def _darts_like(relaxation: str) -> dict[str, Any]:
    """DARTS's loop around ``relaxation``: Adam, unless the relaxation asks for
    other arch settings (sparse_simplex: SGD, its proximal step)."""
    return {
        "relaxation": {"name": relaxation},
        "schedule": {"name": "alternate", "every": 1},
        "regularizers": [],
        "early_stop": None,
        "arch": {"optimizer": "adam", **RELAXATIONS.get(relaxation).arch_defaults},
    }


def _prime(regularizer: str) -> dict[str, Any]:
    """DARTS-PRIME: clipped weights, dynamic schedule, the 10/11 : 1/11 split."""
    return {
        "relaxation": {"name": "clipped"},
        "schedule": {"name": "dynamic"},
        "regularizers": [{"name": regularizer}],
        "early_stop": None,
        "arch": {"optimizer": "adam"},
        "hypergradient": {"name": "first"},
        "val_fraction": 1 / 11,
    }


register_method(
    Method(
        "darts",
        "DARTS (Liu et al. 2019): softmax, α step every minibatch, Adam",
        _darts_like("softmax"),
    )
)
register_method(
    Method(
        "crb",
        "DARTS-PRIME (Maile et al. 2021): clipped + dynamic schedule + proximity, node BatchNorm",
        _prime("proximity"),
        {"node_norm": True},
    )
)
register_method(
    Method(
        "crb_admm",
        "DARTS-PRIME with the ADMM regularizer instead of proximity",
        _prime("admm"),
        {"node_norm": True},
    )
)


register_method(
    Method(
        "sigmoid",
        "FairDARTS (Chu et al. 2020): sigmoid weights, zero-one loss; on darts_cell spaces"
        " its derivation (top-2 edges per node, each its best op if σ >= 0.85)",
        _darts_like("sigmoid"),
        {"derive": {"name": "threshold_sparse"}},
        kinds=("darts_cell",),
    )
)
register_method(
    Method(
        "hypernet",
        "Hypernetwork α(λ) (Yakovlev et al.): one search, an architecture per complexity λ;"
        " on dense_blocks spaces each λ's block is the one α(λ) weighs most (best_block)",
        _darts_like("hypernet"),
        {"derive": {"name": "best_block"}},
        kinds=("dense_blocks",),
    )
)
register_method(
    Method(
        "beta_darts",
        "beta-DARTS (Ye et al. 2022): DARTS with the Beta-Decay regularizer ramped over the search",
        {**_darts_like("softmax"), "regularizers": [{"name": "beta_decay"}]},
    )
)
register_method(
    Method(
        "darts_plus",
        "DARTS+ (Liang et al. 2019): DARTS that stops when the normal cell holds 2 skips"
        " or the derived architecture is unchanged for 10 epochs",
        {**_darts_like("softmax"), "early_stop": {"name": "darts_plus"}},
    )
)
register_method(
    Method(
        "pc_darts",
        "PC-DARTS (Xu et al. 2020): DARTS with partial channels (K=4) and edge normalisation",
        _darts_like("softmax"),
        {"partial_channels": 4, "edge_normalisation": True},
    )
)


def known_methods() -> list[str]:
    """Preset names and relaxation names, sorted."""
    return sorted(set(METHODS.names()) | set(RELAXATIONS.names()))


def resolve_method(name: str) -> Method:
    """The preset ``name``, or relaxation ``name`` with DARTS's other defaults."""
    name = name.strip()
    if name in METHODS:
        return METHODS.get(name)
    if name in RELAXATIONS:
        return Method(name, f"relaxation '{name}' with its defaults", _darts_like(name))
    known = known_methods()
    raise DagnasError(
        f"unknown method '{name}'{did_you_mean(name, known)} (known: {', '.join(known)});"
        " a method is a preset or a relaxation name"
    )


def parse_methods(text: str) -> list[Method]:
    """``"darts,crb"`` → the methods, all checked before anything runs."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise DagnasError("--methods is empty; give comma-separated names such as darts,crb")
    if len(set(names)) != len(names):
        raise DagnasError(f"--methods names a method twice: {text}")
    return [resolve_method(n) for n in names]


def apply_method(spec: Any, method: Method, **search: Any) -> Any:
    """``spec`` with ``method``'s overrides, then the non-None ``search`` overrides."""
    fields = type(spec).model_fields
    fits = not method.kinds or spec.kind in method.kinds
    overrides = {k: v for k, v in method.space.items() if k in fields and fits}
    overrides |= {f"search.{k}": v for k, v in method.search.items()}
    overrides |= {f"search.{k}": v for k, v in search.items() if v is not None}
    try:
        return apply_overrides(spec, overrides, origin="")
    except SpecError as e:
        issues = "; ".join(f"{where}: {msg}" for where, msg in e.issues)
        raise DagnasError(
            f"method '{method.name}' does not fit space '{spec.name}': {issues}"
        ) from None

"""Named components in a spec: ``relaxation: {name: softmax, ...options}``.

A registered component class declares its options as a pydantic model,
``Options``; the spec validates a component's options against it and fills
every default in, so the resolved config shows all of them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from dagnas.errors import DagnasError
from dagnas.registry import Registry, did_you_mean


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

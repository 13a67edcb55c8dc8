"""Search-space specs: pydantic models, YAML loading, JSON Schema."""

from dagnas.spec.components import Component
from dagnas.spec.load import issue_at, json_schema, load_space, parse_spec
from dagnas.spec.models import DagSpec, DartsCellSpec, SearchConfig, Spec

__all__ = [
    "Component",
    "DagSpec",
    "DartsCellSpec",
    "SearchConfig",
    "Spec",
    "issue_at",
    "json_schema",
    "load_space",
    "parse_spec",
]

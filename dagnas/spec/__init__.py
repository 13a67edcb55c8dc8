"""Search-space specs: pydantic models, YAML loading, JSON Schema.

The shared models are in :mod:`dagnas.spec.models`; each kind's own model is
in its file under :mod:`dagnas.kinds`; :mod:`dagnas.spec.load` reads YAML
into any registered kind and :mod:`dagnas.spec.lower` lowers it.
"""

from dagnas.spec.load import json_schema, load_space, parse_spec, spec_type
from dagnas.spec.models import SearchConfig, SpaceBase, issue_at

__all__ = [
    "SearchConfig",
    "SpaceBase",
    "issue_at",
    "json_schema",
    "load_space",
    "parse_spec",
    "spec_type",
]

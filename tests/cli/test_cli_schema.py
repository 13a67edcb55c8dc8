"""`dagnas schema` validates every shipped space and the README's YAML with jsonschema."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from dagnas.cli import main
from dagnas.spaces import builtin_spaces

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Validator:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def readme_specs() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", text, flags=re.S)
    return [b for b in blocks if re.search(r"^kind:", b, flags=re.M)]


@pytest.mark.parametrize("name", sorted(builtin_spaces()))
def test_every_shipped_space_is_valid(validator: jsonschema.Validator, name: str) -> None:
    data = yaml.safe_load(builtin_spaces()[name].read_text())
    assert not list(validator.iter_errors(data)), name


@pytest.mark.parametrize("text", readme_specs())
def test_the_readmes_yaml_is_valid(validator: jsonschema.Validator, text: str) -> None:
    assert not [e.message for e in validator.iter_errors(yaml.safe_load(text))]


def test_readme_has_yaml_examples() -> None:
    assert len(readme_specs()) >= 2


def test_the_schema_names_registered_choices_and_describes_every_field(
    validator: jsonschema.Validator,
) -> None:
    defs = validator.schema["$defs"]
    relax = defs["SearchConfig"]["properties"]["relaxation"]
    assert "softmax" in relax["anyOf"][0]["enum"]  # the string shorthand
    assert relax["anyOf"][1]["required"] == ["name"]
    assert "sep_conv_3x3" in json.dumps(defs["EdgeSpec"]["properties"]["ops"])
    assert "tensorboard" in json.dumps(defs["SearchConfig"]["properties"]["loggers"])
    missing = [
        f"{model}.{field}"
        for model, d in defs.items()
        for field, p in d.get("properties", {}).items()
        if not p.get("description")
    ]
    assert missing == []
    bad = {"kind": "dag", "search": {"relaxation": "softmx"}}
    assert any("softmx" in e.message for e in validator.iter_errors(bad))

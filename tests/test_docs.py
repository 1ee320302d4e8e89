"""Generated documentation is up to date, and every dossier field is documented somewhere."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter

from tooling import model
from tooling.docs import checks_markdown, schema_json
from tooling.model import Dossier, Indication
from tooling.yamlsource import load_yaml

ROOT = Path(__file__).resolve().parents[1]
CHECKS_MD = ROOT / "docs" / "checks.md"
SCHEMA = ROOT / "schema" / "dossier.schema.json"
FORMAT_MD = ROOT / "docs" / "dossier-format.md"

MODELS: list[type[BaseModel]] = [
    cls
    for _, cls in inspect.getmembers(model, inspect.isclass)
    if issubclass(cls, model.Strict)
    and cls is not model.Strict
    and cls.__module__ == model.__name__
]


def test_checks_md_is_current() -> None:
    assert CHECKS_MD.read_text(encoding="utf-8") == checks_markdown(), (
        "docs/checks.md is stale: regenerate it with `dossier rules > docs/checks.md`"
    )


def test_schema_is_current() -> None:
    assert SCHEMA.read_text(encoding="utf-8") == schema_json(), (
        "schema/dossier.schema.json is stale: regenerate it with `dossier schema`"
    )


def _schema_descriptions() -> dict[str, set[str]]:
    """Model name -> the properties that have a description in the JSON Schema."""
    schema = json.loads(schema_json())
    definitions = {"Dossier": schema, **schema.get("$defs", {})}
    described: dict[str, set[str]] = {}
    for name, definition in definitions.items():
        described[name] = {
            prop
            for prop, value in definition.get("properties", {}).items()
            if value.get("description")
        }
    return described


def _format_sections() -> dict[str, str]:
    """Model name -> text of the dossier-format.md section whose heading names it in backticks."""
    text = FORMAT_MD.read_text(encoding="utf-8")
    sections: dict[str, str] = {}
    parts = re.split(r"^(## .*)$", text, flags=re.MULTILINE)
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        for name in re.findall(r"`([A-Z]\w*)`", heading):
            sections[name] = body
    return sections


@pytest.mark.parametrize("cls", MODELS, ids=[c.__name__ for c in MODELS])
def test_every_field_is_documented(cls: type[BaseModel]) -> None:
    """Each field has a description in the schema, or dossier-format.md names it in its section."""
    described = _schema_descriptions().get(cls.__name__, set())
    section = _format_sections().get(cls.__name__, "")
    undocumented = [
        name for name in cls.model_fields if name not in described and f"`{name}`" not in section
    ]
    assert not undocumented, (
        f"{cls.__name__}: document {', '.join(undocumented)} in docs/dossier-format.md "
        f"(under a heading that names `{cls.__name__}`) or give the field a description"
    )


def _yaml_blocks() -> list[tuple[int, str]]:
    text = FORMAT_MD.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 2, m.group(1))
        for m in re.finditer(r"^ *```yaml\n(.*?)^ *```", text, flags=re.MULTILINE | re.DOTALL)
    ]


@pytest.mark.parametrize(
    ("line", "block"), _yaml_blocks(), ids=lambda v: str(v) if isinstance(v, int) else ""
)
def test_format_examples_are_valid(line: int, block: str) -> None:
    """Every YAML example in dossier-format.md parses and fits the dossier keys it shows."""
    import textwrap

    data, _ = load_yaml(textwrap.dedent(block), f"docs/dossier-format.md:{line}")
    assert isinstance(data, dict)
    # A block shows keys of the dossier, or of an indication (conclusions, coverage).
    owner = next((m for m in (Dossier, Indication) if set(data) <= set(m.model_fields)), None)
    assert owner is not None, f"line {line}: keys {sorted(data)} belong to no dossier object"
    fields = owner.model_fields
    if {name for name, f in fields.items() if f.is_required()} <= set(data):
        owner.model_validate(data)
        return
    for key, value in data.items():
        annotation: Any = fields[key].annotation
        TypeAdapter(annotation).validate_python(value)


def test_format_names_every_model() -> None:
    sections = _format_sections()
    missing = [cls.__name__ for cls in MODELS if cls.__name__ not in sections]
    assert not missing, f"docs/dossier-format.md has no section naming {', '.join(missing)}"

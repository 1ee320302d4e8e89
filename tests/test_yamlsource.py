"""`yamlsource.load_yaml` gives exactly the values of PyYAML's safe loader.

The loader resolves tags itself (see `yamlsource._Loader`), so these tests hold it to the
reference: `yaml.safe_load`, except that dates stay text (the model parses them, so it can
say why a date is wrong).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tooling.diagnostics import Location
from tooling.yamlsource import YamlError, load_yaml

REPO = Path(__file__).resolve().parents[1]


class _Reference(yaml.SafeLoader):
    """The safe loader with timestamps (and binary) left as the text that was written."""


_Reference.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_scalar)
_Reference.add_constructor("tag:yaml.org,2002:binary", yaml.SafeLoader.construct_scalar)


def reference(text: str) -> Any:
    return yaml.load(text, Loader=_Reference)


def repository_yaml() -> list[Path]:
    return sorted(
        [*REPO.glob("dossiers/*/dossier.yaml"), *REPO.glob("tests/fixtures/*/dossier.yaml")]
    )


@pytest.mark.parametrize("path", repository_yaml(), ids=lambda p: p.parent.name)
def test_values_match_the_safe_loader_on_every_dossier(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    value, _ = load_yaml(text, str(path))
    assert value == reference(text)


# Scalars whose type depends on their text, written plain, quoted and with explicit tags.
TRICKY = [
    "3", "-3", "0x1f", "0o17", "017", "1_000", "3.5", ".5", "1e3", ".inf", "-.Inf", ".nan",
    "true", "True", "TRUE", "false", "yes", "no", "on", "off", "y", "n", "null", "Null",
    "~", "", "2019-11-12", "2019-11", "2019", "12:30", "1:20:30", "+12", "0b101",
    "'3'", '"true"', "'~'", "! 3", "!!str 3", "!!int 3", "!!float 3", "!!bool true",
    "!!null ''", "tekst", "9 jaar", "3,5 V", "- 1",
]  # fmt: skip


@pytest.mark.parametrize("scalar", TRICKY)
def test_tricky_scalars_resolve_as_the_safe_loader_does(scalar: str) -> None:
    text = f"key: {scalar}\nlist: [{scalar or 'x'}, b]\n"
    try:
        expected = reference(text)
    except yaml.YAMLError:
        with pytest.raises(YamlError):
            load_yaml(text, "x.yaml")
        return
    value, source = load_yaml(text, "x.yaml")
    assert value == expected
    assert [type(v) for v in value.values()] == [type(v) for v in expected.values()]
    assert source.locate(["key"]).line == 1 and source.locate(["list", 1]).line == 2


plain_words = (
    st.text(
        alphabet=st.characters(
            codec="utf-8",
            categories=("L", "N", "P", "S", "Zs"),
            exclude_characters="#:'\"{}[],&*!|>%@`",
        ),
        min_size=1,
        max_size=12,
    )
    .map(str.strip)
    .filter(bool)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(plain_words, min_size=1, max_size=6))
def test_random_plain_scalars_resolve_as_the_safe_loader_does(words: list[str]) -> None:
    text = "".join(f"k{i}: {word}\n" for i, word in enumerate(words))
    try:
        expected = reference(text)
    except (yaml.YAMLError, ValueError):
        return  # not YAML the reference accepts (or a date it cannot build); not this test
    value, _ = load_yaml(text, "x.yaml")
    assert value == expected


# --- positions inside string values (prose errors point into block scalars) ------------------

prose_lines = st.lists(
    st.text(
        alphabet=st.characters(
            codec="utf-8", categories=("L", "N", "P", "Zs"), exclude_characters="\"\\'#"
        ),
        max_size=30,
    ).map(str.strip),
    min_size=1,
    max_size=5,
).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(
    text=prose_lines,
    style=st.sampled_from(["|", ">", '"', "'", None]),
    indent=st.sampled_from([0, 2, 6]),
)
def test_every_character_of_a_string_value_is_located_in_the_file(
    text: str, style: str | None, indent: int
) -> None:
    """`SourceMap.locate_in_value` finds each visible character of a value where it stands.

    The value is dumped by PyYAML in each scalar style, under a key nested ``indent``
    columns deep; every character that is not a space (folding turns line breaks into
    spaces) must map to the same character in the file.
    """
    dumped = yaml.safe_dump(
        {"prose": text}, default_style=style, allow_unicode=True, width=40, indent=2
    )
    pad = " " * (indent + 2)
    document = "outer:\n" + "".join(
        (pad + line if line else "") + "\n" for line in dumped.splitlines() if line != "..."
    )
    value, source = load_yaml(document, "x.yaml")
    assert value["outer"]["prose"] == text
    lines = document.split("\n")
    for number, line in enumerate(text.split("\n"), 1):
        for column, char in enumerate(line, 1):
            if char.isspace() or char not in document:  # spaces may be folded line breaks;
                continue  # PyYAML escapes some characters in double quotes
            where = source.locate_in_value(("outer", "prose"), number, column)
            assert where.path == "x.yaml"
            assert lines[where.line - 1][where.column - 1] == char, (document, number, column)


def test_locate_in_value_falls_back_to_the_value() -> None:
    value, source = load_yaml("a:\n  b: [1, 2]\n  c: |\n    x\n", "x.yaml")
    assert value["a"]["c"] == "x\n"
    assert source.locate_in_value(("a", "b"), 1, 1) == source.locate(("a", "b"))  # not text
    assert source.locate_in_value(("a", "c"), 5, 1) == source.locate(("a", "c"))  # no line 5
    assert source.locate_in_value(("a", "c"), 1, 0).column == 0  # column unknown
    assert source.locate_in_value(("a", "c"), 1, 1) == Location("x.yaml", 4, 5)

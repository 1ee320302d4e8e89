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

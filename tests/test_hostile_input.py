"""Hostile and odd input: resource bombs in prose, deep or huge YAML, huge CSV fields, DOIs
written every which way, dossier names with a trailing newline.

Each must end quickly in an error with a file, line and (where knowable) column, never a
traceback, or, for DOIs, in a match.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooling import sandbox as sandbox_module
from tooling.bibliography import parse_bibliography
from tooling.config import Config
from tooling.diagnostics import DossierError, Location
from tooling.doi import normalize_doi
from tooling.model import Dossier
from tooling.retractions import COLUMNS, MAX_FIELD_CHARS, Nature, RetractionDatabase
from tooling.sandbox import (
    MAX_MACRO_DEPTH,
    MAX_OUTPUT_CHARS,
    MAX_RANGE_ITEMS,
    render_sandboxed,
    where_in_file,
)
from tooling.scaffold import new_dossier
from tooling.templating import TemplateError, prose_context, render_prose, sandbox
from tooling.yamlsource import MAX_DEPTH, MAX_FILE_BYTES, YamlError, load_yaml, read_text

REPO = Path(__file__).resolve().parent.parent
BASE_YAML = REPO / "tests" / "fixtures" / "base" / "dossier.yaml"

# Renders are bounded by a 2-second budget; anything refused by a size check is far quicker.
QUICK = 1.5


def render(text: str, context: dict[str, Any] | None = None) -> str:
    return render_prose(text, context or {}, Location("brief.md", 1))


def refused(text: str, context: dict[str, Any] | None = None) -> tuple[TemplateError, float]:
    start = time.monotonic()
    with pytest.raises(TemplateError) as caught:
        render(text, context)
    return caught.value, time.monotonic() - start


@pytest.fixture(scope="module")
def model() -> Dossier:
    value, _ = load_yaml(BASE_YAML.read_text(encoding="utf-8"), "dossier.yaml")
    return Dossier.model_validate(value)


# --- prose sandbox: resource bombs ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("{{ 'a' * 10**9 }}", 8, "repeating a string of length 1 1,000,000,000 times"),
        ("{{ [0] * 10**9 }}", 8, "repeating a list of length 1 1,000,000,000 times"),
        ("{{ 10 ** (10 ** 10) }}", 7, "exponent 10,000,000,000 is larger than the 100 allowed"),
        ("{{ big ** 99 }}", 8, "the result of ** would have more than 4,000 digits"),
        ("{% for i in range(10**9) %}x{% endfor %}", 13, "range() of 1,000,000,000 numbers"),
        ("{{ 'a'|center(10**9) }}", 8, "the width of 'center' of 1,000,000,000"),
        ("{{ 'a'.rjust(10**9) }}", 8, "the width of rjust() of 1,000,000,000"),
        ("{{ '{:>999999999}'.format(1) }}", 20, "a width or precision in a format"),
        ("{{ '%0999999999d' % 1 }}", 5, "a width or precision in a % format"),  # the format
        ("{% set s = 'a' * 100000 %}{{ s|replace('a', s) }}", 32, "this replace would give"),
    ],
)
def test_size_bombs_are_refused_before_they_run(text: str, column: int, message: str) -> None:
    error, took = refused(text, {"big": 10**99})
    assert error.location == Location("brief.md", 1, column)
    assert message in error.message and error.message.startswith("template exceeds a limit: ")
    assert "Prose sandbox limits" in error.hint
    assert took < QUICK


def test_a_macro_that_calls_itself_is_stopped_at_its_depth() -> None:
    text = "Intro\n{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n"
    error, took = refused(text)
    call = text.splitlines()[1].index("f()", 10) + 1  # the call inside the macro
    assert error.location == Location("brief.md", 2, call)
    assert f"more than {MAX_MACRO_DEPTH} deep" in error.message
    assert took < QUICK


def test_an_exponential_macro_is_stopped_by_the_output_limit() -> None:
    text = "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}x{% endmacro %}{{ f(40) }}"
    error, took = refused(text)
    assert error.location.line == 1
    assert f"more than {MAX_OUTPUT_CHARS:,} characters" in error.message
    assert took < sandbox_module.TIME_BUDGET_SECONDS + 1


def test_an_exponential_macro_without_output_is_stopped_by_the_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox_module, "TIME_BUDGET_SECONDS", 0.2)
    text = (
        "{% macro f(n) %}{% if n %}{% set a = f(n-1) %}{% set b = f(n-1) %}{% endif %}"
        "{% endmacro %}\n{{ f(40) }}"
    )
    error, took = refused(text)
    assert error.location.path == "brief.md" and error.location.line in (1, 2)
    assert "rendering took longer than 0.2 seconds" in error.message
    assert took < 2


def test_nested_loops_are_bounded() -> None:
    text = "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"
    error, took = refused(text)
    assert "loops ran more than 1,000,000 times" in error.message
    assert error.location == Location("brief.md", 1, 4)
    assert took < 5


def test_captured_output_counts() -> None:
    text = "{% set x %}{% for i in range(10000) %}{{ 'a' * 200 }}{% endfor %}{% endset %}ok"
    error, _ = refused(text)
    assert f"more than {MAX_OUTPUT_CHARS:,} characters" in error.message


def test_doubling_a_string_in_a_loop_is_bounded() -> None:
    text = (
        "{% set ns = namespace(s='a') %}\n{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}"
    )
    error, took = refused(text)
    assert error.location == Location("brief.md", 2, text.splitlines()[1].index("~") + 1)
    assert "joining these with ~" in error.message
    assert took < QUICK


def test_nested_list_literals_cannot_be_printed_whole() -> None:
    text = "{% set s = 'a' * 100000 %}{% set b = [s, s, s, s, s, s, s, s, s, s, s] %}{{ b }}"
    error, _ = refused(text)
    assert "a printed value would be longer than" in error.message


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("Totaal: {{ 1 // 0 }}", 14, "template failed: division by zero"),
        ("Totaal: {{ 1 % 0 }}", 14, "template failed: division by zero"),
        ("{{ 2.0 ** 100000 }}", 0, "template failed: a number is too large"),
        ("{{ ''.__class__ }}", 7, "template failed: not allowed in dossier prose"),
        ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", 0, "template failed: nested too deeply"),
        ("{% include '/etc/passwd' %}", 0, "template failed: prose cannot include, import"),
        ("{% import 'x' as y %}", 0, "template failed: prose cannot include, import"),
    ],
)
def test_failures_in_prose_are_template_errors(text: str, column: int, message: str) -> None:
    error, _ = refused(text)
    assert error.location == Location("brief.md", 1, column)
    assert error.message.startswith(message)


def test_lipsum_is_not_available() -> None:
    error, _ = refused("{{ lipsum(100000) }}")
    assert "'lipsum' is undefined" in error.message


def test_range_within_the_limit_and_ordinary_prose_still_work() -> None:
    text = (
        "{% for i in range(3) %}{{ loop.index }}{% if not loop.last %}, {% endif %}{% endfor %}"
        " {{ 2 ** 10 }} {{ 'ab' ~ 'cd' }} {{ '%05.1f' % 3.14159 }} {{ '{:>4}'.format(7) }}"
        " {{ (['x'] * 3) | join('-') }} {{ 'a b'|replace(' ', '_') }}"
    )
    assert render(text) == "1, 2, 3 1024 abcd 003.1    7 x-x-x a_b"
    assert len(render(f"{{{{ range({MAX_RANGE_ITEMS}) | list | length }}}}")) == 5


def test_limits_hold_without_the_render_counters() -> None:
    """A template compiled from the sandbox directly still has the operator checks."""
    with pytest.raises(sandbox_module._LimitExceeded):
        sandbox().from_string("{{ 'a' * 10**9 }}").render()


# --- prose: where errors are reported ---------------------------------------------------------


BLOCK_YAML = """\
title: Test
summary: |
  Eerste regel met {{ rules['garantie'] }}.
  Tweede regel.
  Hier {{ rules['patients'] }} in de derde.
faq: "Waarom { toch } {{ since('testpijn', 'insured') | date }}"
folded: >
  Een zin die
  doorloopt en dan {{ x } }} breekt.
"""


def yaml_where(text: str, path: tuple[str, ...]) -> tuple[str, Callable[[int, int], Location]]:
    value, source = load_yaml(text, "dossier.yaml")
    prose = value
    for part in path:
        prose = prose[part]
    return prose, lambda line, column: source.locate_in_value(path, line, column)


def test_unknown_rule_on_the_third_line_of_a_block_scalar(model: Dossier) -> None:
    prose, where = yaml_where(BLOCK_YAML, ("summary",))
    with pytest.raises(TemplateError) as caught:
        render_prose(prose, prose_context(model), where)
    error = caught.value
    column = BLOCK_YAML.splitlines()[4].index("patients") + 1
    assert (error.location.line, error.location.column) == (5, 18) == (5, column)
    assert error.location.path == "dossier.yaml"
    known = ", ".join(sorted(rule.id for rule in model.rules))
    assert error.message == (
        f"template uses something that does not exist: no 'patients' here (known: {known})"
    )


def test_stray_brace_in_a_folded_scalar_is_reported_at_the_brace() -> None:
    prose, where = yaml_where(BLOCK_YAML, ("folded",))
    with pytest.raises(TemplateError) as caught:
        render_prose(prose, {"x": 1}, where)
    assert caught.value.message == "template syntax: unexpected '}'"
    brace = BLOCK_YAML.splitlines()[8].index("} }}") + 1
    assert caught.value.location == Location("dossier.yaml", 9, brace)


def test_stray_brace_in_a_markdown_file_is_reported_at_the_brace() -> None:
    text = "Geachte heer,\n\nWe noemen {{ rules['garantie'] }} en {{ x } }}.\n"
    with pytest.raises(TemplateError) as caught:
        render_prose(text, {"rules": {"garantie": "2 jaar"}, "x": 1}, Location("brief.md", 1))
    brace = text.splitlines()[2].index("} }}") + 1
    assert caught.value.location == Location("brief.md", 3, brace)


def test_unknown_indication_in_since_lists_the_known_ids(model: Dossier) -> None:
    prose, where = yaml_where(BLOCK_YAML.replace("'testpijn'", "'unknown-id'"), ("faq",))
    with pytest.raises(TemplateError) as caught:
        render_prose(prose, prose_context(model), where)
    ids = ", ".join(sorted(i.id for i in model.indications))
    assert caught.value.message.startswith("template failed: no indication 'unknown-id' (known: ")
    assert ids.split(", ")[0] in caught.value.message
    unknown = BLOCK_YAML.splitlines()[5].index("testpijn") + 1  # inside the quotes
    assert caught.value.location == Location("dossier.yaml", 6, unknown)


def test_a_location_without_a_map_still_works() -> None:
    """Callers that pass the value's Location get that Location (the old behaviour)."""
    with pytest.raises(TemplateError) as caught:
        render_prose("a\n{{ nope }}", {}, Location("dossier.yaml", 7, 3))
    assert caught.value.location == Location("dossier.yaml", 7, 3)
    with pytest.raises(TemplateError) as caught:
        render_sandboxed(sandbox(), "a\n{{ nope }}", {}, where_in_file("brief.md"))
    assert caught.value.location == Location("brief.md", 2, 4)


# --- YAML: depth and size ---------------------------------------------------------------------


def test_yaml_nested_990_deep_is_a_yaml_error_at_the_65th_level() -> None:
    text = "key: " + "[" * 990 + "]" * 990 + "\n"
    start = time.monotonic()
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "dossier.yaml")
    assert time.monotonic() - start < QUICK
    # The root mapping is level 1; the 64th bracket opens level 65.
    assert caught.value.location == Location("dossier.yaml", 1, 6 + MAX_DEPTH - 1)
    assert caught.value.message.startswith(f"values nest deeper than {MAX_DEPTH} levels")


def test_yaml_block_nesting_990_deep_is_a_yaml_error() -> None:
    text = "".join(" " * i + "k:\n" for i in range(989)) + " " * 989 + "k: x\n"
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "dossier.yaml")
    assert caught.value.location == Location("dossier.yaml", MAX_DEPTH + 1, MAX_DEPTH + 1)


def test_yaml_deeper_than_libyaml_allows_is_placed_too() -> None:
    text = "- " * 5000 + "x\n"
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "dossier.yaml")
    assert caught.value.location == Location("dossier.yaml", 1, 2 * MAX_DEPTH + 1)
    text = "{a: " * 100_000 + "1" + "}" * 100_000
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "dossier.yaml")
    assert caught.value.location == Location("dossier.yaml", 1, 4 * MAX_DEPTH + 1)


def test_yaml_at_the_depth_limit_loads() -> None:
    text = "[" * (MAX_DEPTH - 1) + "[1]" + "]" * (MAX_DEPTH - 1)
    value, _ = load_yaml(text, "dossier.yaml")
    for _ in range(MAX_DEPTH - 1):
        value = value[0]
    assert value == [1]


def test_a_file_over_the_size_limit_is_refused_without_reading_it(tmp_path: Path) -> None:
    big = tmp_path / "dossier.yaml"
    with big.open("wb") as file:
        file.write(b"title: x\n")
        file.truncate(MAX_FILE_BYTES + 1)  # sparse: 10 MB of NUL bytes after the title
    with pytest.raises(YamlError) as caught:
        read_text(big, "dossiers/x/dossier.yaml")
    assert caught.value.location == Location("dossiers/x/dossier.yaml")
    assert caught.value.message.startswith(f"is larger than {MAX_FILE_BYTES:,} bytes")
    with pytest.raises(YamlError) as caught:
        load_yaml("a: " + "x" * MAX_FILE_BYTES, "dossier.yaml")
    assert "is larger than" in caught.value.message


def test_a_file_at_the_size_limit_is_read(tmp_path: Path) -> None:
    exact = tmp_path / "brief.md"
    exact.write_bytes(b"x" * 1000)
    assert read_text(exact, "brief.md", limit=1000) == "x" * 1000
    with pytest.raises(YamlError):
        read_text(exact, "brief.md", limit=999)


# --- retraction CSV -------------------------------------------------------------------------


def csv_text(*rows: dict[str, str]) -> str:
    lines = [",".join(COLUMNS)]
    for values in rows:
        cells = [values.get(name, "") for name in COLUMNS]
        lines.append(",".join('"' + c.replace('"', '""') + '"' for c in cells))
    return "\n".join(lines) + "\n"


def notice_row(doi: str, notes: str = "") -> dict[str, str]:
    return {
        "Record ID": "1",
        "OriginalPaperDOI": doi,
        "RetractionNature": "Retraction",
        "RetractionDate": "1/2/2023 0:00",
        "Reason": "+Error in Data;",
        "Notes": notes,
    }


def test_a_large_csv_field_is_read(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    path.write_text(csv_text(notice_row("10.5555/big", "n" * 500_000)), encoding="utf-8")
    before = csv.field_size_limit()
    db = RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert [n.nature for n in db.notices("10.5555/BIG")] == [Nature.RETRACTION]
    assert csv.field_size_limit() == before  # the csv module's global is put back


def test_a_field_over_the_limit_names_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    text = csv_text(notice_row("10.5555/a"), notice_row("10.5555/b", "n" * (MAX_FIELD_CHARS + 1)))
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DossierError) as caught:
        RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert caught.value.location == Location("data/rw.csv", 3)
    assert caught.value.message.startswith(f"a field is longer than {MAX_FIELD_CHARS:,} characters")


def test_an_unclosed_quote_is_a_dossier_error_with_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    text = csv_text(notice_row("10.5555/a")) + '2,"unclosed' + "\n" + ("x" * 1000 + "\n") * 1100
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DossierError) as caught:
        RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert caught.value.location is not None
    assert caught.value.location.path == "data/rw.csv" and caught.value.location.line >= 3
    assert "a field is longer than" in caught.value.message


def test_any_csv_error_is_a_dossier_error_with_the_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In its default dialect the csv module raises little besides the field limit; any
    other error (a future strict mode, a module change) is reported the same way."""

    class Reader:
        line_num = 0

        def __iter__(self) -> Reader:
            return self

        def __next__(self) -> list[str]:
            self.line_num += 1
            if self.line_num == 1:
                return list(COLUMNS)
            raise csv.Error("unexpected end of data")

    monkeypatch.setattr(csv, "reader", lambda *args, **kwargs: Reader())
    path = tmp_path / "rw.csv"
    path.write_text(csv_text(), encoding="utf-8")
    with pytest.raises(DossierError) as caught:
        RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert caught.value.location == Location("data/rw.csv", 2)
    assert caught.value.message == "not a valid CSV file: unexpected end of data"


# --- DOIs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "10.5555/Test.001",
        "https://doi.org/10.5555/test.001",
        "http://dx.doi.org/10.5555/TEST.001",
        "HTTPS://WWW.DOI.ORG/10.5555/test.001",
        "doi.org/10.5555/test.001",
        "doi:10.5555/test.001",
        "DOI: 10.5555/test.001",
        "10.5555/test.001.",
        "10.5555/test.001,",
        "10.5555/test.001;",
        "(10.5555/test.001)",
        "<https://doi.org/10.5555/test.001>",
        '"10.5555/test.001"',
        "“doi:10.5555/test.001”.",
        "１０．５５５５／ｔｅｓｔ．００１",
        "10.5555/\u200btest.\u2060001\ufeff",
        "10.5555/test.\u00ad001",
        " 10.5555/ test.001 \n",
        "https://doi.org/10.5555%2Ftest.001",
    ],
)
def test_written_forms_of_a_doi_normalise_alike(written: str) -> None:
    assert normalize_doi(written) == "10.5555/test.001"


@pytest.mark.parametrize(
    ("written", "normal"),
    [
        ("10.5555/a(b)", "10.5555/a(b)"),  # balanced brackets are part of the DOI
        ("10.5555/a(b))", "10.5555/a(b)"),
        ("10.5555/a_(b).", "10.5555/a_(b)"),
        ("https://example.org/10.5555/x", "https://example.org/10.5555/x"),
        ("unavailable", "unavailable"),
        ("", ""),
    ],
)
def test_doi_edge_cases(written: str, normal: str) -> None:
    assert normalize_doi(written) == normal


# DOI suffixes as registrants make them: letters, digits and . _ - / inside.
SUFFIX = st.from_regex(r"[a-z0-9]([A-Za-z0-9._/-]{0,18}[A-Za-z0-9])?", fullmatch=True)
INVISIBLE = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", " "])


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def written_forms(draw: st.DrawFn, doi: str) -> str:
    """``doi`` as someone might write it: prefixed, in any case, with invisible characters,
    fullwidth characters and the punctuation of the sentence around it."""
    text = doi
    if draw(st.booleans()):
        text = draw(st.sampled_from([str.upper, str.lower, str.swapcase]))(text)
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(INVISIBLE) + text[at:]
    if draw(st.booleans()):
        text = fullwidth(text)
    prefix = draw(
        st.sampled_from(
            ["", "doi:", "DOI: ", "doi.org/", "https://doi.org/", "http://dx.doi.org/",
             "HTTPS://DOI.ORG/"]
        )
    )  # fmt: skip
    text = prefix + text
    opener, closer = draw(st.sampled_from([("", ""), ("(", ")"), ("<", ">"), ('"', '"')]))
    return opener + text + closer + draw(st.sampled_from(["", ".", ",", ";", ":", ").", '".']))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), suffix=SUFFIX)
def test_any_written_form_finds_its_csv_record(data: st.DataObject, suffix: str) -> None:
    doi = f"10.5555/{suffix}"
    in_csv = data.draw(written_forms(doi), label="in the CSV")
    in_bib = data.draw(written_forms(doi), label="in the BibTeX entry")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rw.csv"
        path.write_text(csv_text(notice_row(in_csv)), encoding="utf-8")
        db = RetractionDatabase.from_csv(path, display="rw.csv")
    references, findings = parse_bibliography(
        "@article{key,\n  title = {T},\n  doi = {" + in_bib.replace("}", "") + "}\n}\n", "x.bib"
    )
    if "}" in in_bib:  # a BibTeX field cannot hold an unbalanced brace
        return
    assert findings == []
    reference = references["key"]
    assert reference.doi_key == normalize_doi(doi)
    assert reference.fields["doi"] == in_bib.strip()  # as written, for display and messages
    assert [n.nature for n in db.notices(reference.doi_key)] == [Nature.RETRACTION]
    assert [n.nature for n in db.notices(in_bib)] == [Nature.RETRACTION]


def test_bib_bad_doi_accepts_written_forms_and_quotes_the_entry() -> None:
    text = (
        "@article{a, title = {T}, doi = {https://doi.org/10.5555/ABC.}}\n"
        "@article{b, title = {T}, doi = {doi: １０．５５５５/x}}\n"
        "@article{c, title = {T}, doi = {www.example.org/paper}}\n"
    )
    references, findings = parse_bibliography(text, "references.bib")
    assert references["a"].doi_key == "10.5555/abc" and references["a"].doi == "10.5555/ABC"
    assert references["a"].url == "https://doi.org/10.5555/abc"
    assert references["b"].doi_key == "10.5555/x"
    assert [(f.code, f.location, f.message) for f in findings] == [
        (
            "bib-bad-doi",
            Location("references.bib", 3, 1),
            "'www.example.org/paper' in 'c' is not a DOI",
        )
    ]


# --- dossier new ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "problem"),
    [
        ("mijn-dossier\n", "it contains '\\n'"),
        ("Mijn-dossier", "it contains 'M'"),
        ("mijn dossier", "it contains ' '"),
        ("mijn/../dossier", "it contains '/'"),
        ("-mijn", "it starts with a hyphen"),
        ("", "it is empty"),
        ("a" * 81, "it has 81 characters, at most 80 are allowed"),
        ("dossier\u200b", "it contains '\\u200b'"),
    ],
)
def test_dossier_new_refuses_names_outside_the_slug_alphabet(
    tmp_path: Path, slug: str, problem: str
) -> None:
    folders = {f.name: tmp_path / f.name for f in fields(Config) if f.name.endswith("_dir")}
    config = Config(root=tmp_path, **folders)
    with pytest.raises(DossierError) as caught:
        new_dossier(config, slug)
    assert caught.value.message == f"{slug!r} is not a valid dossier name: {problem}" + (
        ", only a-z, 0-9 and '-' are allowed" if problem.startswith("it contains") else ""
    )
    assert not config.dossiers_dir.exists() or not any(config.dossiers_dir.iterdir())

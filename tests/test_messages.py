"""Messages that help: every hint names a fix that works, and the texts say what the source says.

- YAML mistakes the docs warn about (docs/dossier-format.md, "When the check complains") are
  placed at the start of the broken construct, say where the parser noticed them, and carry a
  hint; applying the hint's own example makes the file load.
- Every hint of a rule in tooling/checks.py is applied to the failing fixture: the finding is
  gone afterwards.
- BibTeX ``and others`` is "et al."; a DOI is shown as the entry writes it and looked up by
  its normalised key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from conftest import BASE_DIR, Files, MakeProject, base_files

from tooling.bibliography import Reference, parse_bibliography, shown_doi
from tooling.citations import format_authors, format_reference
from tooling.config import load_config
from tooling.diagnostics import Finding, Location, Severity
from tooling.doi import normalize_doi
from tooling.model import Revision
from tooling.pipeline import check
from tooling.yamlsource import YamlError, load_yaml

Y = f"{BASE_DIR}/dossier.yaml"
B = f"{BASE_DIR}/references.bib"
L = f"{BASE_DIR}/brief.md"


def edited(files: Files, path: str, old: str, new: str) -> Files:
    """``files`` with ``old`` replaced by ``new`` once in ``path`` (which must hold it)."""
    text = files[path]
    assert isinstance(text, str) and old in text, f"{old!r} not in {path}"
    return {**files, path: text.replace(old, new, 1)}


def run(make_project: MakeProject, files: Files) -> list[Finding]:
    return list(check(load_config(make_project(files))).findings)


def only(found: list[Finding], code: str) -> list[Finding]:
    return [f for f in found if f.code == code]


def errors(found: list[Finding]) -> list[str]:
    return [f.format() for f in found if f.severity is Severity.ERROR]


def yaml_error(text: str) -> YamlError:
    with pytest.raises(YamlError) as caught:
        load_yaml(text, "dossier.yaml")
    return caught.value


def place(text: str, marker: str, nth: int = 0) -> tuple[int, int]:
    """1-based (line, column) of the ``nth`` occurrence of ``marker`` in ``text``."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(marker, index + 1)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


# --- YAML: the place, the parser's place, the hint ---------------------------------------------


@dataclass(frozen=True)
class YamlCase:
    """A YAML mistake: where the finding must stand, what it says, and the line its hint
    proposes (``fixed``), which replaces ``line`` of the text and must make it load."""

    id: str
    text: str
    at: str  # marker of the finding's place
    message: str  # part of the message
    hint: str  # part of the hint
    noticed: str | None = None  # marker of where the parser noticed it (named in the message)
    line: str | None = None  # the broken line, replaced by ``fixed`` to apply the hint
    fixed: str | None = None
    nth: int = 0


YAML_CASES = [
    YamlCase(
        "unquoted-colon",
        "title: Vraag\nname: Ja: soms\nnote: x\n",
        at="Ja: soms",
        noticed=": soms",
        message="a colon followed by a space inside a value",
        hint='quote the value: name: "Ja: soms"',
        line="name: Ja: soms",
        fixed='name: "Ja: soms"',
    ),
    YamlCase(
        "unquoted-colon-in-a-list",
        "leaflets:\n  - title: Wat is het?\n    body: Let op: dit is fictief.\n",
        at="Let op",
        noticed=": dit",
        message="a colon followed by a space inside a value",
        hint='quote the value: body: "Let op: dit is fictief."',
        line="    body: Let op: dit is fictief.",
        fixed='    body: "Let op: dit is fictief."',
    ),
    YamlCase(
        "unclosed-double-quote",
        'title: x\nname: "Ja soms\nnote: y\nother: z\n'
        + "".join(f"filler{i}: w\n" for i in range(30)),
        at='"Ja soms',
        message='the quote " opened here is not closed; found at line 35, column 1',
        hint='close the quote where the text ends: name: "Ja soms"',
        line='name: "Ja soms',
        fixed='name: "Ja soms"',
    ),
    YamlCase(
        "unclosed-single-quote",
        "title: x\nname: 'Ja soms\nnote: y\n",
        at="'Ja soms",
        message="the quote ' opened here is not closed",
        hint="close the quote where the text ends: name: 'Ja soms'",
        line="name: 'Ja soms",
        fixed="name: 'Ja soms'",
    ),
    YamlCase(
        "unclosed-quote-closed-by-a-later-one",
        'title: x\nname: "Ja soms\nnote: y\nother: "z"\n',
        at='"Ja soms',
        noticed='z"',
        message='the quote " opened here runs on to the next ", at line 4, column 8',
        hint='close the quote where the text ends: name: "Ja soms"',
        line='name: "Ja soms',
        fixed='name: "Ja soms"',
    ),
    YamlCase(
        "unclosed-quote-in-a-list",
        'variants: ["extern, implantaat]\n',
        at='"extern',
        message='the quote " opened here is not closed',
        hint='close the quote where the text ends: variants: ["extern, implantaat"]',
        line='variants: ["extern, implantaat]',
        fixed='variants: ["extern, implantaat"]',
    ),
    YamlCase(
        "text-after-a-closing-quote",
        'title: x\nname: "Ja" soms\n',
        at='"Ja"',
        noticed="soms",
        message="a value that starts with a quote ends at the closing quote",
        hint="quote the whole value: name: '\"Ja\" soms'",
        line='name: "Ja" soms',
        fixed="name: '\"Ja\" soms'",
    ),
    YamlCase(
        "apostrophe-inside-single-quotes",
        "title: x\nname: 'l'Oreal'\n",
        at="'l'",
        noticed="Oreal",
        message="a value that starts with a quote ends at the closing quote",
        hint='quote the whole value: name: "l\'Oreal"',
        line="name: 'l'Oreal'",
        fixed='name: "l\'Oreal"',
    ),
    YamlCase(
        "tab-indentation",
        "issuer:\n  name: x\n\tshort_name: y\n",
        at="\tshort_name",
        message="a tab character: YAML indents with spaces only",
        hint="replace the tab by spaces",
        line="\tshort_name: y",
        fixed="  short_name: y",
    ),
    YamlCase(
        "tab-after-a-key",
        "issuer:\n\tname: x\n",
        at="\tname",
        message="a tab character",
        hint="replace the tab by spaces",
        line="\tname: x",
        fixed="  name: x",
    ),
    YamlCase(
        "no-space-after-dash",
        "variants:\n  - extern\n  -implantaat\ntitle: x\n",
        at="-implantaat",
        noticed="title",
        message="a '-' starts a list item only when a space follows it",
        hint="write '- implantaat'",
        line="  -implantaat",
        fixed="  - implantaat",
    ),
    YamlCase(
        "no-space-after-colon-at-the-end",
        "status: definitive\ntitle:Hallo\n",
        at="title:Hallo",
        message="a key needs a space after its colon",
        hint="write 'title: Hallo'",
        line="title:Hallo",
        fixed="title: Hallo",
    ),
    YamlCase(
        "no-space-after-colon-before-a-key",
        "issuer:\n  name:Voorbeeldzorg\n  website: x\n",
        at="name:",
        noticed=": x",
        message="a key needs a space after its colon",
        hint="write 'name: Voorbeeldzorg'",
        line="  name:Voorbeeldzorg",
        fixed="  name: Voorbeeldzorg",
    ),
    YamlCase(
        "value-starting-with-at",
        "title: x\nnote: @jansen2020 zegt het\n",
        at="@jansen",
        message="a value cannot start with '@' unquoted",
        hint='quote the value: note: "@jansen2020 zegt het"',
        line="note: @jansen2020 zegt het",
        fixed='note: "@jansen2020 zegt het"',
    ),
    YamlCase(
        "value-starting-with-backtick",
        "title: x\nnote: `code` staat hier\n",
        at="`code`",
        message="a value cannot start with '`' unquoted",
        hint='quote the value: note: "`code` staat hier"',
        line="note: `code` staat hier",
        fixed='note: "`code` staat hier"',
    ),
    YamlCase(
        "value-starting-with-a-star",
        "title: x\nnote: *nieuw* sinds 2024\n",
        at="*nieuw*",
        message="a value that starts with '*' refers to an anchor",
        hint='quote the value: note: "*nieuw* sinds 2024"',
        line="note: *nieuw* sinds 2024",
        fixed='note: "*nieuw* sinds 2024"',
    ),
    YamlCase(
        "value-starting-with-greater-than",
        "title: x\nage: > 18 jaar\n",
        at="> 18",
        message="a value that starts with '>' is a block of text",
        hint='quote the value: age: "> 18 jaar"',
        line="age: > 18 jaar",
        fixed='age: "> 18 jaar"',
    ),
    YamlCase(
        "text-after-a-list",
        "title: x\nvariants: [extern] en meer\n",
        at="[extern]",
        noticed="en meer",
        message="a value that starts with '[' ends at the matching ']'",
        hint='quote the value: variants: "[extern] en meer"',
        line="variants: [extern] en meer",
        fixed='variants: "[extern] en meer"',
    ),
    YamlCase(
        "unclosed-bracket",
        "variants: [extern, implantaat\npico: x\n",
        at="[extern",
        noticed=": x",
        message="the list opened here with '[' is not closed",
        hint="end it with ']'",
        line="variants: [extern, implantaat",
        fixed="variants: [extern, implantaat]",
    ),
    YamlCase(
        "under-indented-key",
        "issuer:\n  name: x\n short_name: y\ntitle: z\n",
        at="short_name",
        message="this line is indented by 1 space",
        hint="indent it like the key it belongs with (line 2 starts in column 3)",
        line=" short_name: y",
        fixed="  short_name: y",
    ),
    YamlCase(
        "over-indented-key",
        "issuer:\n  name: x\n    short_name: y\n",
        at="x",
        noticed=": y",
        message="the value that starts here runs on to line 3",
        hint="if line 3 starts a new key, indent it like the key above it",
        line="    short_name: y",
        fixed="  short_name: y",
    ),
    YamlCase(
        "line-without-colon",
        "title: x\nsummary: Een tekst\ndie verder gaat\nstatus: y\n",
        at="die",
        noticed="status",
        message="this line is neither 'key: value' nor a list item",
        hint="indent it further than that text's key",
        line="die verder gaat",
        fixed="  die verder gaat",
    ),
    YamlCase(
        "second-document",
        "title: x\n---\nstatus: y\n",
        at="---",
        message="a line '---' starts a second document",
        hint="remove the '---' line",
        line="---\n",
        fixed="",
    ),
]


@pytest.mark.parametrize("case", YAML_CASES, ids=[c.id for c in YAML_CASES])
def test_yaml_mistake_is_placed_explained_and_its_hint_works(case: YamlCase) -> None:
    error = yaml_error(case.text)
    assert error.location == Location("dossier.yaml", *place(case.text, case.at, case.nth))
    assert error.message.startswith("invalid YAML: ")
    assert case.message in error.message, error.message
    assert case.hint in error.hint, error.hint
    if case.noticed is not None:
        line, column = place(case.text, case.noticed)
        assert f"found at line {line}, column {column} (" in error.message, error.message
    else:
        assert f"found at line {error.location.line}, column {error.location.column}" not in (
            error.message
        )
    assert case.line is not None and case.fixed is not None
    assert case.line in case.text
    load_yaml(case.text.replace(case.line, case.fixed, 1), "dossier.yaml")  # loads now


def test_a_finding_shows_the_hint_and_stands_at_the_opening_quote(
    make_project: MakeProject,
) -> None:
    files = edited(base_files(), Y, "  name: Testpijn\n", '  name: "Testpijn\n')
    text = files[Y]
    assert isinstance(text, str)
    (finding,) = run(make_project, files)
    assert finding.code == "yaml-syntax"
    assert finding.location == Location(Y, *place(text, '"Testpijn'))
    # The fixture quotes a value further down: that quote closes this one.
    assert 'the quote " opened here runs on to the next ", at line' in finding.message
    assert finding.hint == 'close the quote where the text ends: name: "Testpijn"'
    assert finding.format().endswith(f"({finding.hint})")


def test_an_unrecognised_complaint_keeps_the_parser_words_and_place() -> None:
    error = yaml_error("title: x\n]\n")
    assert error.message.startswith("invalid YAML: did not find expected ")
    assert error.location == Location("dossier.yaml", 2, 1)
    assert error.hint == ""


# --- YAML's reading of plain values: "quote it" -------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "hint", "fixed"),
    [
        ("  name: Testpijn\n", "  name: yes\n", 'YAML reads yes as true; quote it: "yes"', '"yes"'),
        ("  name: Testpijn\n", "  name: No\n", 'YAML reads No as false; quote it: "No"', '"No"'),
        (
            "  name: Testpijn\n",
            "  name: off\n",
            'YAML reads off as false; quote it: "off"',
            "'off'",
        ),
        (
            "abbreviation: TP\n",
            "abbreviation: 1.10\n",
            'YAML reads 1.10 as the number 1.1; quote it: "1.10"',
            '"1.10"',
        ),
        (
            "outcomes: [Pijn, Kwaliteit van leven]",
            "outcomes: [Pijn, on]",
            'YAML reads on as true; quote it: "on"',
            '"on"',
        ),
        (
            "  name: Testpijn\n",
            "  name: ~\n",
            'YAML reads ~ as no value; quote it: "~"',
            '"~"',
        ),
    ],
)
def test_a_plain_value_read_as_no_text_gets_quote_it(
    make_project: MakeProject, old: str, new: str, hint: str, fixed: str
) -> None:
    files = edited(base_files(), Y, old, new)
    (finding,) = run(make_project, files)
    assert finding.code == "schema-type"
    assert finding.hint == hint
    written = re.sub(r".*[:\[,] ?", "", new.strip()).rstrip("]")
    repaired = edited(files, Y, new, new.replace(written, fixed))
    assert errors(run(make_project, repaired)) == []


def test_an_empty_text_value_says_so(make_project: MakeProject) -> None:
    files = edited(base_files(), Y, "  name: Testpijn\n", "  name:\n")
    (finding,) = run(make_project, files)
    assert (finding.code, finding.hint) == (
        "schema-type",
        "the value is empty: write the text after the colon",
    )


def test_dashes_without_spaces_make_one_text_not_a_list(make_project: MakeProject) -> None:
    files = edited(
        base_files(),
        Y,
        "    variants: [extern, implantaat]\n",
        "    variants:\n      -extern\n      -implantaat\n",
    )
    (finding,) = run(make_project, files)
    assert finding.code == "schema-type"
    assert finding.hint == "a '-' starts a list item only when a space follows it: write '- item'"
    fixed = edited(
        files, Y, "      -extern\n      -implantaat\n", "      - extern\n      - implantaat\n"
    )
    assert errors(run(make_project, fixed)) == []


def test_a_text_value_that_is_text_has_no_hint(make_project: MakeProject) -> None:
    files = edited(base_files(), Y, "verdict: meets", "verdict: maybe")
    (finding,) = run(make_project, files)
    assert (finding.code, finding.hint) == ("schema-type", "")


# --- every hint of the rules names a fix that works ---------------------------------------------

REVISION = (
    "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n",
    "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n"
    "        revision:\n"
    "          kind: {kind}\n"
    "          date: 2024-01-10\n"
    "          reason: De onderliggende studies zijn teruggetrokken.\n",
)


def retracted(doi: str) -> tuple[str, str, str]:
    return (
        B,
        f"doi = {{{doi}}},\n",
        f"doi = {{{doi}}},\n  retraction = {{Retraction}},\n  retraction_date = {{2023-05-01}},\n",
    )


def apply(files: Files, *edits: tuple[str, str, str]) -> Files:
    """``files`` with each ``(path, old, new)`` replacement; an ``old`` of "" writes ``new``."""
    for path, old, new in edits:
        files = {**files, path: new} if old == "" else edited(files, path, old, new)
    return files


RETRACTED_BOTH = (retracted("10.5555/fictief.2020.001"), retracted("10.5555/fictief.2019.002"))
SOUND_REFERENCE = (
    B,
    "@article{bakker2018,",
    "@article{smit2022,\n  title = {Een gezonde studie},\n  year = {2022},\n"
    "  doi = {10.5555/fictief.2022.004},\n}\n\n@article{bakker2018,",
)


@dataclass(frozen=True)
class HintCase:
    """A rule's failing fixture, the hint it must give, and that hint's advice applied."""

    id: str
    code: str
    broken: tuple[tuple[str, str, str], ...]
    hint: str
    fix: tuple[tuple[str, str, str], ...]


NEW_RETRACTION = (  # what `dossier retractions update` found: jansen2020 newly retracted
    ("dossier.toml", "", '[retractions]\ndatabase = "data/rw.csv"\nledger = "data/ledger.json"\n'),
    (
        "data/rw.csv",
        "",
        "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
        "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
        "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes\n"
        "9001,Een verzonnen trial,(HSC) Medicine;,Fictief Instituut;,Tijdschrift voor Tests,"
        "Voorbeeld Uitgevers,Netherlands;,Anna Jansen,,Research Article;,3/14/2023 0:00,"
        "10.5555/fictief.notice.001,0,1/15/2020 0:00,10.5555/fictief.2020.001,0,Retraction,"
        "+Concerns/Issues About Data;,No,\n",
    ),
    (
        "data/ledger.json",
        "",
        '{"found": [{"doi": "10.5555/fictief.2020.001", "key": "9001|Retraction", '
        '"nature": "Retraction", "date": "2023-03-14", "found": "2026-11-30"}]}\n',
    ),
)
PLACEHOLDER = (
    B,
    "  doi = {10.5555/fictief.2018.003},\n",
    "  note = {placeholder: nog opzoeken},\n",
)
CONCEPT = (Y, "status: definitive\nupdated:", "status: concept\nupdated:")

HINT_CASES = [
    HintCase(
        "addendum-unmentioned: name the indication in the addendum",
        "addendum-unmentioned",
        ((Y, "start: 2022-01-01\n        conditions", "start: 2022-06\n        conditions"),),
        "name it in the addendum's summary or details ('Testpijn', 'TP', 'testpijn')",
        ((Y, "summary: Tabel 2 verbeterd.", "summary: Tabel 2 verbeterd; TP vergoed sinds juni."),),
    ),
    HintCase(
        "unknown-reference: add the entry",
        "unknown-reference",
        ((Y, "evidence: [bakker2018]", "evidence: [bakker2081]"),),
        "add the entry or fix the key",
        (
            (
                B,
                "@article{bakker2018,",
                "@article{bakker2081,\n  title = {T},\n}\n\n@article{bakker2018,",
            ),
        ),
    ),
    HintCase(
        "unknown-reference: fix the key",
        "unknown-reference",
        ((Y, "evidence: [bakker2018]", "evidence: [bakker2081]"),),
        "add the entry or fix the key",
        ((Y, "evidence: [bakker2081]", "evidence: [bakker2018]"),),
    ),
    HintCase(
        "retracted-basis: kind invalidated",
        "retracted-basis",
        RETRACTED_BOTH,
        "record under 'revision' that it is invalidated or revised (kind: invalidated or "
        "kind: revised; under_reassessment keeps it standing), or cite evidence that is not "
        "retracted",
        ((Y, REVISION[0], REVISION[1].format(kind="invalidated")),),
    ),
    HintCase(
        "retracted-basis: kind revised",
        "retracted-basis",
        RETRACTED_BOTH,
        "kind: revised",
        ((Y, REVISION[0], REVISION[1].format(kind="revised")),),
    ),
    HintCase(
        "retracted-basis: cite evidence that is not retracted",
        "retracted-basis",
        RETRACTED_BOTH,
        "cite evidence that is not retracted",
        (
            SOUND_REFERENCE,
            (
                Y,
                "evidence: [jansen2020, devries2019]",
                "evidence: [jansen2020, devries2019, smit2022]",
            ),
        ),
    ),
    HintCase(
        "unsupported-conclusion: list keys",
        "unsupported-conclusion",
        ((Y, "evidence: [jansen2020, devries2019]", "evidence: []"),),
        "list BibTeX keys under 'evidence'",
        ((Y, "evidence: []", "evidence: [jansen2020, devries2019]"),),
    ),
    HintCase(
        "unknown-id: a known variant",
        "unknown-id",
        ((Y, "variants: [extern, implantaat]", "variants: [extern, implantat]"),),
        "known: extern, implantaat",
        ((Y, "variants: [extern, implantat]", "variants: [extern, implantaat]"),),
    ),
    HintCase(
        "unknown-id: a known condition",
        "unknown-id",
        ((Y, "conditions: [volwassen, proefstimulatie]", "conditions: [volwassen, proef]"),),
        "known: proefstimulatie, volwassen",
        ((Y, "conditions: [volwassen, proef]", "conditions: [volwassen, proefstimulatie]"),),
    ),
    HintCase(
        "unknown-indication: a known one",
        "unknown-indication",
        ((Y, "indications: [testpijn, testpijn-kinderen]", "indications: [testpijn, hoofdpijn]"),),
        "known: testpijn, testpijn-kinderen",
        ((Y, "indications: [testpijn, hoofdpijn]", "indications: [testpijn, testpijn-kinderen]"),),
    ),
    HintCase(
        "coverage-contradicts-verdict: end the period on the conclusion's date",
        "coverage-contradicts-verdict",
        (
            (Y, "verdict: insufficient_evidence", "verdict: does_not_meet"),
            (
                Y,
                "status: not_insured\n            start: 2021-12",
                "status: insured\n            start: 2021-01",
            ),
        ),
        "end the period on the conclusion's date (2021-11)",
        ((Y, "start: 2021-01\n", "start: 2021-01\n            end: 2021-11\n"),),
    ),
    HintCase(
        "coverage-contradicts-verdict: a period that starts after the conclusion",
        "coverage-contradicts-verdict",
        (
            (Y, "verdict: insufficient_evidence", "verdict: does_not_meet"),
            (Y, "status: not_insured", "status: insured"),
        ),
        "make the period not_insured, or record the conclusion's revision (kind: invalidated "
        "or kind: revised)",
        (
            (
                Y,
                "status: insured\n            start: 2021-12",
                "status: not_insured\n            start: 2021-12",
            ),
        ),
    ),
    HintCase(
        "coverage-contradicts-verdict: record the conclusion's revision",
        "coverage-contradicts-verdict",
        (
            (Y, "verdict: insufficient_evidence", "verdict: does_not_meet"),
            (Y, "status: not_insured", "status: insured"),
        ),
        "record the conclusion's revision",
        (
            (
                Y,
                "            evidence: [bakker2018]\n",
                "            evidence: [bakker2018]\n            revision:\n"
                "              kind: invalidated\n              date: 2024-01-10\n"
                "              reason: Nieuwe gegevens.\n",
            ),
        ),
    ),
    HintCase(
        "coverage-on-invalidated: end the period",
        "coverage-on-invalidated",
        ((Y, REVISION[0], REVISION[1].format(kind="invalidated")),),
        "end this period ('end') and add the period that follows it",
        (
            (
                Y,
                "        conditions: [volwassen, proefstimulatie]\n        basis: testpijn-2021\n",
                "        end: 2024-07-01\n        conditions: [volwassen, proefstimulatie]\n"
                "        basis: testpijn-2021\n      - status: not_insured\n        start: 2024-07-01\n",
            ),
        ),
    ),
    HintCase(
        "conditional-incomplete: add a condition",
        "conditional-incomplete",
        ((Y, "        study: FICTIEF-1\n        centres:\n          count: 3\n", ""),),
        "add 'study', 'centres' or 'conditions'",
        ((Y, "        end: 2022-01-01\n", "        end: 2022-01-01\n        study: FICTIEF-1\n"),),
    ),
    HintCase(
        "conditional-incomplete: add an end",
        "conditional-incomplete",
        (
            (
                Y,
                "status: insured\n        start: 2022-01-01",
                "status: conditional\n        start: 2022-01-01",
            ),
        ),
        "add 'end'",
        (
            (
                Y,
                "        start: 2022-01-01\n",
                "        start: 2022-01-01\n        end: 2023-01-01\n",
            ),
        ),
    ),
    HintCase(
        "retraction-undecided: record a review",
        "retraction-undecided",
        NEW_RETRACTION,
        "record a review under the conclusion's 'reviews' (date, reason, references: "
        "[jansen2020]) or its reassessment (revision kind: under_reassessment)",
        (
            (
                Y,
                "        certainty: moderate\n",
                "        certainty: moderate\n        reviews:\n          - date: 2026-12-01\n"
                "            reason: De tweede studie draagt de conclusie.\n"
                "            references: [jansen2020]\n",
            ),
        ),
    ),
    HintCase(
        "retraction-undecided: record a reassessment",
        "retraction-undecided",
        NEW_RETRACTION,
        "revision kind: under_reassessment",
        ((Y, REVISION[0], REVISION[1].format(kind="under_reassessment")),),
    ),
    HintCase(
        "placeholder: fill it in",
        "placeholder",
        (PLACEHOLDER,),
        "fill it in",
        ((B, "  note = {placeholder: nog opzoeken},\n", "  doi = {10.5555/fictief.2018.003},\n"),),
    ),
    HintCase(
        "placeholder: set the status to concept",
        "placeholder",
        (PLACEHOLDER,),
        "or set the dossier's status to concept",
        (CONCEPT,),
    ),
    HintCase(
        "placeholder-in-concept: fill it in",
        "placeholder-in-concept",
        (PLACEHOLDER, CONCEPT),
        "fill it in before the dossier becomes definitive",
        ((B, "  note = {placeholder: nog opzoeken},\n", "  doi = {10.5555/fictief.2018.003},\n"),),
    ),
    HintCase(
        "raw-markup: plain Markdown",
        "raw-markup",
        ((L, "bespraken we de voorwaarden.", "bespraken we `x`{=typst} de voorwaarden."),),
        "write plain Markdown",
        ((L, "bespraken we `x`{=typst} de voorwaarden.", "bespraken we `x` de voorwaarden."),),
    ),
    HintCase(
        "raw-markup: an image described in words",
        "raw-markup",
        ((L, "bespraken we de voorwaarden.", "bespraken we ![schema](x.png) de voorwaarden."),),
        "describe it in words",
        (
            (
                L,
                "bespraken we ![schema](x.png) de voorwaarden.",
                "bespraken we (een schema) de voorwaarden.",
            ),
        ),
    ),
]


@pytest.mark.parametrize("case", HINT_CASES, ids=[c.id for c in HINT_CASES])
def test_a_rule_hint_names_a_fix_that_works(case: HintCase, make_project: MakeProject) -> None:
    broken = apply(base_files(), *case.broken)
    found = only(run(make_project, broken), case.code)
    assert found, f"the fixture must fail {case.code}"
    assert any(case.hint in f.hint for f in found), [f.hint for f in found]
    fixed = apply(broken, *case.fix)
    after = run(make_project, fixed)
    assert only(after, case.code) == [], [f.format() for f in after]


def test_every_rule_hint_has_a_case() -> None:
    """A hint written in tooling/checks.py (``hint=...``) needs a case above that applies it.

    Rules whose problems come with their own hint from another module (the decision tables'
    ``p.hint``) are not covered here.
    """
    import ast
    from pathlib import Path

    source = (Path(__file__).parent.parent / "tooling" / "checks.py").read_text(encoding="utf-8")
    with_hints: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "_finding"
            and any(k.arg == "hint" for k in node.keywords)
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            with_hints.add(str(node.args[0].value))
    assert {"retracted-basis", "coverage-contradicts-verdict"} <= with_hints
    missing = with_hints - {c.code for c in HINT_CASES}
    assert not missing, (
        f"add a HintCase in tests/test_messages.py for: {', '.join(sorted(missing))}"
    )


def test_retracted_basis_names_exactly_the_kinds_that_clear_it(make_project: MakeProject) -> None:
    """The hint's kinds are the revision kinds after which the conclusion no longer stands."""
    kinds = Revision.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    broken = apply(base_files(), *RETRACTED_BOTH)
    (finding,) = only(run(make_project, broken), "retracted-basis")
    for kind in kinds:
        fixed = apply(broken, (Y, REVISION[0], REVISION[1].format(kind=kind)))
        cleared = not only(run(make_project, fixed), "retracted-basis")
        assert (f"kind: {kind}" in finding.hint) == cleared, (kind, finding.hint)


def test_flagged_evidence_names_the_revision_kinds(make_project: MakeProject) -> None:
    files = apply(base_files(), *RETRACTED_BOTH)
    messages = [f.message for f in only(run(make_project, files), "flagged-evidence")]
    assert messages and all(
        "record its revision (kind: invalidated or kind: revised)" in m for m in messages
    ), messages


# --- references: et al., DOIs as written --------------------------------------------------------


@pytest.mark.parametrize(
    ("authors", "shown"),
    [
        ("Doe, John and Roe, Richard and others", "Doe J, Roe R, et al"),
        ("Doe, John and others", "Doe J, et al"),
        ("Doe, John and Others", "Doe J, et al"),
        ("John Doe and Richard Roe", "Doe J, Roe R"),
        (
            "A, B and C, D and E, F and G, H and I, J and K, L and M, N",
            "A B, C D, E F, G H, I J, K L, et al",
        ),
        (
            "A, B and C, D and E, F and G, H and I, J and K, L and others",
            "A B, C D, E F, G H, I J, K L, et al",
        ),
        ("Othersen, Olga", "Othersen O"),
    ],
)
def test_authors_in_vancouver_style(authors: str, shown: str) -> None:
    assert format_authors(authors) == shown


def test_and_others_reads_et_al_in_the_reference_list() -> None:
    references, findings = parse_bibliography(
        "@article{doe2020,\n  author = {Doe, John and Roe, Richard and others},\n"
        "  title = {Een titel},\n  journal = {Tijdschrift},\n  year = {2020},\n}\n",
        "references.bib",
    )
    assert findings == []
    text = format_reference(references["doe2020"])
    assert text.startswith("Doe J, Roe R, et al. Een titel.")
    assert "others" not in text


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("10.5555/fictief.2020.001", "10.5555/fictief.2020.001"),
        ("10.1002/JCC.21224", "10.1002/JCC.21224"),
        ("https://doi.org/10.1002/JCC.21224", "10.1002/JCC.21224"),
        ("http://dx.doi.org/10.1016/S0140-6736(20)30183-5.", "10.1016/S0140-6736(20)30183-5"),
        ("doi:10.1093/EURHEARTJ/ehab123", "10.1093/EURHEARTJ/ehab123"),
        ("DOI: 10.5555/Abc", "10.5555/Abc"),
        ("<https://doi.org/10.5555/ABC>", "10.5555/ABC"),
        ("10.5555/AB\u200bC", "10.5555/ABC"),
        ("https://doi.org/10.5555%2FABC", "10.5555/ABC"),
        ("", ""),
    ],
)
def test_a_doi_is_shown_as_written_and_looked_up_by_its_key(written: str, shown: str) -> None:
    assert shown_doi(written) == shown
    assert normalize_doi(shown) == normalize_doi(written)
    reference = Reference("k", "article", {"doi": written} if written else {}, Location("x"))
    assert reference.doi == shown
    assert reference.doi_key == normalize_doi(written)
    assert reference.url == (f"https://doi.org/{normalize_doi(written)}" if written else "")


def test_the_reference_list_shows_the_doi_in_its_own_case() -> None:
    references, _ = parse_bibliography(
        "@article{a,\n  title = {T},\n  year = {2020},\n"
        "  doi = {https://doi.org/10.1002/JCC.21224},\n}\n",
        "references.bib",
    )
    text = format_reference(references["a"])
    assert "doi:[10.1002/JCC.21224](https://doi.org/10.1002/JCC.21224)" in text
    assert "jcc" not in text


CSV_HEADER = (
    "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
    "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
    "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes\n"
)


def test_a_doi_written_in_capitals_is_found_in_the_database(make_project: MakeProject) -> None:
    files = apply(
        base_files(),
        (B, "doi = {10.5555/fictief.2018.003}", "doi = {https://doi.org/10.5555/FICTIEF.2018.003}"),
    )
    files["dossier.toml"] = '[retractions]\ndatabase = "rw.csv"\nsnapshot_date = "2026-01-01"\n'
    files["rw.csv"] = CSV_HEADER + (
        '1,"Fictief artikel",(HSC) Medicine,Fictief Instituut,Tijdschrift,Uitgever,Netherlands,'
        "A. Auteur,,Research Article;,3/1/2023 0:00,10.5555/notice.1,0,1/1/2019 0:00,"
        "10.5555/fictief.2018.003,0,Correction,+Concerns/Issues About Data;,No,\n"
    )
    result = check(load_config(make_project(files)))
    found = only(list(result.findings), "flagged-evidence")
    assert [f.message.split(",")[0] for f in found] == [
        "conclusion 'testpijn-kinderen-2021' cites 'bakker2018'"
    ]
    assert result.summary()["flagged_references"] == 1

"""A corpus of broken dossiers: each must give one exact finding (code and place), no traceback.

Every case starts from the valid fixture in tests/fixtures/base, applies small edits, runs
`dossier check` in-process and looks for the expected finding at the expected file, line and
column. Places are given as a marker: the line and column where the marker text stands in the
edited file, so the corpus stays exact when the fixture grows.

Every code in `tooling.checks.CHECKS` and `LOADER_CHECKS` needs at least one case here; the
last test fails when a new rule arrives without one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import BASE_DIR, Files, MakeProject, RunCli, base_files
from test_decisions import CASES as CASES_TEXT
from test_decisions import DECISIONS

from tooling.checks import CHECKS, LOADER_CHECKS

Y = f"{BASE_DIR}/dossier.yaml"
B = f"{BASE_DIR}/references.bib"
L = f"{BASE_DIR}/brief.md"

Edit = Callable[[Files], None]


def sub(path: str, old: str, new: str, count: int = 1) -> Edit:
    """Replace ``old`` by ``new`` in one file; fail loudly when the fixture lacks ``old``."""

    def edit(files: Files) -> None:
        text = files[path]
        assert isinstance(text, str) and old in text, f"{old!r} not in {path}"
        files[path] = text.replace(old, new, count)

    return edit


def append(path: str, extra: str) -> Edit:
    def edit(files: Files) -> None:
        text = files[path]
        assert isinstance(text, str)
        files[path] = text + extra

    return edit


def put(path: str, content: str | bytes) -> Edit:
    def edit(files: Files) -> None:
        files[path] = content

    return edit


def copy(source: str, target: str) -> Edit:
    """Add ``target`` with the content of ``source`` (as edited so far)."""

    def edit(files: Files) -> None:
        files[target] = files[source]

    return edit


def drop(path: str) -> Edit:
    def edit(files: Files) -> None:
        del files[path]

    return edit


def encode(path: str, old: str, new: bytes) -> Edit:
    """Turn a file into bytes with ``old`` replaced by raw (non-UTF-8) ``new``."""

    def edit(files: Files) -> None:
        text = files[path]
        assert isinstance(text, str) and old in text
        files[path] = text.encode("utf-8").replace(old.encode("utf-8"), new, 1)

    return edit


def add_revision(kind: str = "invalidated", date: str = "2024-01-10", extra: str = "") -> Edit:
    """Give conclusion testpijn-2021 a revision."""
    return sub(
        Y,
        "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n",
        "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n"
        "        revision:\n"
        f"          kind: {kind}\n"
        f"          date: {date}\n"
        "          reason: De onderliggende studies zijn teruggetrokken.\n" + extra,
    )


def flag(doi: str, nature: str = "Retraction", date: str = "2023-05-01") -> Edit:
    """Record a retraction notice in the BibTeX entry with this DOI."""
    return sub(
        B,
        f"doi = {{{doi}}},\n",
        f"doi = {{{doi}}},\n  retraction = {{{nature}}},\n  retraction_date = {{{date}}},\n"
        "  retraction_reason = {+Concerns about data;+Fictitious test reason},\n",
    )


RW_HEADER = (
    "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
    "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
    "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes,\n"  # the live export's comma
)
RW_JANSEN_RETRACTED = (  # fictitious: the base fixture's jansen2020 (a 10.5555 test DOI)
    "9001,Een verzonnen trial,(HSC) Medicine;,Fictief Instituut;,Tijdschrift voor Tests,"
    "Voorbeeld Uitgevers,Netherlands;,Anna Jansen,,Research Article;,3/14/2023 0:00,"
    "10.5555/fictief.notice.001,0,1/15/2020 0:00,10.5555/fictief.2020.001,0,Retraction,"
    "+Concerns/Issues About Data;,No,,\n"
)
RW_JANSEN_FOUND = (  # what `dossier retractions update` wrote when it found that retraction
    '{"found": [{"doi": "10.5555/fictief.2020.001", "key": "9001|Retraction", '
    '"nature": "Retraction", "date": "2023-03-14", "found": "2026-11-30"}]}\n'
)

RETRACT_BOTH = (flag("10.5555/fictief.2020.001"), flag("10.5555/fictief.2019.002"))


def versions(*entries: str) -> Edit:
    """Append a `versions:` list; each entry is 'id date status documents [extra lines]'."""
    text = "versions:\n"
    for entry in entries:
        ident, date, status, documents, *extra = entry.split(" ", 4)
        text += f"  - id: {ident}\n    date: {date}\n    status: {status}\n"
        text += f"    documents: {documents}\n" + "".join(f"    {x}\n" for x in extra)
    return append(Y, text)


@dataclass(frozen=True)
class Case:
    """One broken input and the finding it must produce.

    ``at`` is a marker in the edited ``file``: the finding must stand on the line (and, when
    ``column`` is true, at the column) of its ``nth`` occurrence (counted from the first
    occurrence of ``after``, when given). ``line`` gives the line
    directly instead (0 = no line).
    """

    id: str
    edits: tuple[Edit, ...]
    code: str
    file: str = Y
    at: str | None = None
    nth: int = 0
    after: str | None = None
    line: int | None = None
    column: bool = True
    exit: int = 1
    message: str = ""
    severity: str = "error"
    also: tuple[str, ...] = field(default=())  # codes of the other findings, all of them
    args: tuple[str, ...] = ()  # more arguments of `dossier check` (--as-of DATE)


DEC = f"{BASE_DIR}/decisions.yaml"
CASE_FILE = f"{BASE_DIR}/cases/gevallen.yaml"
WITH_DECISIONS: tuple[Edit, ...] = (
    append(Y, "decisions: decisions.yaml\n"),
    put(DEC, DECISIONS),
    put(CASE_FILE, CASES_TEXT),
)
"""The base dossier with a small decisions file and one case (tests/test_decisions.py)."""


CASES: list[Case] = [
    # --- YAML the parser refuses ---------------------------------------------------------------
    Case(
        "tab-indentation",
        (sub(Y, "  short_name: Voorbeeldzorg", "\tshort_name: Voorbeeldzorg"),),
        "yaml-syntax",
        at="\tshort_name",
        message="tab character",
    ),
    Case(
        "unclosed-bracket",
        (sub(Y, "variants: [extern, implantaat]", "variants: [extern, implantaat"),),
        "yaml-syntax",
        at="[extern, implantaat",  # where the list opens, not the next line where it is noticed
        message="did not find expected ',' or ']'",
    ),
    Case(
        "bad-indentation",
        (sub(Y, "  short_name: Voorbeeldzorg", " short_name: Voorbeeldzorg"),),
        "yaml-syntax",
        at="short_name",
    ),
    Case(
        "duplicate-yaml-key",
        (append(Y, "title: Nog een titel\n"),),
        "yaml-syntax",
        at="title: Nog een titel",
        message="duplicate key 'title' (first at line 2)",
    ),
    Case(
        "duplicate-nested-key",
        (
            sub(
                Y,
                "        certainty: moderate\n",
                "        certainty: moderate\n        certainty: low\n",
            ),
        ),
        "yaml-syntax",
        at="certainty: low",
        message="duplicate key 'certainty'",
    ),
    Case(
        "non-utf8-latin1",
        (encode(Y, "Geïmplanteerde", "Ge\xefmplanteerde".encode("latin-1")),),
        "yaml-syntax",
        at="\ufffd",  # where the latin-1 byte stands (decoded with replacement)
        message="not valid UTF-8 (byte 0xef)",
    ),
    Case("empty-file", (put(Y, ""),), "schema-type", line=1, message="must be a mapping"),
    Case(
        "comments-only",
        (put(Y, "# nothing here yet\n"),),
        "schema-type",
        line=1,
        message="must be a mapping",
    ),
    Case("list-not-mapping", (put(Y, "- title: a\n- title: b\n"),), "schema-type", line=1),
    Case("scalar-not-mapping", (put(Y, "just a sentence\n"),), "schema-type", line=1),
    Case(
        "directory-named-dossier-yaml",
        (drop(Y), put(f"{Y}/keep.txt", "")),
        "missing-dossier-file",
        file=BASE_DIR,
        line=0,
        message="dossier folder 'base' has no dossier.yaml",
    ),
    # --- the dossiers folder: nothing vanishes in silence -------------------------------------
    Case(
        "misnamed-dossier-yml",
        (copy(Y, "dossiers/tweede/dossier.yml"),),
        "missing-dossier-file",
        file="dossiers/tweede",
        line=0,
        message="dossier folder 'tweede' has no dossier.yaml",
    ),
    Case(
        "stray-file-in-dossiers",
        (put("dossiers/aantekeningen.txt", "losse notitie\n"),),
        "stray-entry",
        file="dossiers/aantekeningen.txt",
        line=0,
        message="is not a dossier folder",
    ),
    Case(
        "reserved-folder-name",
        (
            copy(Y, "dossiers/controle/dossier.yaml"),
            copy(L, "dossiers/controle/brief.md"),
            copy(B, "dossiers/controle/references.bib"),
        ),
        "bad-folder-name",
        file="dossiers/controle",
        line=0,
        message="cannot be called 'controle'",
    ),
    Case(
        "markup-in-folder-name",
        (
            copy(Y, "dossiers/<img src=x onerror=alert(1)>/dossier.yaml"),
            copy(L, "dossiers/<img src=x onerror=alert(1)>/brief.md"),
            copy(B, "dossiers/<img src=x onerror=alert(1)>/references.bib"),
        ),
        "bad-folder-name",
        file="dossiers/<img src=x onerror=alert(1)>",
        line=0,
        message="is not usable in a web address",
    ),
    # --- files outside the dossier --------------------------------------------------------------
    Case(
        "absolute-body-file",
        (sub(Y, "body_file: brief.md", "body_file: /etc/hostname"),),
        "outside-dossier",
        at="/etc/hostname",
        message="'/etc/hostname' is not a file inside the dossier folder",
    ),
    Case(
        "parent-body-file",
        (sub(Y, "body_file: brief.md", "body_file: ../../dossier.toml"),),
        "outside-dossier",
        at="../../dossier.toml",
        message="is not a file inside the dossier folder",
    ),
    # --- placeholders are data, never text --------------------------------------------------------
    Case(
        "placeholder-text-in-definitive",
        (sub(Y, "  summary: Verzekerd onder voorwaarden.", "  summary: 'placeholder: volgt'"),),
        "placeholder",
        at="'placeholder: volgt'",
        message="'position.summary' is a placeholder in a definitive dossier",
    ),
    Case(
        "placeholder-reference-in-definitive",
        (
            append(
                B, "\n@misc{nog-onbekend,\n  title = {Volgt},\n  note = {placeholder: volgt},\n}\n"
            ),
        ),
        "placeholder",
        file=B,
        at="@misc{nog-onbekend",
        message="reference 'nog-onbekend' is a placeholder in a definitive dossier",
        also=("unused-reference",),
    ),
    Case(
        "placeholder-in-concept",
        (
            sub(Y, "status: definitive\nupdated", "status: concept\nupdated"),
            sub(Y, "  summary: Verzekerd onder voorwaarden.", "  summary: 'placeholder: volgt'"),
        ),
        "placeholder-in-concept",
        at="'placeholder: volgt'",
        severity="warning",
        exit=0,
        message="'position.summary' is a placeholder",
    ),
    # --- prose that the build could not render -------------------------------------------------
    Case(
        "prose-unknown-rule",
        (sub(L, "bespraken we de voorwaarden.", "bespraken we {{ rules['patients'] }}."),),
        "prose-template",
        file=L,
        at="patients",
        message="patients",
    ),
    Case(
        "prose-unknown-meeting",
        (sub(L, "meeting('overleg-maart')", "meeting('overleg-mei')"),),
        "prose-template",
        file=L,
        at="overleg-mei",
        message="no meeting 'overleg-mei'",
    ),
    Case(
        "raw-openxml-block",
        (append(L, "\n```{=openxml}\n<w:fldSimple w:instr='INCLUDETEXT x'/>\n```\n"),),
        "raw-markup",
        file=L,
        at="```{=openxml}",
        message="raw '{=openxml}' markup in prose",
    ),
    Case(
        "unsupported-tag",
        (sub(Y, "title: Fictieve", "title: !python/object Fictieve"),),
        "yaml-syntax",
        at="Fictieve",
        column=False,
        message="unsupported YAML tag",
    ),
    Case(
        "control-character",
        (sub(Y, "title: Fictieve", "title: Fictieve\x01"),),
        "yaml-syntax",
        at="\x01",
        column=False,
        message="control characters are not allowed",
    ),
    Case(
        "recursive-alias",
        (sub(Y, "website: www.voorbeeldzorg.invalid", "website: &w [*w]"),),
        "yaml-syntax",
        at="&w",
        column=False,
        message="an alias refers to the value that contains it",
    ),
    Case(
        "alias-bomb",
        (
            append(
                Y,
                "x0: &x0 [a, a, a, a, a, a, a, a, a, a]\n"
                + "".join(f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 10)}]\n" for i in range(1, 9)),
            ),
        ),
        "yaml-syntax",
        at="x5: &x5",
        column=False,
        message="aliases expand this document to more than",
    ),
    Case(
        "explicit-int-tag-bad-value",
        (sub(Y, "count: 3", "count: !!int drie"),),
        "yaml-syntax",
        at="!!int",
        column=False,
    ),
    Case(
        "explicit-bool-tag-bad-value",
        (sub(Y, "abbreviation: TP", "abbreviation: !!bool misschien"),),
        "yaml-syntax",
        at="!!bool",
        column=False,
    ),
    Case(
        "complex-mapping-key",
        (append(Y, "? [a, b]\n: c\n"),),
        "yaml-syntax",
        at="[a, b]",
        message="mapping keys must be plain words",
    ),
    # --- the schema ----------------------------------------------------------------------------
    Case(
        "unknown-top-level-key",
        (append(Y, "colour: blue\n"),),
        "unknown-key",
        at="colour:",
        message="unknown key 'colour'",
    ),
    Case(
        "unknown-nested-key-verdikt",
        (sub(Y, "verdict: meets", "verdikt: meets"),),
        "unknown-key",
        at="verdikt:",
        message="unknown key 'verdikt' at indications.0.conclusions.0.verdikt",
        also=("missing-key",),
    ),
    Case(
        "missing-key-top-level",
        (sub(Y, "jurisdiction: NL\n", ""),),
        "missing-key",
        line=1,  # a key missing at the top has no better place than the start of the file
        message="required key 'jurisdiction'",
    ),
    Case(
        "missing-key-in-letter",
        (sub(Y, "    body_file: brief.md\n", ""),),
        "missing-key",
        at="id: brief-vereniging-2024",
        message="required key 'body_file' is missing at letters.0.body_file",
    ),
    Case(
        "missing-verdict-after-typo",
        (sub(Y, "verdict: meets", "verdikt: meets"),),
        "missing-key",
        at="id: testpijn-2021",
        message="required key 'verdict'",
        also=("unknown-key",),
    ),
    Case(
        "string-for-list",
        (sub(Y, "evidence: [jansen2020, devries2019]", "evidence: jansen2020"),),
        "schema-type",
        at="jansen2020",
        nth=1,  # the first is in the summary's [@jansen2020]
        message="valid list",
    ),
    Case(
        "list-for-string",
        (
            sub(
                Y,
                "title: Fictieve nervusstimulatie bij testpijn",
                "title: [Fictieve, nervusstimulatie]",
            ),
        ),
        "schema-type",
        at="[Fictieve",
        message="title: Input should be a valid string",
    ),
    Case(
        "yes-is-a-bool-not-a-string",
        (sub(Y, "  name: Testpijn\n", "  name: yes\n"),),
        "schema-type",
        at="yes",
        message="(got True)",
    ),
    Case(
        "bool-for-date",
        (sub(Y, "updated: 2024-06-01", "updated: true"),),
        "bad-date",
        at="true",
        message="expected a date (YYYY-MM-DD), got bool",
    ),
    Case(
        "impossible-date-2019-02-30",
        (sub(Y, "date: 2021-11-30", "date: 2019-02-30"),),
        "bad-date",
        at="2019-02-30",
        message="2019-02 has 28 days",
    ),
    Case(
        "month-13",
        (sub(Y, "date: 2021-11\n", "date: 2021-13\n"),),
        "bad-date",
        at="2021-13",
        message="month 13",
    ),
    Case(
        "year-zero",
        (sub(Y, "date: 2015-03", "date: 0000-03"),),
        "bad-date",
        at="0000-03",
        message="year",
    ),
    Case(
        "date-with-slashes",
        (sub(Y, "start: 2018-01-01", "start: 01/01/2018"),),
        "bad-date",
        at="01/01/2018",
        message="YYYY-MM-DD",
    ),
    Case(
        "bad-verdict-literal",
        (sub(Y, "verdict: insufficient_evidence", "verdict: maybe"),),
        "schema-type",
        at="maybe",
        message="(got 'maybe')",
    ),
    Case(
        "bad-slug-id",
        (sub(Y, "- id: testpijn-kinderen\n", "- id: Testpijn Kinderen\n"),),
        "schema-type",
        at="Testpijn Kinderen",
        message="should match pattern",
    ),
    Case(
        "centres-count-zero",
        (sub(Y, "count: 3", "count: 0"),),
        "schema-type",
        at="count: 0",
        column=False,
        message="greater than or equal to 1",
    ),
    Case(
        "rule-value-of-no-type",
        (sub(Y, "    value: 9\n", "    value: [9]\n"),),
        "schema-type",
        at="[9]",
        message="rules.0.value: Input should be a valid integer; or a valid number; or a valid string",
    ),
    Case(
        "bad-jurisdiction",
        (sub(Y, "jurisdiction: NL", "jurisdiction: DE"),),
        "schema-type",
        at="DE",
        message="'NL' or 'BE'",
    ),
    # --- ids and references --------------------------------------------------------------------
    Case(
        "duplicate-indication-id",
        (sub(Y, "- id: testpijn-kinderen\n", "- id: testpijn\n"),),
        "duplicate-id",
        at="testpijn\n",
        after="subgroups:\n",
        message="indication id 'testpijn' is used twice (first at line",
        also=("unknown-indication",),
    ),
    Case(
        "duplicate-conclusion-id",
        (sub(Y, "- id: testpijn-kinderen-2021", "- id: testpijn-2021"),),
        "duplicate-id",
        at="testpijn-2021",
        after="- id: testpijn-kinderen\n",
        message="conclusion id 'testpijn-2021' is used twice",
    ),
    Case(
        "duplicate-rule-id",
        (sub(Y, "- id: declaratiecode", "- id: garantie"),),
        "duplicate-id",
        at="garantie\n",
        nth=1,
        message="rule id 'garantie'",
    ),
    Case(
        "unknown-evidence-key",
        (sub(Y, "evidence: [bakker2018]", "evidence: [bakker2081]"),),
        "unknown-reference",
        at="bakker2081",
        message="conclusion 'testpijn-kinderen-2021' cites 'bakker2081'",
    ),
    Case(
        "unknown-citation-in-letter-body",
        (sub(L, "[@bakker2018]", "[@bakker2081]"),),
        "unknown-reference",
        file=L,
        at="[@bakker2081]",
        message="'[@bakker2081]' is not in dossiers/base/references.bib",
    ),
    Case(
        "unknown-citation-in-yaml-prose",
        (sub(Y, "[@devries2019, p. 3]", "[@devries2091, p. 3]"),),
        "unknown-reference",
        at="Twee verzonnen",
        message="'[@devries2091]'",
    ),
    Case(
        "unknown-citation-in-faq-answer",
        (
            sub(
                Y,
                "de garantie is {{ rules['garantie'] }}.",
                "de garantie is {{ rules['garantie'] }} [@garantie2020].",
            ),
        ),
        "unknown-reference",
        at="Als aan de voorwaarden",
        message="'[@garantie2020]'",
    ),
    Case(
        "unknown-citation-in-leaflet",
        (
            sub(
                Y,
                "body: Een verzonnen behandeling.",
                "body: Een verzonnen behandeling [@folder2019].",
            ),
        ),
        "unknown-reference",
        at="Een verzonnen behandeling [",
        message="'[@folder2019]'",
    ),
    Case(
        "unused-bib-entry",
        (
            append(
                B, "\n@book{ongebruikt2017,\n  title = {Nooit geciteerd},\n  year = {2017},\n}\n"
            ),
        ),
        "unused-reference",
        file=B,
        at="@book{ongebruikt2017",
        exit=0,
        severity="warning",
        message="reference 'ongebruikt2017' is never cited",
    ),
    Case(
        "unsupported-meets-conclusion",
        (sub(Y, "evidence: [jansen2020, devries2019]", "evidence: []"),),
        "unsupported-conclusion",
        at="id: testpijn-2021",
        message="cites no evidence",
    ),
    Case(
        "unknown-variant-in-conclusion",
        (
            sub(
                Y,
                "        certainty: moderate\n",
                "        certainty: moderate\n        variants: [extrn]\n",
            ),
        ),
        "unknown-id",
        at="extrn",
        message="unknown variant 'extrn'",
    ),
    Case(
        "unknown-variant-in-indication",
        (sub(Y, "variants: [extern, implantaat]", "variants: [extern, implantat]"),),
        "unknown-id",
        at="implantat]",
        message="indication 'testpijn' names unknown variant 'implantat'",
    ),
    Case(
        "unknown-condition-id",
        (
            sub(
                Y,
                "conditions: [volwassen, proefstimulatie]",
                "conditions: [volwassen, proefstimulering]",
            ),
        ),
        "unknown-id",
        at="proefstimulering",
        message="unknown condition 'proefstimulering'",
    ),
    Case(
        "duplicate-key-in-coverage-period",
        (
            sub(
                Y,
                "        study: FICTIEF-1\n",
                "        study: FICTIEF-1\n        basis: testpijn-2012\n",
            ),
        ),
        "yaml-syntax",  # the period already has a basis: a duplicate key, caught first
        at="basis: testpijn-2021",
        message="duplicate key 'basis' (first at line 65)",
    ),
    Case(
        "unknown-coverage-basis-id",
        (sub(Y, "basis: testpijn-2021\n", "basis: testpijn-2012\n"),),
        "unknown-id",
        at="testpijn-2012",
        message="rests on unknown conclusion 'testpijn-2012'",
    ),
    Case(
        "unknown-replaced-by",
        (add_revision("revised", extra="          replaced_by: testpijn-2025\n"),),
        "unknown-id",
        at="testpijn-2025",
        message="replaced by unknown conclusion 'testpijn-2025'",
        also=("coverage-on-invalidated",),
    ),
    Case(
        "unknown-revision-source",
        (add_revision("invalidated", extra="          source: brief-onbekend\n"),),
        "unknown-id",
        at="brief-onbekend",
        message="unknown document 'brief-onbekend'",
        also=("coverage-on-invalidated",),
    ),
    Case(
        "letter-names-unknown-indication",
        (
            sub(
                Y,
                "indications: [testpijn, testpijn-kinderen]",
                "indications: [testpijn, testpijn-volwassenen]",
            ),
        ),
        "unknown-indication",
        at="testpijn-volwassenen",
        message="letter 'brief-vereniging-2024' names indication 'testpijn-volwassenen'",
    ),
    Case(
        "leaflet-about-unknown-indication",
        (sub(Y, "    indication: testpijn\n", "    indication: hoofdpijn\n"),),
        "unknown-indication",
        at="hoofdpijn",
        message="leaflet 'folder-patienten' is about unknown indication 'hoofdpijn'",
    ),
    # --- files -----------------------------------------------------------------------------------
    Case(
        "missing-letter-body",
        (drop(L),),
        "missing-file",
        at="brief.md",
        message="file 'brief.md' does not exist",
    ),
    Case(
        "letter-body-not-utf8",
        (encode(L, "Voor kinderen", b"Voor kinderen \xe9\xe9n"),),
        "unreadable-file",
        file=L,
        at="Voor kinderen",
        column=False,
        message="not valid UTF-8 (byte 0xe9)",
    ),
    Case(
        "bib-not-utf8",
        (encode(B, "Bakker, Dirk", b"B\xe4kker, Dirk"),),
        "unreadable-file",
        file=B,
        at="\ufffd",
        message="not valid UTF-8 (byte 0xe4)",
    ),
    # --- BibTeX ----------------------------------------------------------------------------------
    Case(
        "broken-bibtex-entry",
        (
            sub(
                B,
                "  title = {Een tweede verzonnen studie},\n",
                "  title = {Een tweede verzonnen studie\n",
            ),
        ),
        "bib-syntax",
        file=B,
        at="@article{devries2019",
        message="cannot parse BibTeX entry",
        also=("unknown-reference", "unknown-reference", "unknown-reference"),
    ),
    Case(
        "bibtex-entry-without-key",
        (append(B, "\n@article{\n  title = {Geen sleutel},\n}\n"),),
        "bib-syntax",
        file=B,
        at="@article{\n",
    ),
    Case(
        "duplicate-bib-key",
        (append(B, "\n@misc{bakker2018,\n  title = {Dezelfde sleutel},\n}\n"),),
        "bib-duplicate-key",
        file=B,
        at="@misc{bakker2018",
        message="duplicate BibTeX key 'bakker2018'",
    ),
    Case(
        "bad-doi-field",
        (sub(B, "doi = {10.5555/fictief.2018.003}", "doi = {fictief-2018-003}"),),
        "bib-bad-doi",
        file=B,
        at="@article{bakker2018",
        message="'fictief-2018-003' in 'bakker2018' is not a DOI",
    ),
    Case(
        "bad-retraction-nature",
        (flag("10.5555/fictief.2018.003", nature="Withdrawn"),),
        "bib-retraction-field",
        file=B,
        at="@article{bakker2018",
        message="retraction = {Withdrawn} is not one of",
    ),
    Case(
        "bad-retraction-date",
        (flag("10.5555/fictief.2018.003", date="1 mei 2023"),),
        "bib-retraction-field",
        file=B,
        at="@article{bakker2018",
        message="retraction_date = {1 mei 2023} is not YYYY-MM-DD",
    ),
    # --- coverage --------------------------------------------------------------------------------
    Case(
        "insured-after-does-not-meet",
        (
            sub(Y, "verdict: insufficient_evidence", "verdict: does_not_meet"),
            sub(Y, "status: not_insured", "status: insured"),
        ),
        "coverage-contradicts-verdict",
        at="status: insured\n            start: 2021-12",
        message="conclusion 'testpijn-kinderen-2021' of 2021-11 says it does not meet",
    ),
    Case(
        "overlapping-coverage",
        (sub(Y, "end: 2022-01-01", "end: 2022-06-01"),),
        "coverage-order",
        at="status: insured",
        message="starts 2022-01-01, before the previous period ends (2022-06-01)",
        # (no addendum-unmentioned: a conditional period's end is its term, known from its
        # start, so ending within the addendum's period is no change; tooling/history.py)
    ),
    Case(
        "coverage-ends-before-start",
        (sub(Y, "end: 2022-01-01", "end: 2017-01-01"),),
        "coverage-order",
        at="2017-01-01",
        message="ends (2017-01-01) before it starts (2018-01-01)",
    ),
    Case(
        "open-period-followed-by-another",
        (sub(Y, "        end: 2022-01-01\n", ""),),
        "coverage-order",
        at="status: insured",
        message="the previous period has no end",
        also=("conditional-incomplete",),
    ),
    Case(
        "conditional-without-condition",
        (sub(Y, "        study: FICTIEF-1\n        centres:\n          count: 3\n", ""),),
        "conditional-incomplete",
        at="status: conditional",
        message="names no condition",
    ),
    Case(
        "conditional-without-end",
        (
            sub(
                Y,
                "status: insured\n        start: 2022-01-01",
                "status: conditional\n        start: 2022-01-01",
            ),
        ),
        "conditional-incomplete",
        at="status: conditional",
        nth=1,
        message="has no end date",
    ),
    Case(
        "coverage-on-invalidated-conclusion",
        (add_revision("invalidated"),),
        "coverage-on-invalidated",
        at="status: insured",
        exit=0,
        severity="warning",
        message="rests on conclusion 'testpijn-2021', which no longer stands",
    ),
    Case(
        "addendum-leaves-a-coverage-change-unmentioned",
        (sub(Y, "start: 2022-01-01\n        conditions", "start: 2022-06-01\n        conditions"),),
        "addendum-unmentioned",
        at="id: addendum-2023",
        exit=0,
        severity="warning",
        message="does not mention a change of its period: Testpijn: Vergoeding vastgelegd: "
        "vergoed met ingang van 1 juni 2022.",
    ),
    # --- dates -----------------------------------------------------------------------------------
    Case(
        "addendum-before-position",
        (sub(Y, "date: 2023-02-15", "date: 2021-02-15"),),
        "date-order",
        at="2021-02-15",
        message="addendum 'addendum-2023' (2021-02-15) is dated before the position (2022-01-01)",
    ),
    Case(
        "reply-deadline-before-letter",
        (sub(Y, "reply_deadline: 2024-06-01", "reply_deadline: 2024-04-01"),),
        "date-order",
        at="2024-04-01",
        message="asks for a reply by 2024-04-01, before its own date (2024-05-01)",
    ),
    Case(
        "answers-a-later-letter",
        (sub(Y, "date: 2024-04-02", "date: 2024-05-02"),),
        "date-order",
        at="2024-05-02",
        message="answers a letter dated after it",
    ),
    Case(
        "superseded-after-successor",
        (sub(Y, "date: 2015-03", "date: 2023-03"),),
        "date-order",
        at="2023-03",
        message="superseded position 'standpunt-2015' (2023-03) is dated after its successor",
    ),
    Case(
        "revision-before-conclusion",
        (add_revision("under_reassessment", date="2020-01-10"),),
        "date-order",
        at="2020-01-10",
        message="conclusion 'testpijn-2021' is revised (2020-01-10) before it was drawn (2021-11-30)",
    ),
    # --- retractions ----------------------------------------------------------------------------
    Case(
        "meets-on-retracted-evidence-only",
        RETRACT_BOTH,
        "retracted-basis",
        at="id: testpijn-2021",
        message="conclusion 'testpijn-2021' rests only on retracted evidence (jansen2020, devries2019)",
        also=("flagged-evidence", "flagged-evidence"),
    ),
    Case(
        "retracted-but-only-under-reassessment",
        (*RETRACT_BOTH, add_revision("under_reassessment")),
        "retracted-basis",
        at="id: testpijn-2021",
        message="(jansen2020, devries2019)",
        also=("flagged-evidence", "flagged-evidence"),
    ),
    Case(
        "retracted-with-revision-is-flagged-only",
        (*RETRACT_BOTH, add_revision("invalidated")),
        "flagged-evidence",
        at="jansen2020",
        nth=1,
        exit=0,
        severity="warning",
        message="cites 'jansen2020', which has a retraction of 2023-05-01: Concerns about data; "
        "Fictitious test reason (the conclusion's revision is recorded)",
        also=("coverage-on-invalidated", "flagged-evidence"),
    ),
    Case(
        "one-of-two-retracted",
        (flag("10.5555/fictief.2019.002"),),
        "flagged-evidence",
        at="devries2019]",
        exit=0,
        severity="warning",
        message="review whether the conclusion still holds without it",
    ),
    Case(
        "conclusion-cites-a-correction",
        (flag("10.5555/fictief.2018.003", nature="Correction"),),
        "flagged-evidence",
        at="bakker2018",
        exit=0,
        severity="warning",
        message="cites 'bakker2018', which has a correction of 2023-05-01",
    ),
    # --- retraction data: what the update found new, and its age ---------------------------
    Case(
        "new-retraction-without-decision",
        (
            put(
                "dossier.toml",
                '[retractions]\ndatabase = "data/rw.csv"\nledger = "data/ledger.json"\n',
            ),
            put("data/rw.csv", RW_HEADER + RW_JANSEN_RETRACTED),
            put("data/ledger.json", RW_JANSEN_FOUND),
        ),
        "retraction-undecided",
        at="jansen2020",
        after="evidence:",
        message="conclusion 'testpijn-2021' cites 'jansen2020', retracted on 2023-03-14 "
        "(found new on 2026-11-30); no decision is recorded",
        also=("flagged-evidence",),
    ),
    Case(
        "stale-retraction-snapshot",
        (
            put(
                "dossier.toml",
                '[retractions]\ndatabase = "data/rw.csv"\nsnapshot_date = "2020-01-01"\n',
            ),
            put("data/rw.csv", RW_HEADER),
        ),
        "stale-retraction-data",
        file="dossier.toml",
        at="snapshot_date",
        exit=0,
        severity="warning",
        message="days old (2020-01-01); [retractions] max_age_days is 30",
    ),
    # --- decision tables, cases and rule values (docs/decisions.md) ---------------------------
    Case(
        "decision-unknown-option",
        (
            *WITH_DECISIONS[:2],
            put(DEC, DECISIONS.replace("{soort: b}", "{soort: c}")),
            WITH_DECISIONS[2],
        ),
        "decision-reference",
        file=DEC,
        at="c}",
        message="'c' is not a value of 'soort'",
        also=("unused-rule",),
    ),
    Case(
        "decision-contradictory-rows",
        (
            *WITH_DECISIONS[:2],
            put(DEC, DECISIONS.replace("{ge: {rule: garantie}}", "{ge: 0}")),
            WITH_DECISIONS[2],
        ),
        "decision-overlap",
        file=DEC,
        at="when: {soort: a, maanden: {ge: 0}}",
        message="rows 1 and 2 of table 'garantie' both apply",
        also=("case-failed", "unused-rule"),  # the case's answer is no longer decided
    ),
    Case(
        "decision-uncovered-combination",
        (
            *WITH_DECISIONS[:2],
            put(
                DEC,
                DECISIONS.replace(
                    "{soort: a, maanden: {ge: {rule: garantie}}}",
                    "{soort: a, maanden: {ge: {rule: garantie}}, begin: {before: 2000-01-01}}",
                ),
            ),
            WITH_DECISIONS[2],
        ),
        "decision-gap",
        file=DEC,
        at="garantie\n        title",
        message="table 'garantie' has no row for",
        also=("unused-rule",),
    ),
    Case(
        "case-unknown-input",
        (*WITH_DECISIONS[:2], put(CASE_FILE, CASES_TEXT.replace("{soort: a,", "{kleur: a,"))),
        "case-invalid",
        file=CASE_FILE,
        at="kleur",
        message="gives unknown input 'kleur'",
        also=("unused-rule",),
    ),
    Case(
        "case-answer-differs",
        (
            *WITH_DECISIONS[:2],
            put(
                CASE_FILE,
                CASES_TEXT.replace("expect: {status: binnen}", "expect: {status: zonder}"),
            ),
        ),
        "case-failed",
        file=CASE_FILE,
        at="zonder}",
        message="status is 'binnen', expected 'zonder'",
        also=("unused-rule",),
    ),
    Case(
        "rule-value-not-in-its-quote",
        (
            sub(
                Y,
                "    value: 9\n    unit: jaar\n",
                "    value: 9\n    unit: jaar\n    source: {passage: P, quote: een garantie van acht jaar}\n",
            ),
        ),
        "rule-source",
        at="9\n    unit: jaar",
        message="has value 9, which its source does not say",
    ),
    Case(
        "rule-sum-differs",
        (
            sub(
                Y,
                "    value: 9\n    unit: jaar\n",
                "    value: 9\n    unit: jaar\n    sum_of: [deel-a, deel-b]\n"
                "  - {id: deel-a, label: A, value: 5, unit: jaar}\n"
                "  - {id: deel-b, label: B, value: 3, unit: jaar}\n",
            ),
        ),
        "rule-relation",
        at="[deel-a, deel-b]",
        message="is 9 jaar, but its parts add up to 8",
    ),
    Case(
        "rule-dated-values-overlap",
        (
            sub(
                Y,
                "    value: 9\n    unit: jaar\n",
                "    unit: jaar\n    values:\n      - {value: 8, start: 2020-01-01, end: 2023-01-01}\n"
                "      - {value: 9, start: 2022-01-01}\n",
            ),
        ),
        "rule-dates",
        at="{value: 9, start: 2022-01-01}",
        message="before the previous value ends",
    ),
    Case(
        "rule-unused-in-a-dossier-with-decisions",
        WITH_DECISIONS,
        "unused-rule",
        at="declaratiecode\n",
        severity="warning",
        exit=0,
        message="rule 'declaratiecode' is quoted by no text and used by no decision",
    ),
    # --- released versions (versies/): permanent, never changed ------------------------------
    Case(
        "version-not-released",
        (
            append(
                Y,
                "versions:\n  - id: v2024\n    date: 2024-06-01\n    status: definitive\n"
                "    documents: [standpunt]\n",
            ),
        ),
        "version-not-released",
        file=f"{BASE_DIR}/versies/v2024",
        line=0,
        exit=0,
        severity="warning",
        message="is not released yet (nog niet vastgelegd)",
    ),
    Case(
        "stray-folder-in-versies",
        (put(f"{BASE_DIR}/versies/oud/notities.txt", "losse notitie\n"),),
        "version-archive",
        file=f"{BASE_DIR}/versies/oud",
        line=0,
        message="'oud' in 'versies/' is not a released version of this dossier",
    ),
    # --- versions and `since` (docs/history.md) ----------------------------------------------
    Case(
        "version-id-twice",
        (versions("v1 2022-01-01 concept [standpunt]", "v1 2023-02-15 concept [addendum-2023]"),),
        "version-id",
        at="v1\n    date: 2023-02-15",
        message="version id 'v1' is used twice",
    ),
    Case(
        "version-out-of-order",
        (versions("v2 2023-02-15 concept [addendum-2023]", "v1 2022-01-01 concept [standpunt]"),),
        "version-order",
        after="versions:",
        at="2022-01-01",
        message="is listed after 'v2' (2023-02-15), which is later",
    ),
    Case(
        "version-unknown-document",
        (versions("v1 2022-01-01 concept [position]"),),
        "version-document",
        at="position]",
        message="names unknown document 'position'",
    ),
    Case(
        "version-document-dated-later",
        (versions("v1 2022-01-01 concept [standpunt, addendum-2023]"),),
        "version-document",
        at="addendum-2023]",
        message="names document 'addendum-2023', which is dated later (2023-02-15)",
    ),
    Case(
        "version-without-documents-or-note",
        (versions("v1 2022-01-01 concept []"),),
        "version-document",
        after="versions:",
        at="id: v1",
        message="names no document and has no note",
    ),
    Case(
        "consultation-deadline-on-a-concept",
        (versions("v1 2022-01-01 concept [standpunt] consultation_until: 2022-02-01"),),
        "version-consultation",
        after="versions:",
        at="2022-02-01",
        message="is concept but has a consultation deadline",
    ),
    Case(
        "since-after-a-conclusion",
        (sub(Y, "    name: Testpijn\n", "    name: Testpijn\n    since: 2022-06-01\n"),),
        "since-order",
        at="2022-06-01",
        message="after its conclusion 'testpijn-2021' (2021-11-30)",
        also=("addendum-unmentioned",),  # the indication entered in the addendum's period
    ),
    Case(
        "as-of-before-the-dossier",
        (),
        "as-of-absent",
        line=1,
        column=False,
        exit=0,
        severity="warning",
        args=("--as-of", "2010-01-01"),
        message="the dossier did not exist yet on 2010-01-01 (its first dated fact is dated "
        "2018-01-01): left out",
    ),
]


def expected_place(case: Case, files: Files) -> tuple[int, int | None]:
    """(line, column or None) where the case's finding must stand, from its marker."""
    if case.at is None:
        assert case.line is not None
        return case.line, None
    content = files[case.file]
    text = content if isinstance(content, str) else content.decode("utf-8", "replace")
    index = text.index(case.after) if case.after else -1
    for _ in range(case.nth + 1):
        index = text.find(case.at, index + 1)
        assert index >= 0, f"marker {case.at!r} (occurrence {case.nth}) not in {case.file}"
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column if case.column else None


def build(case: Case, make_project: MakeProject) -> tuple[Path, Files]:
    files = base_files()
    for edit in case.edits:
        edit(files)
    return make_project(files), files


def _params(cases: list[Case]) -> list[object]:
    return [pytest.param(c, id=c.id) for c in cases]


@pytest.mark.parametrize("case", _params(CASES))
def test_malformed(case: Case, make_project: MakeProject, run_cli: RunCli) -> None:
    root, files = build(case, make_project)
    code, out, err = run_cli(["check", *case.args, "--format", "json"], cwd=root)
    assert "Traceback" not in out + err
    assert err == ""
    findings = json.loads(out)["findings"]
    listing = "\n".join(
        f"{f['location']['path']}:{f['location']['line']}:{f['location']['column']}: "
        f"{f['code']} {f['severity']}: {f['message']}"
        for f in findings
    )
    line, column = expected_place(case, files)
    matches = [
        f
        for f in findings
        if f["code"] == case.code
        and f["location"]["path"] == case.file
        and f["location"]["line"] == line
        and (column is None or f["location"]["column"] == column)
    ]
    assert matches, f"expected {case.code} at {case.file}:{line}:{column}; got:\n{listing}"
    assert any(case.message in f["message"] for f in matches), listing
    assert all(f["severity"] == case.severity for f in matches)
    # Sphinx-style: the complete list. Every other finding is one the case declares.
    others = sorted(f["code"] for f in findings if f not in matches)
    assert others == sorted(case.also), f"unexpected findings besides {case.code}:\n{listing}"
    assert code == case.exit, listing

    # The text format says the same, as path:line:col: CODE severity: message.
    code_text, out_text, err_text = run_cli(["check", *case.args], cwd=root)
    assert code_text == case.exit
    assert "Traceback" not in out_text + err_text
    place = (
        f"{case.file}:{line}:{column}" if column else f"{case.file}:{line}" if line else case.file
    )
    assert f"{place}: {case.code} {case.severity}: " in out_text or (
        column is None and f"{place}:" in out_text and f" {case.code} {case.severity}: " in out_text
    ), out_text


def test_base_fixture_is_clean(make_project: MakeProject, run_cli: RunCli) -> None:
    root = make_project(base_files())
    code, out, err = run_cli(["check", "--format", "json"], cwd=root)
    assert (code, err) == (0, "")
    assert json.loads(out)["findings"] == []


ACCEPTED: list[tuple[str, tuple[Edit, ...]]] = [
    ("utf8-bom", (put(Y, "\ufeff" + base_files()[Y]),)),
    ("bom-in-letter-body", (put(L, "\ufeff" + base_files()[L]),)),
    ("crlf-line-endings", (put(Y, base_files()[Y].replace("\n", "\r\n")),)),
    ("year-only-date", (sub(Y, "date: 2021-11-30", "date: 2021"),)),
    ("quoted-date", (sub(Y, "updated: 2024-06-01", 'updated: "2024-06-01"'),)),
]


@pytest.mark.parametrize("edits", [e for _, e in ACCEPTED], ids=[n for n, _ in ACCEPTED])
def test_accepted_variants(
    edits: tuple[Edit, ...], make_project: MakeProject, run_cli: RunCli
) -> None:
    files = base_files()
    for edit in edits:
        edit(files)
    code, out, err = run_cli(["check", "--format", "json"], cwd=make_project(files))
    assert (code, err) == (0, ""), out
    assert json.loads(out)["findings"] == []


def test_crlf_keeps_line_numbers(make_project: MakeProject, run_cli: RunCli) -> None:
    files = base_files()
    sub(Y, "verdict: meets", "verdikt: meets")(files)
    text = files[Y]
    assert isinstance(text, str)
    files[Y] = text.replace("\n", "\r\n")
    _, out, _ = run_cli(["check", "--format", "json"], cwd=make_project(files))
    (finding,) = [f for f in json.loads(out)["findings"] if f["code"] == "unknown-key"]
    line = text[: text.index("verdikt")].count("\n") + 1
    assert finding["location"]["line"] == line


# --- unusable input and wrong usage: exit code 2, a message on stderr ---------------------------

CSV_HEADER = (
    "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
    "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
    "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes\n"
)


@dataclass(frozen=True)
class UsageCase:
    id: str
    files: dict[str, str]
    args: tuple[str, ...]
    stderr: tuple[str, ...]
    with_base: bool = True


USAGE_CASES: list[UsageCase] = [
    UsageCase(
        "toml-unknown-key",
        {"dossier.toml": '[project]\ndossierz = "dossiers"\n'},
        ("check",),
        ("dossier.toml: error: unknown key(s) in [project]: dossierz", "known: "),
    ),
    UsageCase(
        "toml-unknown-section",
        {"dossier.toml": "[projekt]\n"},
        ("check",),
        ("dossier.toml: error: unknown section [projekt]",),
    ),
    UsageCase(
        "toml-invalid",
        {"dossier.toml": "[project\n"},
        ("check",),
        ("dossier.toml: error: invalid dossier.toml",),
    ),
    UsageCase(
        "toml-wrong-type",
        {"dossier.toml": "[project]\ndossiers = 3\n"},
        ("check",),
        ("dossier.toml: error: 'dossiers' must be a string",),
    ),
    UsageCase(
        "retraction-csv-missing",
        {"dossier.toml": '[retractions]\ndatabase = "data/ontbreekt.csv"\n'},
        ("check",),
        ("data/ontbreekt.csv: error: cannot read retraction database",),
    ),
    UsageCase(
        "retraction-csv-wrong-header",
        {
            "dossier.toml": '[retractions]\ndatabase = "data/rw.csv"\n',
            "data/rw.csv": "doi,nature\n10.5555/x,Retraction\n",
        },
        ("check",),
        ("data/rw.csv:1: error: not a Retraction Watch CSV",),
    ),
    UsageCase(
        "retraction-csv-short-row",
        {
            "dossier.toml": '[retractions]\ndatabase = "data/rw.csv"\n',
            "data/rw.csv": CSV_HEADER + "1,Titel\n",
        },
        ("check",),
        ("data/rw.csv:2: error: row has 2 columns, expected 20",),
    ),
    UsageCase(
        "retraction-csv-sha-mismatch",
        {
            "dossier.toml": '[retractions]\ndatabase = "data/rw.csv"\nsha256 = "00ff"\n',
            "data/rw.csv": CSV_HEADER,
        },
        ("check",),
        ("dossier.toml: error: retraction database data/rw.csv has SHA-256",),
    ),
    UsageCase(
        "check-path-without-dossier",
        {"elders/leeg.txt": ""},
        ("check", "elders"),
        ("elders: error: no dossier.yaml here",),
    ),
    UsageCase(
        "no-dossiers-folder",
        {"dossier.toml": "[project]\n"},
        ("check",),
        ("dossiers: error: no dossiers folder",),
        with_base=False,
    ),
    UsageCase(
        "new-existing-slug",
        {},
        ("new", "base"),
        ("dossiers/base: error: already exists; `dossier new` never overwrites",),
    ),
    UsageCase(
        "new-invalid-slug",
        {},
        ("new", "Geen Slug"),
        ("error: 'Geen Slug' is not a valid dossier name",),
    ),
    UsageCase("new-slug-with-path", {}, ("new", "../buiten"), ("is not a valid dossier name",)),
    UsageCase("unknown-verb", {}, ("controleer",), ("invalid choice: 'controleer'",)),
    UsageCase("unknown-format", {}, ("check", "--format", "xml"), ("invalid choice: 'xml'",)),
]


@pytest.mark.parametrize("case", USAGE_CASES, ids=[c.id for c in USAGE_CASES])
def test_unusable_input(case: UsageCase, make_project: MakeProject, run_cli: RunCli) -> None:
    files: Files = base_files() if case.with_base else {}
    files.update(case.files)
    root = make_project(files)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    code, out, err = run_cli(list(case.args), cwd=root)
    assert code == 2, out + err
    assert "Traceback" not in out + err
    for text in case.stderr:
        assert text in err, err
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert after == before, "a failed command must not change any file"


def test_corpus_size() -> None:
    assert len(CASES) + len(USAGE_CASES) >= 30


def test_every_rule_has_a_failing_case() -> None:
    """A new rule (or loader code) without a case in this corpus fails here."""
    codes = {code for code, _, _ in LOADER_CHECKS} | {r.code for r in CHECKS}
    covered = {c.code for c in CASES}
    missing = sorted(codes - covered)
    assert not missing, f"add a case to tests/test_malformed.py for: {', '.join(missing)}"
    unknown = sorted(covered - codes)
    assert not unknown, f"cases expect codes no rule declares: {', '.join(unknown)}"

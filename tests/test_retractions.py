"""Retraction data: DOIs, dates, reasons, notice precedence, the Retraction Watch CSV, BibTeX.

The example database data/retraction-watch-example.csv holds only fictional records with
test DOIs (10.5555/...): one of each nature, a retraction later reinstated, a DOI written as
a mixed-case link and a row without a DOI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from tooling.bibliography import _parse_with_bibtexparser, _scan, parse_bibliography
from tooling.config import load_config
from tooling.diagnostics import DossierError
from tooling.pipeline import check, open_retraction_db
from tooling.retractions import (
    COLUMNS,
    Nature,
    Notice,
    RetractionDatabase,
    Snapshot,
    current_notice,
    normalize_doi,
    parse_reasons,
    parse_rw_date,
)

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "data" / "retraction-watch-example.csv"
HEADER = ",".join(COLUMNS) + "\n"


def row(**values: str) -> str:
    """One CSV line with the given columns (by name) and the rest empty."""
    cells = [values.get(name, "") for name in COLUMNS]
    return ",".join(f'"{c}"' if "," in c else c for c in cells) + "\n"


@pytest.fixture(scope="module")
def example() -> RetractionDatabase:
    return RetractionDatabase.from_csv(EXAMPLE, display="data/retraction-watch-example.csv")


# --- DOIs, dates, reasons, natures ---------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "10.5555/rw-example.005",
        "10.5555/RW-Example.005",
        "https://doi.org/10.5555/RW-Example.005",
        "HTTPS://DOI.ORG/10.5555/rw-example.005",
        "http://dx.doi.org/10.5555/rw-example.005",
        "https://dx.doi.org/10.5555/rw-example.005",
        "doi:10.5555/rw-example.005",
        "DOI: 10.5555/rw-example.005",
        "  10.5555/rw-example.005\n",
        "10.5555/rw-\nexample.005",
        "doi.org/10.5555/rw-example.005",
        "10.5555/rw-example.005.",
        "(doi: 10.5555/rw-example.005);",
        "１０．５５５５/rw-example.００５",
        "10.5555/rw-\u200bexample.005",
    ],
)
def test_doi_normalisation(written: str) -> None:
    assert normalize_doi(written) == "10.5555/rw-example.005"


def test_normalize_doi_is_the_one_in_tooling_doi() -> None:
    from tooling import doi

    assert normalize_doi is doi.normalize_doi


def test_example_database_finds_a_doi_written_with_a_sentence_around_it(
    example: RetractionDatabase,
) -> None:
    written = "(https://doi.org/10.5555/RW-EXAMPLE.001)."
    assert (
        [n.nature for n in example.notices(written)]
        == [n.nature for n in example.notices("10.5555/rw-example.001")]
        != []
    )


def test_doi_normalisation_leaves_other_text_alone() -> None:
    assert normalize_doi("") == ""
    assert normalize_doi("unavailable") == "unavailable"
    assert normalize_doi("https://example.org/10.5555/x") == "https://example.org/10.5555/x"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2/2/2010 0:00", dt.date(2010, 2, 2)),
        ("12/31/2019 0:00", dt.date(2019, 12, 31)),
        ("7/4/2021", dt.date(2021, 7, 4)),
        ("2019-05-01", dt.date(2019, 5, 1)),
        (" 2/29/2020 13:45 ", dt.date(2020, 2, 29)),
        ("", None),
        ("   ", None),
        ("2/30/2019 0:00", None),  # no such day
        ("13/1/2019 0:00", None),  # no such month
        ("unknown", None),
    ],
)
def test_retraction_watch_dates(text: str, expected: dt.date | None) -> None:
    assert parse_rw_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+Duplication of Article;+Error in Data;", ("Duplication of Article", "Error in Data")),
        ("+Paper Mill;", ("Paper Mill",)),
        (" +A ; + B ;;+;", ("A", "B")),
        ("Withdrawal", ("Withdrawal",)),
        ("", ()),
    ],
)
def test_reasons_are_split(text: str, expected: tuple[str, ...]) -> None:
    assert parse_reasons(text) == expected


def test_natures_parse_case_insensitively() -> None:
    assert Nature.parse(" retraction ") is Nature.RETRACTION
    assert Nature.parse("EXPRESSION OF CONCERN") is Nature.CONCERN
    assert Nature.parse("Retracted") is None
    assert Nature.RETRACTION.invalidates
    assert not any(n.invalidates for n in (Nature.CORRECTION, Nature.CONCERN))


# --- which notice is in force ---------------------------------------------------------------


def notice(nature: Nature, day: str | None, reason: str = "") -> Notice:
    return Notice(nature, dt.date.fromisoformat(day) if day else None, (reason,) if reason else ())


def test_most_severe_notice_wins() -> None:
    correction = notice(Nature.CORRECTION, "2021-01-01")
    concern = notice(Nature.CONCERN, "2019-01-01")
    retraction = notice(Nature.RETRACTION, "2018-01-01")
    assert current_notice([correction, concern, retraction]) == retraction
    assert current_notice([correction, concern]) == concern
    assert current_notice([correction]) == correction
    assert current_notice([]) is None


def test_the_latest_of_equal_natures_wins() -> None:
    first = notice(Nature.CORRECTION, "2015-01-01", "first")
    second = notice(Nature.CORRECTION, "2020-01-01", "second")
    assert current_notice([second, first]) == second


def test_reinstatement_clears_what_came_before() -> None:
    retraction = notice(Nature.RETRACTION, "2015-03-01")
    reinstatement = notice(Nature.REINSTATEMENT, "2016-09-30")
    assert current_notice([reinstatement, retraction]) is None
    later = notice(Nature.CORRECTION, "2018-01-01")
    assert current_notice([retraction, later, reinstatement]) == later
    # A retraction after the reinstatement stands again.
    again = notice(Nature.RETRACTION, "2020-01-01")
    assert current_notice([retraction, reinstatement, again]) == again


def test_undated_notices_come_first() -> None:
    undated = notice(Nature.RETRACTION, None)
    reinstatement = notice(Nature.REINSTATEMENT, "2001-01-01")
    assert current_notice([reinstatement, undated]) is None
    assert current_notice([undated]) == undated


# --- the example database ------------------------------------------------------------------


def test_example_database_records_its_snapshot(example: RetractionDatabase) -> None:
    digest = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    assert example.snapshot == Snapshot("data/retraction-watch-example.csv", digest, "", 7)
    assert len(example) == 5  # distinct DOIs; the row without a DOI is not indexed


def test_example_plain_retraction(example: RetractionDatabase) -> None:
    (found,) = example.notices("10.5555/rw-example.001")
    assert found == Notice(
        nature=Nature.RETRACTION,
        date=dt.date(2010, 2, 2),
        reasons=("Duplication of Article", "Error in Data"),
        notice_doi="10.5555/rw-example.notice.001",
        record_id="900001",
        source="retraction-watch-example.csv",
    )
    assert found.reason == "Duplication of Article; Error in Data"


@pytest.mark.parametrize(
    ("doi", "nature"),
    [
        ("10.5555/rw-example.002", Nature.CORRECTION),
        ("10.5555/rw-example.003", Nature.CONCERN),
        ("https://doi.org/10.5555/RW-EXAMPLE.005", Nature.RETRACTION),
    ],
)
def test_example_natures(example: RetractionDatabase, doi: str, nature: Nature) -> None:
    found = current_notice(example.notices(doi))
    assert found is not None and found.nature is nature


def test_example_reinstated_paper_is_cleared(example: RetractionDatabase) -> None:
    notices = example.notices("10.5555/rw-example.004")
    assert [n.nature for n in notices] == [Nature.RETRACTION, Nature.REINSTATEMENT]
    assert current_notice(notices) is None


def test_example_link_in_mixed_case_is_found(example: RetractionDatabase) -> None:
    assert example.notices("10.5555/rw-example.005") == example.notices(
        "doi:10.5555/Rw-Example.005"
    )
    assert example.notices("10.5555/rw-example.005")[0].record_id == "900006"


def test_unavailable_doi_matches_nothing(example: RetractionDatabase) -> None:
    assert example.notices("unavailable") == []
    assert example.notices("10.5555/not-in-the-database") == []
    assert example.notices("") == []


def test_database_from_rows_keeps_its_constructor() -> None:
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(
        {"RetractionNature": "Correction", "RetractionDate": "1/2/2003 0:00", "Record ID": "7"}
    )
    db = RetractionDatabase(
        {"10.5555/x": [[cells[c] for c in COLUMNS]]}, Snapshot("a/b.csv", "", "", 1)
    )
    (found,) = db.notices("10.5555/X")
    assert (found.nature, found.date, found.record_id, found.source) == (
        Nature.CORRECTION,
        dt.date(2003, 1, 2),
        "7",
        "b.csv",
    )


def test_rows_with_unknown_natures_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    path.write_text(
        HEADER
        + row(**{"Record ID": "1", "OriginalPaperDOI": "10.5555/a", "RetractionNature": "Erratum"})
        + row(
            **{"Record ID": "2", "OriginalPaperDOI": "10.5555/a", "RetractionNature": "Retraction"}
        ),
        encoding="utf-8",
    )
    db = RetractionDatabase.from_csv(path, display="rw.csv")
    assert [n.record_id for n in db.notices("10.5555/a")] == ["2"]


def test_windows_1252_export_is_read(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    text = HEADER + row(
        **{
            "Title": "Caf\xe9 study",
            "OriginalPaperDOI": "10.5555/cafe",
            "RetractionNature": "Retraction",
        }
    )
    path.write_bytes(text.encode("cp1252"))
    db = RetractionDatabase.from_csv(path, display="rw.csv")
    assert db.notices("10.5555/cafe")[0].nature is Nature.RETRACTION


# --- malformed databases --------------------------------------------------------------------


def test_wrong_header_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    path.write_text("doi,nature\n10.5555/x,Retraction\n", encoding="utf-8")
    with pytest.raises(DossierError) as caught:
        RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert str(caught.value.location) == "data/rw.csv:1"
    assert "not a Retraction Watch CSV" in caught.value.message


def test_empty_file_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(DossierError, match="not a Retraction Watch CSV"):
        RetractionDatabase.from_csv(path, display="rw.csv")


def test_wrong_column_count_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    good = row(
        **{"Record ID": "1", "OriginalPaperDOI": "10.5555/a", "RetractionNature": "Retraction"}
    )
    path.write_text(HEADER + good + good + "3,Title only\n" + good, encoding="utf-8")
    with pytest.raises(DossierError) as caught:
        RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert str(caught.value.location) == "data/rw.csv:4"
    assert caught.value.message == "row has 2 columns, expected 20"


def test_quoted_fields_may_span_lines_and_errors_give_the_file_line(tmp_path: Path) -> None:
    path = tmp_path / "rw.csv"
    notes = '"Zie ook:\nde verklaring van de uitgever"'
    empty_notes = row(
        **{"Record ID": "1", "OriginalPaperDOI": "10.5555/a", "RetractionNature": "Retraction"}
    )
    multiline = empty_notes.removesuffix("\n") + notes + "\n"  # Notes is the last column
    path.write_text(HEADER + multiline, encoding="utf-8")
    db = RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert [n.record_id for n in db.notices("10.5555/A")] == ["1"]
    path.write_text(HEADER + multiline + "3,Title only\n", encoding="utf-8")
    with pytest.raises(DossierError) as caught:
        RetractionDatabase.from_csv(path, display="data/rw.csv")
    assert str(caught.value.location) == "data/rw.csv:4"  # the header, two lines, then this


def test_missing_file_says_where_to_configure(tmp_path: Path) -> None:
    with pytest.raises(DossierError) as caught:
        RetractionDatabase.from_csv(tmp_path / "nope.csv", display="data/nope.csv")
    assert "cannot read retraction database" in caught.value.message
    assert "dossier.toml" in caught.value.hint


# --- snapshot pinning through the project configuration -------------------------------------


def project(tmp_path: Path, sha256: str = "") -> Path:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rw.csv").write_bytes(EXAMPLE.read_bytes())
    pin = f'sha256 = "{sha256}"\n' if sha256 else ""
    (tmp_path / "dossier.toml").write_text(
        f'[retractions]\ndatabase = "data/rw.csv"\nsnapshot_date = "2026-01-01"\n{pin}',
        encoding="utf-8",
    )
    (tmp_path / "dossiers").mkdir()
    return tmp_path


def test_check_reports_the_snapshot_it_used(tmp_path: Path) -> None:
    digest = hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    config = load_config(project(tmp_path, digest.upper()))
    db = open_retraction_db(config)
    assert db.snapshot == Snapshot("data/rw.csv", digest, "2026-01-01", 7)
    summary = check(config).summary()["retraction_database"]
    assert summary == {"path": "data/rw.csv", "sha256": digest, "date": "2026-01-01", "records": 7}


def test_pinned_hash_must_match(tmp_path: Path) -> None:
    config = load_config(project(tmp_path, "00ff"))
    with pytest.raises(DossierError, match="has SHA-256"):
        open_retraction_db(config)


# --- notices recorded in BibTeX -------------------------------------------------------------

BIB = """% Fictional test entries.

@article{teruggetrokken2020,
  author = {Jansen, Anna},
  title = {Een {verzonnen} trial},
  journal = {Tijdschrift voor Tests},
  year = 2020,
  doi = {https://doi.org/10.5555/RW-Example.001},
  retraction = {Retraction},
  retraction_date = {2023-05-01},
  retraction_reason = {+Concerns about data;+Fictitious test reason},
  retraction_doi = {10.5555/rw-example.notice.bib},
}

@misc{gecorrigeerd2021,
  title = "Een gecorrigeerde studie",
  retraction = {correction},
}
"""


def test_bib_fields_record_a_notice() -> None:
    references, findings = parse_bibliography(BIB, "references.bib")
    assert findings == []
    retracted = references["teruggetrokken2020"]
    assert retracted.doi_key == "10.5555/rw-example.001"
    assert retracted.doi == "10.5555/RW-Example.001"  # shown as written
    assert retracted.location.line == 3
    assert retracted.notices == (
        Notice(
            nature=Nature.RETRACTION,
            date=dt.date(2023, 5, 1),
            reasons=("Concerns about data", "Fictitious test reason"),
            notice_doi="10.5555/rw-example.notice.bib",
            source="bibtex",
        ),
    )
    corrected = references["gecorrigeerd2021"]
    assert corrected.notices[0].nature is Nature.CORRECTION and corrected.notices[0].date is None


def test_bib_and_database_notices_combine(example: RetractionDatabase) -> None:
    reinstated = BIB.replace("{Retraction}", "{Reinstatement}").replace("2023-05-01", "2011-01-01")
    references, _ = parse_bibliography(reinstated, "references.bib")
    reference = references["teruggetrokken2020"]
    # The database retracted it in 2010; the BibTeX entry records a reinstatement in 2011.
    assert current_notice([*reference.notices, *example.notices(reference.doi)]) is None


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("retraction = {Retracted},", "retraction = {Retracted} is not one of: Retraction"),
        (
            "retraction = {Retraction},\n  retraction_date = {1 mei 2023},",
            "retraction_date = {1 mei 2023} is not YYYY-MM-DD",
        ),
    ],
)
def test_bad_bib_notice_is_a_finding_with_a_line(field: str, message: str) -> None:
    text = f"\n\n@article{{a,\n  title = {{T}},\n  {field}\n}}\n"
    references, findings = parse_bibliography(text, "references.bib")
    (finding,) = findings
    assert message in finding.message
    assert str(finding.location) == "references.bib:3:1"
    assert references["a"].notices == ()


# --- the fast BibTeX scanner agrees with bibtexparser ---------------------------------------

TRICKY = [
    BIB,
    "@article{a, title = {Nested {braces} and {{double}}}, year = 1999}",
    '@article{a,\n  title = {Escaped \\{ brace \\} and {\\"u}mlaut},\n}\n',
    '@book{b, title = "Quoted, with comma", note = {Has "quotes" inside}, year = {2001},}',
    "@misc{c,}\n@misc{d,\n}\n",
    "@Article{CamelCase,\n  Title = {Upper-case field},\n  DOI = {10.5555/Upper}\n}",
    "% comment line\n\nfree text between entries\n@misc{e, title = {x}}\ntrailing text\n",
    "@article{f,\r\n  title = {Windows line ends},\r\n  year = {2020},\r\n}\r\n",
    "@article{g, title = {Multi\n    line\n    title}, pages = {1--10}}",
    # Everything below is for bibtexparser to decide: the scanner must step aside.
    "@string{jan = {January}}\n@misc{h, month = jan}",
    "@comment{anything @misc{x, y}}\n@misc{i, title = {t}}",
    "@misc{j, title = {a} # {b}}",
    "@misc{k, title = {t}}\n@misc{k, title = {again}}",
    "@misc{l, title = {t}, Title = {twice}}",
    "@misc(m, title = {parentheses})",
    "@misc{n, title = {unclosed}\n@misc{o, title = {next}}",
    "@misc{, title = {no key}}",
    "@misc{p title = {no comma}}",
    "% mail: someone@example.org\n@misc{q, title = {t}}",
    "@misc{r, title = {line end \\\n after backslash}}",
    "@misc{s, title = {bare}, note = word}",
    "@misc{t, author = {a@b}}",
]


@pytest.mark.parametrize("text", TRICKY, ids=range(len(TRICKY)))
def test_scanner_agrees_with_bibtexparser(text: str) -> None:
    assert parse_bibliography(text, "x.bib") == _parse_with_bibtexparser(text, "x.bib")


def test_scanner_reads_the_plain_cases_itself() -> None:
    plain = TRICKY[: TRICKY.index("@string{jan = {January}}\n@misc{h, month = jan}")]
    assert all(_scan(text) is not None for text in plain)
    assert all(_scan(text) is None for text in TRICKY[len(plain) :])


def test_scanner_agrees_on_every_bibliography_in_the_repository() -> None:
    paths = sorted(REPO.glob("dossiers/*/references.bib")) + sorted(
        REPO.glob("tests/fixtures/*/references.bib")
    )
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert parse_bibliography(text, str(path)) == _parse_with_bibtexparser(text, str(path))

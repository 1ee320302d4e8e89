"""The consistency rules one by one: what they accept as well as what they reject.

test_malformed.py shows that every rule fires with the right code and place; this file pins
the edges: partial dates, variants, revisions, reinstatements and the rule registry itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import BASE_DIR, Files, MakeProject, base_files

from tooling.checks import CHECKS, LOADER_CHECKS, run_checks
from tooling.config import load_config
from tooling.diagnostics import Finding, Severity
from tooling.load import find_citations
from tooling.pipeline import check

Y = f"{BASE_DIR}/dossier.yaml"
B = f"{BASE_DIR}/references.bib"

CSV_HEADER = (
    "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
    "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
    "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes\n"
)


def csv_row(record: int, doi: str, nature: str, date: str) -> str:
    return (
        f'{record},"Fictief artikel",(HSC) Medicine,Fictief Instituut,Tijdschrift,Uitgever,'
        f"Netherlands,A. Auteur,,Research Article;,{date} 0:00,10.5555/notice.{record},0,"
        f"1/1/2019 0:00,{doi},0,{nature},+Concerns/Issues About Data;,No,\n"
    )


def edited(*replacements: tuple[str, str], path: str = Y) -> Files:
    """The base files with ``(old, new)`` replacements applied to one file (each must match)."""
    files = base_files()
    text = str(files[path])
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    files[path] = text
    return files


def findings(make_project: MakeProject, files: Files) -> list[Finding]:
    root = make_project(files)
    return list(check(load_config(root)).findings)


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


# --- the registry ---------------------------------------------------------------------------------


def test_codes_are_unique_and_kebab_case() -> None:
    all_codes = [c for c, _, _ in LOADER_CHECKS] + [r.code for r in CHECKS]
    assert len(all_codes) == len(set(all_codes))
    for code in all_codes:
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", code), code


def test_every_rule_has_a_rationale() -> None:
    for code, severity, rationale in [
        *LOADER_CHECKS,
        *((r.code, r.severity, r.rationale) for r in CHECKS),
    ]:
        assert isinstance(severity, Severity), code
        assert rationale.endswith("."), code
        assert len(rationale) > 20, code


def test_findings_have_their_rules_severity(make_project: MakeProject) -> None:
    files = edited(
        ("verdict: insufficient_evidence", "verdict: does_not_meet"),
        ("status: not_insured", "status: insured"),
        ("evidence: [bakker2018]", "evidence: [bakker2081]"),
    )
    found = findings(make_project, files)
    declared = {r.code: r.severity for r in CHECKS}
    assert found
    for finding in found:
        assert finding.severity is declared[finding.code], finding


def test_no_checks_without_a_model(make_project: MakeProject) -> None:
    from tooling.load import load_dossier
    from tooling.retractions import RetractionDatabase

    root = make_project({**base_files(), Y: "- a list\n"})
    loaded = load_dossier(root / BASE_DIR, load_config(root), RetractionDatabase.empty())
    assert loaded.model is None
    assert run_checks(loaded) == []


def test_base_dossier_is_clean(make_project: MakeProject) -> None:
    assert findings(make_project, base_files()) == []


# --- coverage ---------------------------------------------------------------------------------------


def test_partial_dates_that_may_touch_are_not_an_overlap(make_project: MakeProject) -> None:
    # 'end: 2022' may mean 1 January 2022: the check cannot say the periods overlap.
    # (Coverage from June 2022 falls in the 2023 addendum's period: the addendum names it.)
    files = edited(
        ("end: 2022-01-01", "end: 2022"),
        ("start: 2022-01-01", "start: 2022-06"),
        ("summary: Tabel 2 verbeterd.", "summary: Tabel 2 verbeterd (testpijn)."),
    )
    assert findings(make_project, files) == []


def test_periods_out_of_order(make_project: MakeProject) -> None:
    files = edited(
        (
            "start: 2018-01-01\n        end: 2022-01-01",
            "start: 2023-01-01\n        end: 2024-01-01",
        ),
        (
            "start: 2022-01-01\n        conditions",
            "start: 2020-01-01\n        end: 2021-01-01\n        conditions",
        ),
    )
    found = [f for f in findings(make_project, files) if f.code == "coverage-order"]
    assert [f.message for f in found] == [
        "coverage of 'testpijn': starts 2020-01-01, before the previous period ends (2024-01-01)"
    ]


def test_periods_of_different_variants_may_overlap(make_project: MakeProject) -> None:
    files = edited(
        ("        study: FICTIEF-1\n", "        study: FICTIEF-1\n        variants: [extern]\n"),
        (
            "start: 2022-01-01\n        conditions",
            "start: 2019-01-01\n        variants: [implantaat]\n        conditions",
        ),
    )
    assert findings(make_project, files) == []


def test_insured_before_a_negative_verdict_is_fine(make_project: MakeProject) -> None:
    files = edited(
        ("verdict: insufficient_evidence", "verdict: does_not_meet"),
        (
            "status: not_insured\n            start: 2021-12",
            "status: insured\n            start: 2015-01\n            end: 2021-10",
        ),
    )
    assert findings(make_project, files) == []


def test_revised_negative_verdict_does_not_block_coverage(make_project: MakeProject) -> None:
    files = edited(
        ("verdict: insufficient_evidence", "verdict: does_not_meet"),
        ("status: not_insured", "status: insured"),
        (
            "            evidence: [bakker2018]\n",
            "            evidence: [bakker2018]\n            revision:\n              kind: revised\n"
            "              date: 2022-01\n              reason: Nieuwe studies.\n",
        ),
    )
    assert "coverage-contradicts-verdict" not in codes(findings(make_project, files))


def test_negative_verdict_for_another_variant(make_project: MakeProject) -> None:
    files = edited(
        ("verdict: insufficient_evidence", "verdict: does_not_meet"),
        (
            "            evidence: [bakker2018]\n",
            "            evidence: [bakker2018]\n            variants: [extern]\n",
        ),
        (
            "status: not_insured\n            start: 2021-12",
            "status: insured\n            start: 2021-12\n            variants: [implantaat]",
        ),
    )
    assert "coverage-contradicts-verdict" not in codes(findings(make_project, files))


def test_conditional_with_centres_names_only(make_project: MakeProject) -> None:
    files = edited(
        (
            "        study: FICTIEF-1\n        centres:\n          count: 3\n",
            "        centres:\n          names: [Voorbeeldziekenhuis]\n",
        ),
    )
    assert findings(make_project, files) == []


def test_ended_coverage_on_invalidated_conclusion_is_fine(make_project: MakeProject) -> None:
    files = edited(
        (
            "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n",
            "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n        revision:\n"
            "          kind: invalidated\n          date: 2024-01\n          reason: Teruggetrokken.\n",
        ),
        (
            "        conditions: [volwassen, proefstimulatie]\n",
            "        end: 2024-02-01\n        conditions: [volwassen, proefstimulatie]\n",
        ),
    )
    assert findings(make_project, files) == []


# --- retractions ------------------------------------------------------------------------------------


def retraction_project(make_project: MakeProject, rows: str, files: Files | None = None) -> Path:
    return make_project(
        {
            **(files or base_files()),
            "dossier.toml": '[retractions]\ndatabase = "rw.csv"\nsnapshot_date = "2026-01-01"\n',
            "rw.csv": CSV_HEADER + rows,
        }
    )


def test_retractions_from_the_database(make_project: MakeProject) -> None:
    root = retraction_project(
        make_project,
        csv_row(1, "10.5555/fictief.2020.001", "Retraction", "3/1/2023")
        + csv_row(2, "https://doi.org/10.5555/FICTIEF.2019.002", "Retraction", "4/1/2023"),
    )
    result = check(load_config(root))
    (error,) = result.errors
    assert error.code == "retracted-basis"
    assert "(jansen2020, devries2019)" in error.message
    assert result.summary()["flagged_references"] == 2


def test_reinstatement_clears_a_retraction(make_project: MakeProject) -> None:
    root = retraction_project(
        make_project,
        csv_row(1, "10.5555/fictief.2020.001", "Retraction", "3/1/2023")
        + csv_row(2, "10.5555/fictief.2020.001", "Reinstatement", "6/1/2024")
        + csv_row(3, "10.5555/fictief.2019.002", "Retraction", "4/1/2023"),
    )
    result = check(load_config(root))
    assert result.errors == []
    assert [(f.code, f.message.split(",")[0]) for f in result.warnings] == [
        ("flagged-evidence", "conclusion 'testpijn-2021' cites 'devries2019'")
    ]


def test_expression_of_concern_is_a_warning_only(make_project: MakeProject) -> None:
    root = retraction_project(
        make_project,
        csv_row(1, "10.5555/fictief.2020.001", "Expression of concern", "3/1/2023")
        + csv_row(2, "10.5555/fictief.2019.002", "Expression of concern", "3/1/2023"),
    )
    result = check(load_config(root))
    assert result.errors == []
    assert {f.code for f in result.warnings} == {"flagged-evidence"}
    assert all("expression of concern" in f.message for f in result.warnings)


@pytest.mark.parametrize(
    ("kind", "expected"),
    [("invalidated", []), ("revised", []), ("under_reassessment", ["retracted-basis"])],
)
def test_revision_kinds_and_retracted_basis(
    make_project: MakeProject, kind: str, expected: list[str]
) -> None:
    files = edited(
        (
            "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n",
            "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n        revision:\n"
            f"          kind: {kind}\n          date: 2024-01\n          reason: Teruggetrokken.\n",
        ),
    )
    text = str(files[B])
    for doi in ("10.5555/fictief.2020.001", "10.5555/fictief.2019.002"):
        text = text.replace(
            f"doi = {{{doi}}},", f"doi = {{{doi}}},\n  retraction = {{Retraction}},"
        )
    files[B] = text
    found = findings(make_project, files)
    assert [f.code for f in found if f.severity is Severity.ERROR] == expected


def test_pending_conclusion_without_evidence_is_fine(make_project: MakeProject) -> None:
    files = edited(("verdict: insufficient_evidence", "verdict: pending"))
    assert findings(make_project, files) == []


# --- citations ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        ("Zie [@a].", ["a"]),
        ("Zie [@a; @b, p. 3].", ["a", "b"]),
        ("Zie [zie @jansen2020, tabel 2].", ["jansen2020"]),
        ("Zie [-@a].", ["a"]),
        ("Mail naar info@voorbeeld.invalid.", []),
        ("[info@voorbeeld.invalid]", []),
        ("Een voetnoot[^1].", []),
        ("Geen [citaat] hier.", []),
        ("[@key:with.colon]", ["key:with.colon"]),
    ],
)
def test_find_citations(text: str, keys: list[str]) -> None:
    assert [c.key for c in find_citations(text, "x.md")] == keys


def test_citation_location_is_line_and_column() -> None:
    (citation,) = find_citations("eerste regel\n  tweede [@a] regel\n", "brief.md")
    assert (citation.location.path, citation.location.line, citation.location.column) == (
        "brief.md",
        2,
        10,
    )


def test_a_value_that_fits_no_union_member_is_one_finding(make_project: MakeProject) -> None:
    found = findings(make_project, edited(("    value: 9\n", "    value: [9]\n")))
    assert [(f.code, f.message) for f in found] == [
        (
            "schema-type",
            "rules.0.value: Input should be a valid integer; or a valid number; or a valid string",
        )
    ]

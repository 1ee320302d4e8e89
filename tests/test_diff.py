"""What changed: `dossier diff`, its JSON schema, `dossier draft addendum` and the addendum check."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import replace
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import REPO, BaseDossier, RunCli, copy_project

from tooling.config import load_config
from tooling.dates import PartialDate
from tooling.diff import STRUCTURAL, Words, diff, word_diff
from tooling.draft import changes_json, describe, show_words, unmentioned
from tooling.i18n import MESSAGES
from tooling.load import load_dossier
from tooling.pipeline import check

SCHEMA = json.loads((REPO / "schema" / "diff.schema.json").read_text(encoding="utf-8"))
IMSR = "imsr-chronische-pijn"
TODAY = dt.date.today().isoformat()


def test_imsr_from_2022_to_today_lists_the_fallen_conclusion_subgroups_and_letter(
    run_cli: RunCli, tmp_path: Path
) -> None:
    project = copy_project(tmp_path / "project")
    code, out, err = run_cli(["diff", IMSR, "--from", "2022-12-31", "--to", TODAY], project)
    assert code == 0, err
    assert "Van 31 december 2022 tot en met" in out
    # the 2022 conclusion, its fall recorded on 7 May 2025 (the sources give no day it was
    # decided, so the day is said as the recording's, as every document says it), with the
    # reason the letter gives
    assert "De conclusie van 2022 (voldoet) is vervallen (vastgelegd op 7 mei 2025)" in out
    assert "vervallen op 7 mei 2025" not in out
    assert "De artikelen waarop deze conclusie was gebaseerd zijn teruggetrokken" in out
    # the two new subgroups, each with its PICO
    for name, population, comparator in (
        (
            "Chronische pijn, IMSR als last resort",
            "Patiënten met chronische pijn en complexe en samenhangende problematiek",
            "Geen vergelijking met eerstelijnszorg",
        ),
        (
            "Chronische pijn, IMSR géén last resort",
            "Patiënten met chronische pijn die nog géén (volledige) behandeling",
            "Vergelijking: Eerstelijnszorg",
        ),
    ):
        block = out.split(f"\n{name}\n", 1)[1].split("\n\n", 1)[0]
        assert "Nieuwe subgroep van Chronische pijn" in block
        assert f"Populatie: {population}" in block
        assert "Interventie: IMSR" in block
        assert comparator in block
    # the letter of 7 May 2025
    assert (
        "Brief van 7 mei 2025 aan Nederlandse Vereniging van Revalidatieartsen. "
        "Betreft: IMSR bij chronische pijn." in out
    )


def test_imsr_json_validates_against_the_published_schema(run_cli: RunCli, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    code, out, err = run_cli(
        ["diff", IMSR, "--from", "2022-12-31", "--to", TODAY, "--format", "json"], project
    )
    assert code == 0, err
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert data["from"] == {"label": "2022-12-31", "date": "2022-12-31", "given": None}
    kinds = {(c["kind"], c["subject"]) for c in data["changes"]}
    assert ("conclusion_revised", "imsr-2022") in kinds
    assert ("subgroup_added", "last-resort") in kinds
    assert ("subgroup_added", "geen-last-resort") in kinds
    assert ("letter_added", "brief-vra-2025-05-07") in kinds
    revised = next(c for c in data["changes"] if c["kind"] == "conclusion_revised")
    assert (revised["old"], revised["new"], revised["date"]) == (None, "invalidated", "2025-05-07")
    subgroup = next(c for c in data["changes"] if c["subject"] == "geen-last-resort")
    assert subgroup["details"]["comparator"] == "Eerstelijnszorg"
    assert subgroup["details"]["parent"] == "Chronische pijn"


def test_the_schema_rejects_what_it_does_not_describe() -> None:
    """The schema can fail: an unknown kind or a made-up key is refused."""
    change = {
        "kind": "letter_added",
        "structural": False,
        "path": "letters/x",
        "subject": "x",
        "where": "Brieven",
        "text": "Brief.",
        "old": None,
        "new": None,
        "date": "2025-05-07",
        "details": {},
        "words": [],
    }
    document = {
        "dossier": "x",
        "title": "X",
        "from": {"label": "2022-12-31", "date": "2022-12-31", "given": None},
        "to": {"label": "v2025", "date": "2025-01-01", "given": "2025"},
        "changes": [change],
    }
    jsonschema.validate(document, SCHEMA)
    for bad in ({**change, "kind": "guessed"}, {**change, "extra": 1}, {**change, "date": "7-5"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**document, "changes": [bad]}, SCHEMA)


def test_a_revision_with_a_decision_day_is_said_on_that_day() -> None:
    from tooling.diff import Change
    from tooling.draft import describe

    base = (("conclusion_date", "2022"), ("verdict", "meets"), ("reason", "Teruggetrokken."))
    recorded = Change(
        kind="conclusion_revised", path="indications/pijn/conclusions/c/revision",
        subject="c", where="Pijn", old=None, new="invalidated", values="revision",
        date=PartialDate.parse("2025-05-07"), details=base,
    )  # fmt: skip
    decided = replace(recorded, details=(*base, ("decided", "2025-04-01")))
    assert "is vervallen (vastgelegd op 7 mei 2025)" in describe(recorded)
    assert "is vervallen op 7 mei 2025" in describe(decided)


def test_every_kind_has_words_and_a_place_in_the_schema() -> None:
    kinds = set(SCHEMA["$defs"]["change"]["properties"]["kind"]["enum"])
    worded = {k.removeprefix("change.") for k in MESSAGES["nl"] if k.startswith("change.")}
    assert kinds <= worded
    assert kinds >= STRUCTURAL


# -- an addendum drafted from a change made here ------------------------------------------------


def _coverage_ends(text: str, day: str) -> str:
    """The base dossier with testpijn insured until ``day`` and not insured from then on."""
    data = yaml.safe_load(text)
    coverage = data["indications"][0]["coverage"]
    assert coverage[-1]["status"] == "insured"
    coverage[-1]["end"] = day
    coverage.append({"status": "not_insured", "start": day})
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _base_with(base_dossier: BaseDossier, edit: object = None, **addendum: str) -> Path:
    text = (REPO / "tests/fixtures/base/dossier.yaml").read_text(encoding="utf-8")
    text = _coverage_ends(text, "2024-03-01")
    if addendum:
        data = yaml.safe_load(text)
        data["position"]["addenda"].append(
            {"id": "addendum-2024-03", "date": "2024-03-01", **addendum}
        )
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    project = base_dossier({"dossiers/base/dossier.yaml": text})
    shutil.copytree(REPO / "templates", project / "templates")  # the draft's template
    return project


def test_drafted_addendum_names_indication_old_and_new_status_and_date(
    base_dossier: BaseDossier, run_cli: RunCli
) -> None:
    project = _base_with(base_dossier)
    target = project / "concept-addendum.md"
    args = ["draft", "addendum", "base", "--from", "2024-01-01", "--to", "2024-04-01"]
    code, _, err = run_cli([*args, "-o", str(target)], project)
    assert code == 0, err
    draft = target.read_text(encoding="utf-8")
    line = next(x for x in draft.splitlines() if "Vergoeding gewijzigd" in x)
    assert "**Testpijn**" in line  # the indication
    assert "van vergoed naar niet vergoed" in line  # old and new status
    assert "met ingang van 1 maart 2024" in line  # since when
    assert "Addendum bij:** Standpunt fictieve nervusstimulatie" in draft
    assert "date: 2024-04-01" in draft  # the skeleton to record it with
    # the end of the insured period is the same change, not a second one
    assert "Einde van de periode" not in draft
    # a draft never overwrites the file it wrote (the writer may have edited it)
    code, _, err = run_cli([*args, "-o", str(target)], project)
    assert code == 2 and "never overwrites" in err
    assert target.read_text(encoding="utf-8") == draft


def test_the_change_is_outside_a_period_that_ends_before_it(
    base_dossier: BaseDossier, run_cli: RunCli
) -> None:
    project = _base_with(base_dossier)
    code, out, err = run_cli(
        ["diff", "base", "--from", "2024-01-01", "--to", "2024-02-29"], project
    )
    assert code == 0, err
    assert "Vergoeding gewijzigd" not in out
    code, out, _ = run_cli(["diff", "base", "--from", "2024-01-01", "--to", "2024-03-01"], project)
    assert "Vergoeding gewijzigd van vergoed naar niet vergoed met ingang van 1 maart 2024" in out


# -- the check: an addendum that leaves a change of its period unmentioned ----------------------


def _addendum_findings(project: Path) -> list[str]:
    result = check(load_config(project), keep=False)
    return [f.format() for f in result.findings if f.code == "addendum-unmentioned"]


def test_addendum_that_leaves_the_change_unmentioned_is_warned(base_dossier: BaseDossier) -> None:
    project = _base_with(base_dossier, summary="Tabel 2 opnieuw verbeterd.")
    findings = _addendum_findings(project)
    assert len(findings) == 1, findings
    assert "addendum-2024-03" in findings[0]
    assert "Testpijn" in findings[0] and "niet vergoed" in findings[0]
    assert "warning" in findings[0]


def test_addendum_that_names_the_indication_is_not_warned(base_dossier: BaseDossier) -> None:
    project = _base_with(base_dossier, summary="Testpijn wordt niet meer vergoed.")
    assert _addendum_findings(project) == []
    # by its abbreviation in the details too
    project = _base_with(base_dossier, summary="Een wijziging.", details="Zie TP.")
    assert _addendum_findings(project) == []


def test_the_example_dossiers_addenda_mention_their_changes() -> None:
    config = load_config(REPO)
    for folder in sorted(config.dossiers_dir.iterdir()):
        loaded = load_dossier(folder, config, None)
        assert loaded.model is not None
        assert list(unmentioned(loaded.model)) == [], folder.name


# -- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "v-onbekend"], "'v-onbekend' is neither a day (YYYY-MM-DD) nor a version"),
        (["--from", "2022-13-01"], "has month 13"),
        (["--from", "2022-02-30"], "does not exist"),
        (["--from", "2022"], "is not a day: give YYYY-MM-DD"),
        (["--from", "2025-01-01", "--to", "2024-01-01"], "lies after --to"),
    ],
)
def test_bad_from_or_to_is_a_clear_usage_error(
    run_cli: RunCli, tmp_path: Path, args: list[str], message: str
) -> None:
    project = copy_project(tmp_path / "project")
    code, out, err = run_cli(["diff", IMSR, *args], project)
    assert code == 2
    assert message in err, err
    assert "Traceback" not in err and out == ""
    code, _, err = run_cli(["draft", "addendum", IMSR, *args], project)
    assert code == 2 and message in err


def test_unknown_dossier_and_missing_from(run_cli: RunCli, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    code, _, err = run_cli(["diff", "../dossiers", "--from", "2024-01-01"], project)
    assert code == 2 and "no dossier '../dossiers'" in err
    code, _, err = run_cli(["diff", IMSR], project)
    assert code == 2 and "--from" in err


# -- versions: a version id diffs its archived sources as of its date ----------------------------


def test_a_version_id_reads_the_released_archive(
    base_dossier: BaseDossier, run_cli: RunCli
) -> None:
    text = (REPO / "tests/fixtures/base/dossier.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["versions"] = [
        {"id": "v2022", "date": "2022-01-01", "status": "definitive", "documents": ["standpunt"]}
    ]
    now = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    archived = dict(data, title="Fictieve nervusstimulatie (zoals vastgelegd)")
    archived["position"] = dict(data["position"], summary="Verzekerd onder strikte voorwaarden.")
    project = base_dossier(
        {
            "dossiers/base/dossier.yaml": now,
            "dossiers/base/versies/v2022/dossier.yaml": yaml.safe_dump(
                archived, allow_unicode=True, sort_keys=False
            ),
            "dossiers/base/versies/v2022/brief.md": "Brief.\n",
            "dossiers/base/versies/v2022/references.bib": (
                REPO / "tests/fixtures/base/references.bib"
            ).read_text(encoding="utf-8"),
        }
    )
    code, out, err = run_cli(["diff", "base", "--from", "v2022", "--format", "json"], project)
    assert code == 0, err
    data = json.loads(out)
    jsonschema.validate(data, SCHEMA)
    assert data["from"] == {"label": "v2022", "date": "2022-01-01", "given": "2022-01-01"}
    by_kind = {c["kind"]: c for c in data["changes"] if c["subject"] in ("dossier", "position")}
    assert by_kind["dossier_changed"]["old"] == "Fictieve nervusstimulatie (zoals vastgelegd)"
    words = by_kind["text_changed"]["words"]
    assert {"op": "removed", "text": "strikte"} in words


# -- the pieces ---------------------------------------------------------------------------------


def test_word_diff_marks_words_and_ignores_rewrapping() -> None:
    assert word_diff("een  kleine\nwijziging", "een kleine wijziging") == ()
    runs = word_diff("in tabel 3 op pagina 264", "in tabel 4 op pagina 264")
    assert runs == (
        Words("same", "in tabel"),
        Words("removed", "3"),
        Words("added", "4"),
        Words("same", "op pagina 264"),
    )
    assert show_words(runs) == "in tabel [-3-] {+4+} op pagina 264"
    assert show_words(runs, "markdown") == "in tabel ~~3~~ **4** op pagina 264"


def test_identical_states_have_no_changes() -> None:
    config = load_config(REPO)
    loaded = load_dossier(config.dossiers_dir / IMSR, config, None)
    assert loaded.model is not None
    same = diff(loaded.model, loaded.model, "a", "b")
    assert same.changes == ()
    changed = diff(loaded.model, loaded.model.model_copy(update={"status": "definitive"}), "a", "b")
    assert [describe(c) for c in changed.changes] == [
        "Status van het dossier gewijzigd van concept naar definitief."
    ]


def test_every_kind_of_change_is_found_and_worded() -> None:
    """One edit of each kind in the base dossier, both ways: found, and one Dutch sentence each."""
    from tooling.model import Dossier

    data = yaml.safe_load((REPO / "tests/fixtures/base/dossier.yaml").read_text(encoding="utf-8"))
    old = Dossier.model_validate(data)
    position = data["position"]
    position["status"] = "concept"
    position["conditions"][0]["text"] = "De patiënt is 21 jaar of ouder."
    position["conditions"].pop(1)
    position["conditions"].append({"id": "verwijzing", "text": "Er is een verwijzing."})
    position["transitional_arrangement"] = {
        "summary": "Wie al behandeld wordt, houdt het.",
        "applies_to": "Patiënten in behandeling.",
    }
    position["supersedes"].append({"id": "standpunt-2016", "date": "2016"})
    position["addenda"].append({"id": "addendum-2024", "date": "2024-07-01", "summary": "Tabel 3."})
    testpijn = data["indications"][0]
    testpijn["qualifier"] = "met uitstraling"
    testpijn["pico"]["comparator"] = "Geen behandeling"
    conclusion = testpijn["conclusions"][0]
    conclusion["verdict"] = "insufficient_evidence"
    conclusion["evidence"] = ["jansen2020"]
    conclusion["revision"] = {
        "kind": "under_reassessment",
        "date": "2024-07-01",
        "reason": "Nieuwe studies.",
    }
    conclusion["reviews"] = [
        {"date": "2024-07-02", "reason": "Staat nog.", "references": ["devries2019"]}
    ]
    conclusion["rationale"] = "Twee verzonnen studies, herzien."
    coverage = testpijn["coverage"]
    coverage[0]["centres"] = {"count": 4}
    coverage[1]["end"] = "2024-07-01"
    coverage.append({"status": "not_insured", "start": "2024-07-01"})
    testpijn["subgroups"] = []
    data["indications"].append(
        {
            "id": "nieuwe-pijn",
            "name": "Nieuwe pijn",
            "pico": {"population": "P", "intervention": "I", "comparator": "C"},
        }
    )
    data["letters"][0]["id"] = "brief-2024-07"
    new = Dossier.model_validate(data)
    forward = diff(old, new, "oud", "nieuw")
    backward = diff(new, old, "nieuw", "oud")
    kinds = {c.kind for c in forward.changes} | {c.kind for c in backward.changes}
    assert kinds >= {
        "position_changed", "condition_added", "condition_removed", "condition_changed",
        "transitional_added", "transitional_removed", "superseded_added", "superseded_removed",
        "addendum_added", "addendum_removed", "indication_changed", "pico_changed",
        "verdict_changed", "conclusion_revised", "revision_removed", "review_added",
        "evidence_changed", "coverage_changed", "coverage_details_changed", "subgroup_removed",
        "subgroup_added", "indication_added", "indication_removed", "letter_added",
        "letter_removed", "text_changed", "coverage_end_changed",
    }  # fmt: skip
    for change in (*forward.changes, *backward.changes):
        sentence = describe(change)
        assert sentence and "{" not in sentence and "None" not in sentence, (change, sentence)
    jsonschema.validate(changes_json(forward), SCHEMA)
    jsonschema.validate(changes_json(backward), SCHEMA)
    coverage_change = next(c for c in forward.changes if c.kind == "coverage_changed")
    assert describe(coverage_change) == (
        "Vergoeding gewijzigd van vergoed naar niet vergoed met ingang van 1 juli 2024."
    )

"""Decision tables: the sources' answers, the check's findings, malformed input, the evaluator.

The expected answers below are written from the seeds (shared/seeds/000, 002, 003), not from
the toolkit's output: the FAQ Neuro-Pain's worked cases, the transitional arrangement of the
neuromodulation position and the leaflet's dates.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_DIR, REPO, MakeProject, RunCli, base_files, copy_project

from tooling.cli import main
from tooling.config import load_config
from tooling.dates import PartialDate
from tooling.decision_checks import occurs
from tooling.decision_tables import analyse, case_inputs, compile_decisions, evaluate, rule_value_on
from tooling.html_safety import sanitize_html
from tooling.load import load_dossier
from tooling.model import Rule

FAQ = "neuro-pain-faq"
NEURO = "neuromodulatie-chronische-pijn"
LEAFLET = "injectie-denervatie-lage-rug"


def _decide(run_cli: RunCli, slug: str, case_file: Path, *extra: str) -> list[dict[str, Any]]:
    code, out, err = run_cli(["decide", slug, str(case_file), "--format", "json", *extra], cwd=REPO)
    assert code == 0, out + err
    return json.loads(out)  # type: ignore[no-any-return]


def _by_case(answers: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        a["case"]: {
            k: v["value"] if v["status"] == "decided" else v["status"]
            for k, v in a["outputs"].items()
        }
        for a in answers
    }


# -- the sources' own answers ------------------------------------------------------------------

# FAQ Neuro-Pain, "(Vervanging - End of life)" and "(Vervanging - Infectie)": per kind of
# neurostimulator, the procedure and the "Garantiestatus" the FAQ says to select.
FAQ_ANSWERS = {
    "end-of-life-heroplaadbaar": ("voortijdige-vervanging", "binnen"),
    "end-of-life-eerste-niet-heroplaadbaar": ("vervangingsprocedure", "zonder"),
    "end-of-life-niet-heroplaadbare-vervanging": ("voortijdige-vervanging", "binnen"),
    "infectie-heroplaadbaar": ("voortijdige-vervanging", "binnen"),
    "infectie-eerste-niet-heroplaadbaar": ("vervangingsprocedure", "zonder"),
    "infectie-door-defect-niet-heroplaadbare-vervanging": ("voortijdige-vervanging", "binnen"),
    "infectie-niet-door-defect-niet-heroplaadbare-vervanging": ("vervangingsprocedure", "zonder"),
}


def test_decide_gives_the_faq_answers(run_cli: RunCli) -> None:
    answers: dict[str, dict[str, Any]] = {}
    for name in ("faq-vervanging-end-of-life.yaml", "faq-vervanging-infectie.yaml"):
        answers.update(_by_case(_decide(run_cli, FAQ, REPO / "dossiers" / FAQ / "cases" / name)))
    assert set(answers) == set(FAQ_ANSWERS)
    for case, (procedure, status) in FAQ_ANSWERS.items():
        assert answers[case]["procedure"] == procedure, case
        assert answers[case]["garantiestatus"] == status, case


def test_decide_premature_replacement_code_and_advice(run_cli: RunCli) -> None:
    """FAQ: within the warranty 151174-151185 applies, and the NAO's advice is required."""
    answers = _decide(run_cli, FAQ, REPO / "dossiers" / FAQ / "cases" / "faq-andere-vragen.yaml")
    got = _by_case(answers)
    assert got["voortijdige-vervanging-heroplaadbaar"]["verstrekking"] == "voortijdig"
    assert got["voortijdige-vervanging-heroplaadbaar"]["advies-en-akkoord"] == "vereist"
    assert got["nieuwe-proef-na-infectie"]["nieuwe-proef-toegestaan"] == "unknown"
    assert got["nieuwe-proef-na-infectie"]["registratie"] == "nieuwe-primo-implantatie"
    trial = next(a for a in answers if a["case"] == "nieuwe-proef-na-infectie")
    assert trial["missing"] == ["begin-wachttijd", "nieuwe-proef"]


def test_decide_transitional_arrangement(run_cli: RunCli) -> None:
    """Seed 000: a system on the effective date is kept while it has a positive effect."""
    got = _by_case(
        _decide(run_cli, NEURO, REPO / "dossiers" / NEURO / "cases" / "overgangsregeling.yaml")
    )
    assert got["overgangsregeling-positief-effect"]["vergoed"] == "overgangsregeling"
    assert got["overgangsregeling-geen-positief-effect"]["vergoed"] == "nee"
    assert got["geen-systeem-op-ingangsdatum"]["vergoed"] == "nee"
    assert got["fbss-scs-voorwaarden"]["vergoed"] == "ja"
    assert got["fbss-scs-proef-negatief"]["vergoed"] == "nee"


def test_decide_leaflet_dates(run_cli: RunCli) -> None:
    """Seed 002: injection not reimbursed since 1-1-2012, denervation only in the study since 1-1-2014."""
    got = _by_case(
        _decide(run_cli, LEAFLET, REPO / "dossiers" / LEAFLET / "cases" / "folder-data.yaml")
    )
    assert got["injectie-voor-2012"]["vergoed"] == "ja"
    assert got["injectie-vanaf-2012"]["vergoed"] == "nee"
    assert got["injectie-vanaf-2012"]["machtiging"] == "aanvragen"
    assert got["denervatie-voor-2014"]["vergoed"] == "ja"
    assert got["denervatie-2014-buiten-onderzoek"]["vergoed"] == "nee"
    assert got["denervatie-2014-in-onderzoek"]["vergoed"] == "ja"
    assert got["denervatie-onderzoek-onbekend"]["vergoed"] == "unknown"
    assert got["denervatie-vanaf-2016"]["vergoed"] == "silent"


def test_decide_text_is_dutch_with_the_trace(run_cli: RunCli) -> None:
    case = REPO / "dossiers" / FAQ / "cases" / "faq-vervanging-end-of-life.yaml"
    code, out, err = run_cli(
        ["decide", FAQ, str(case), "--case-id", "end-of-life-heroplaadbaar"], cwd=REPO
    )
    assert code == 0, err
    assert "Binnen de garantieperiode" in out
    assert "Procedure voor voortijdige vervanging" in out
    assert "Toegepaste regels" in out and "negen jaar" in out  # the row's source quote
    assert "18 tot 19 maanden" in out  # June 2020 to January 2022, to the month


def test_decide_unusable_input(run_cli: RunCli, tmp_path: Path) -> None:
    code, _, err = run_cli(["decide", "bestaat-niet", str(tmp_path / "x.yaml")], cwd=REPO)
    assert code == 2 and "no dossier 'bestaat-niet'" in err and "Traceback" not in err
    code, _, err = run_cli(["decide", FAQ, str(tmp_path / "x.yaml")], cwd=REPO)
    assert code == 2 and "no such case file" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "cases:\n  - id: x\n    decision: vervanging\n    input:\n      kleur: rood\n",
        encoding="utf-8",
    )
    code, _, err = run_cli(["decide", FAQ, str(bad)], cwd=REPO)
    assert (
        code == 1 and f"{bad}:5:7: case-invalid error: case 'x' gives unknown input 'kleur'" in err
    )
    bad.write_text(
        "cases:\n  - id: x\n    decision: vervanging\n    input:\n      eerste: misschien\n",
        encoding="utf-8",
    )
    code, _, err = run_cli(["decide", FAQ, str(bad)], cwd=REPO)
    assert code == 1 and f"{bad}:5:15: case-invalid error" in err and "yes or no" in err
    bad.write_text("cases: [\n", encoding="utf-8")
    code, _, err = run_cli(["decide", FAQ, str(bad)], cwd=REPO)
    assert code == 1 and "yaml-syntax" in err and "Traceback" not in err


# -- the check: changed values, failing cases, gaps, overlaps -----------------------------------


def _project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def _replace(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    before = text[: text.index(old)]
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return before.count("\n") + 1


def test_pro_rata_changed_to_three_fails_at_that_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    yaml = root / "dossiers" / FAQ / "dossier.yaml"
    line = (
        _replace(
            yaml,
            "    label: Heroplaadbare neurostimulator, periode met pro-rata garantie\n    value: 4\n",
            "    label: Heroplaadbare neurostimulator, periode met pro-rata garantie\n    value: 3\n",
        )
        + 1
    )
    assert main(["--root", str(root), "check", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"dossiers/{FAQ}/dossier.yaml:{line}:12: rule-source error" in out
    assert (
        "rule-relation error: rule 'garantie-heroplaadbaar' is 9 jaar, but its parts add up to 8"
        in out
    )


def test_a_case_whose_answer_no_longer_holds_fails_at_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    cases = root / "dossiers" / FAQ / "cases" / "faq-vervanging-infectie.yaml"
    text = cases.read_text(encoding="utf-8")
    marker = "      infectie-door-defect: true\n      implantatiedatum: 2021-03\n      vervangingsdatum: 2023-11\n    expect:\n      procedure: voortijdige-vervanging\n      garantiestatus: binnen\n"
    assert marker in text
    line = text[: text.index(marker)].count("\n") + 6
    cases.write_text(
        text.replace(marker, marker.replace("garantiestatus: binnen", "garantiestatus: zonder")),
        encoding="utf-8",
    )
    assert main(["--root", str(root), "check", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert (
        f"cases/faq-vervanging-infectie.yaml:{line}:23: case-failed error: case 'infectie-door-defect-niet-heroplaadbare-vervanging': garantiestatus is 'binnen', expected 'zonder'"
        in out
    )


def test_an_uncovered_combination_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    decisions = root / "dossiers" / FAQ / "decisions.yaml"
    # Drop the row for an infection not caused by a defect (replacement neurostimulator).
    text = decisions.read_text(encoding="utf-8")
    start = text.index(
        "          - when:\n              neurostimulator: niet-heroplaadbaar\n              eerste: false\n              reden: infectie\n              infectie-door-defect: false\n"
    )
    end = text.index("      - id: verstrekking\n        title:")
    decisions.write_text(text[:start] + "\n" + text[end:], encoding="utf-8")
    assert main(["--root", str(root), "check", "--quiet"]) == 1
    out = capsys.readouterr().out
    gap = next(line for line in out.splitlines() if "decision-gap" in line)
    assert "decisions.yaml" in gap and "table 'garantie' has no row for" in gap
    assert "neurostimulator = niet-heroplaadbaar" in gap and "eerste = nee" in gap
    assert "reden = infectie" in gap and "infectie-door-defect = nee" in gap
    # The failing FAQ case is reported too: the table no longer gives the FAQ's answer.
    assert (
        "case-failed error: case 'infectie-niet-door-defect-niet-heroplaadbare-vervanging'" in out
    )


def test_contradictory_rows_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    decisions = root / "dossiers" / FAQ / "decisions.yaml"
    line = _replace(
        decisions,
        "          - when: {vergoedingsvoorwaarde: [b13, b15]}\n            then: {advies-en-akkoord: vereist}\n",
        "          - when: {vergoedingsvoorwaarde: [b13, b15]}\n            then: {advies-en-akkoord: niet-vereist}\n",
    )
    assert main(["--root", str(root), "check", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert (
        f"decisions.yaml:{line}:13: decision-overlap error: rows 1 and 2 of table 'advies' both apply to"
        in out
    )


# -- malformed decision files, file:line:column, no traceback -----------------------------------

DECISIONS = """\
decisions:
  - id: vervanging
    title: Vervanging
    date: datum
    inputs:
      - {id: soort, label: Soort, type: choice, options: [{value: a, label: A}, {value: b, label: B}]}
      - {id: begin, label: Begin, type: date}
      - {id: datum, label: Datum, type: date}
    derived:
      - {id: maanden, label: Maanden, unit: maanden, months_between: [begin, datum]}
    outputs:
      - {id: status, label: Status, options: [{value: binnen, label: Binnen}, {value: zonder, label: Zonder}]}
    tables:
      - id: garantie
        title: Garantie
        rows:
          - when: {soort: a, maanden: {lt: {rule: garantie}}}
            then: {status: binnen}
            source: {passage: P}
          - when: {soort: a, maanden: {ge: {rule: garantie}}}
            then: {status: zonder}
            source: {passage: P}
          - when: {soort: b}
            silent: Dat zegt de bron niet.
            source: {passage: P}
"""
CASES = """\
cases:
  - id: binnen
    title: Binnen
    decision: vervanging
    source: {passage: P}
    input: {soort: a, begin: 2020-06, datum: 2022-01}
    expect: {status: binnen}
"""


def _check(
    make_project: MakeProject,
    run_cli: RunCli,
    decisions: str = DECISIONS,
    cases: str | None = CASES,
) -> tuple[int, str]:
    files = base_files()
    files[f"{BASE_DIR}/dossier.yaml"] = (
        str(files[f"{BASE_DIR}/dossier.yaml"]) + "decisions: decisions.yaml\n"
    )
    files[f"{BASE_DIR}/decisions.yaml"] = decisions
    if cases is not None:
        files[f"{BASE_DIR}/cases/gevallen.yaml"] = cases
    root = make_project(files)
    code, out, err = run_cli(["check", "--quiet"], cwd=root)
    assert "Traceback" not in out + err
    return code, out


def test_small_decisions_pass(make_project: MakeProject, run_cli: RunCli) -> None:
    code, out = _check(make_project, run_cli)
    assert code == 0, out


@pytest.mark.parametrize(
    ("decisions", "cases", "expected"),
    [
        (
            DECISIONS.replace("{soort: b}", "{kleur: b}"),
            CASES,
            "decisions.yaml:23:20: decision-reference error: table 'garantie' tests 'kleur'",
        ),
        (
            DECISIONS.replace("{soort: b}", "{soort: c}"),
            CASES,
            "decisions.yaml:23:27: decision-reference error: 'c' is not a value of 'soort'",
        ),
        (
            DECISIONS.replace("{lt: {rule: garantie}}", "{lt: {rule: onbekend}}"),
            CASES,
            "decision-reference error: condition names unknown rule 'onbekend'",
        ),
        (
            DECISIONS.replace("{lt: {rule: garantie}}", "{lt: vandaag}"),
            CASES,
            "decision-reference error: 'vandaag' is not a number or {rule: id}",
        ),
        (
            DECISIONS.replace("{ge: {rule: garantie}}", "{ge: 0}"),
            CASES,
            "decision-overlap error: rows 1 and 2 of table 'garantie'",
        ),
        (
            DECISIONS.replace(
                "{soort: a, maanden: {ge: {rule: garantie}}}",
                "{soort: a, maanden: {ge: {rule: garantie}}, begin: {before: 2000-01-01}}",
            ),
            CASES,
            "decision-gap error: table 'garantie' has no row for",
        ),
        (
            DECISIONS.replace(
                "      - {id: begin, label: Begin, type: date}\n",
                "      - {id: begin, label: Begin, type: datum}\n",
            ),
            CASES,
            "decisions.yaml:7:",
        ),
        (
            DECISIONS.replace("    title: Vervanging\n", "    titel: Vervanging\n"),
            CASES,
            "decisions.yaml:3:5: unknown-key error: unknown key 'titel'",
        ),
        ("decisions: [\n", CASES, "decisions.yaml:2:1: yaml-syntax error"),
        (
            DECISIONS,
            CASES.replace("{soort: a,", "{kleur: a,"),
            "cases/gevallen.yaml:6:13: case-invalid error: case 'binnen' gives unknown input 'kleur'",
        ),
        (
            DECISIONS,
            CASES.replace("begin: 2020-06", "begin: gisteren"),
            "cases/gevallen.yaml:6:30: case-invalid error: case 'binnen': input begin: expected a date",
        ),
        (
            DECISIONS,
            CASES.replace("expect: {status: binnen}", "expect: {status: zonder}"),
            "cases/gevallen.yaml:7:22: case-failed error",
        ),
        (
            DECISIONS,
            CASES.replace("expect: {status: binnen}", "expect: {status: misschien}"),
            "case-invalid error: case 'binnen': 'misschien' is not an option of 'status'",
        ),
        (
            DECISIONS,
            CASES.replace("    source: {passage: P}\n", ""),
            "cases/gevallen.yaml:2:5: case-invalid error: case 'binnen' needs its 'source'",
        ),
        (DECISIONS, "cases: {}\n", "cases/gevallen.yaml:1:8: schema-type error"),
    ],
)
def test_malformed_decisions_and_cases(
    make_project: MakeProject, run_cli: RunCli, decisions: str, cases: str, expected: str
) -> None:
    code, out = _check(make_project, run_cli, decisions, cases)
    assert code == 1
    assert expected in out, out


def test_decisions_file_must_be_inside_the_dossier(
    make_project: MakeProject, run_cli: RunCli
) -> None:
    files = base_files()
    files[f"{BASE_DIR}/dossier.yaml"] = (
        str(files[f"{BASE_DIR}/dossier.yaml"]) + "decisions: ../../geheim.yaml\n"
    )
    files["geheim.yaml"] = DECISIONS
    code, out, _ = run_cli(["check", "--quiet"], cwd=make_project(files))
    assert code == 1 and "outside-dossier error: '../../geheim.yaml' is not a file inside" in out


# -- rules with dated values and sources ----------------------------------------------------------


def test_value_in_force_on_a_date() -> None:
    rule = Rule.model_validate(
        {
            "id": "termijn",
            "label": "Termijn",
            "unit": "weken",
            "values": [{"value": 4, "start": "2010-01-01"}, {"value": 6, "start": "2014-01-01"}],
        }
    )
    assert rule.value == 6  # texts quote the value in force now
    assert rule_value_on(rule, PartialDate(2012, 5, 1)) == 4
    assert rule_value_on(rule, PartialDate(2014, 1, 1)) == 6
    with pytest.raises(LookupError):
        rule_value_on(rule, PartialDate(2009))


def test_overlapping_dated_values(make_project: MakeProject, run_cli: RunCli) -> None:
    files = base_files()
    text = str(files[f"{BASE_DIR}/dossier.yaml"])
    old = "  - id: garantie\n    label: Garantie op de stimulator\n    value: 9\n"
    assert old in text
    files[f"{BASE_DIR}/dossier.yaml"] = text.replace(
        old,
        "  - id: garantie\n    label: Garantie op de stimulator\n    values:\n      - {value: 8, start: 2020-01-01, end: 2023-01-01}\n      - {value: 9, start: 2022-01-01}\n",
    )
    code, out, _ = run_cli(["check", "--quiet"], cwd=make_project(files))
    assert (
        code == 1
        and "rule-dates error: value 2 of rule 'garantie' starts 2022-01-01, before the previous value ends (2023-01-01)"
        in out
    )


def test_numbers_occur_in_quotes_as_digits_or_words() -> None:
    assert occurs(3.5, "groter dan 3,5V of 4,7mA")
    assert occurs(9, "een volledige garantie van negen jaar*")
    assert occurs(6, "binnen zes weken")
    assert occurs("151152-151163", "de verstrekking 151152-151163 (Heroplaadbare")
    assert not occurs(3, "5 jaar totale garantie en 4 jaar pro-rata")
    assert not occurs(24, "binnen 124 dagen")


# -- the evaluator ---------------------------------------------------------------------------------


def _faq_program() -> tuple[dict[str, Any], dict[str, Any]]:
    config = load_config(REPO)
    loaded = load_dossier(REPO / "dossiers" / FAQ, config, None)
    assert loaded.model is not None and loaded.decisions is not None
    program, problems = compile_decisions(loaded.model, loaded.decisions)
    assert problems == []
    return program, next(d for d in program["decisions"] if d["id"] == "vervanging")


def test_months_known_to_the_month_are_a_range_and_thresholds_can_be_unknown() -> None:
    program, decision = _faq_program()
    # Replaced 24 or 25 months after implantation (to the month): within 2 years is unknown.
    inputs = case_inputs(
        decision,
        {
            "neurostimulator": "niet-heroplaadbaar",
            "eerste": False,
            "reden": "end-of-life",
            "implantatiedatum": "2020-01",
            "vervangingsdatum": "2022-01",
        },
    )
    answer = evaluate(program, decision, inputs)
    assert answer["derived"]["maanden-sinds-implantatie"] == [23, 24]
    assert answer["outputs"]["garantiestatus"]["status"] == "unknown"
    assert "implantatiedatum" in answer["missing"] and "vervangingsdatum" in answer["missing"]
    # With the days the answer is decided.
    inputs = case_inputs(
        decision,
        {
            **{k: v for k, v in inputs.items() if False},
            "neurostimulator": "niet-heroplaadbaar",
            "eerste": False,
            "reden": "end-of-life",
            "implantatiedatum": "2020-01-15",
            "vervangingsdatum": "2022-01-14",
        },
    )
    answer = evaluate(program, decision, inputs)
    assert answer["derived"]["maanden-sinds-implantatie"] == [23, 23]
    assert answer["outputs"]["garantiestatus"] == {
        "status": "decided",
        "value": "binnen",
        "note": None,
    }


def test_rechargeable_replacement_thresholds() -> None:
    """FAQ: B-§02/B-§15 and a threshold above 3,5 V or 4,7 mA; B-§13 is not answered."""
    program, decision = _faq_program()

    def ask(**given: Any) -> dict[str, Any]:
        outputs = evaluate(program, decision, case_inputs(decision, given))["outputs"]
        return outputs["heroplaadbaar"]  # type: ignore[no-any-return]

    assert ask(vergoedingsvoorwaarde="b02", **{"stimulatiedrempel-spanning": 3.6})["value"] == "ja"
    assert ask(vergoedingsvoorwaarde="b15", **{"stimulatiedrempel-stroom": 4.8})["value"] == "ja"
    assert (
        ask(vergoedingsvoorwaarde="b13", **{"stimulatiedrempel-spanning": 5})["status"] == "silent"
    )
    assert (
        ask(
            vergoedingsvoorwaarde="b02",
            neurostimulator="niet-heroplaadbaar",
            reden="infectie",
            **{"stimulatiedrempel-spanning": 3.5, "stimulatiedrempel-stroom": 4.7},
        )["value"]
        == "nee"
    )
    assert (
        ask(vergoedingsvoorwaarde="b02", **{"stimulatiedrempel-spanning": 3.5})["status"]
        == "unknown"
    )


def test_example_tables_are_complete_and_consistent() -> None:
    config = load_config(REPO)
    for slug in (FAQ, NEURO, LEAFLET):
        loaded = load_dossier(REPO / "dossiers" / slug, config, None)
        assert loaded.model is not None and loaded.decisions is not None
        program, problems = compile_decisions(loaded.model, loaded.decisions)
        assert problems == [] and analyse(program) == [], slug


def test_sanitiser_keeps_the_form_and_removes_what_could_act() -> None:
    html = (
        '<div class="decision-aid" id="beslishulp-x"><fieldset><legend>L</legend>'
        '<label for="a">A</label><select id="a" name="a"><option value="">-</option>'
        '<option value="b" selected>B</option></select>'
        '<input type="text" id="c" name="c" placeholder="JJJJ" onfocus="x()" formaction="javascript:y">'
        '<button type="button" onclick="z()">Z</button></fieldset>'
        '<output for="a c" class="decision-aid-result"></output>'
        '<form action="https://example.invalid"><input type="submit"></form></div>'
    )
    clean = sanitize_html(html)
    for kept in (
        '<select id="a" name="a">',
        '<option value="b" selected="">',
        '<label for="a">',
        '<output for="a c" class="decision-aid-result">',
        'placeholder="JJJJ"',
        "<fieldset>",
        "<legend>",
    ):
        assert kept in clean, (kept, clean)
    for removed in ("onfocus", "formaction", "onclick", "<form", "action="):
        assert removed not in clean, clean


def test_a_text_quotes_the_value_in_force_on_its_documents_date() -> None:
    """A dated rule quoted in a letter shows the value of the letter's date, not the last one."""
    from tooling.dates import PartialDate
    from tooling.model import Rule
    from tooling.templating import format_rule

    rule = Rule.model_validate(
        {
            "id": "termijn",
            "label": "Termijn",
            "unit": "weken",
            "values": [
                {"value": 4, "start": "2012-01-01"},
                {"value": 6, "start": "2014-01-01"},
            ],
        }
    )
    assert format_rule(rule, on=PartialDate(2013, 6, 1)) == "4 weken"
    assert format_rule(rule, on=PartialDate(2015, 1, 1)) == "6 weken"
    assert format_rule(rule) == "6 weken"  # no date: the last value

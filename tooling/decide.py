"""`dossier decide SLUG CASE.yaml`: answer cases from a dossier's decision tables.

The answer says, in Dutch (or as JSON), every output with its value or why there is none
(the source is silent, or an input is still needed), the derived values, and the trace: every
row that fired, with its line in the decisions file and the source passage it implements.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tooling.config import Config
from tooling.decision_checks import case_setup, program_of
from tooling.decision_model import CaseFile, read_cases
from tooling.decision_tables import Problem, evaluate
from tooling.diagnostics import DossierError, Finding, Location, Severity
from tooling.i18n import message
from tooling.load import LoadedDossier, load_dossier

Words = Callable[..., str]


def decide(
    config: Config, slug: str, case_path: Path, only: str | None = None
) -> tuple[list[tuple[dict[str, Any], str]], list[Finding]]:
    """Answer the cases of a file from a dossier's tables.

    Returns:
        One answer per case (as JSON, with the case's id and the trace's sources, and as
        Dutch text), and the findings that kept cases from being answered.

    Raises:
        DossierError: The dossier or the case file cannot be used at all.
    """
    loaded = _dossier(config, slug)
    compiled = program_of(loaded)
    if compiled is None:
        raise DossierError(
            f"dossier '{slug}' has no decision tables",
            Location(loaded.yaml_path),
            hint="name a decisions file in dossier.yaml ('decisions: decisions.yaml')",
        )
    program, problems = compiled
    broken = [f for f in loaded.findings if f.severity is Severity.ERROR]
    broken += [_finding("decision-reference", p) for p in problems]
    if broken:
        return [], broken
    if not case_path.is_file():
        raise DossierError("no such case file", Location(str(case_path)))
    file, found = read_cases(case_path, str(case_path))
    if file is None:
        return [], found
    answers: list[tuple[dict[str, Any], str]] = []
    findings: list[Finding] = []
    for i, case in enumerate(file.cases):
        if only is not None and case.id != only:
            continue
        setup = case_setup(program, file, i)
        if isinstance(setup, Problem):
            findings.append(_finding("case-invalid", setup))
            continue
        decision, inputs = setup
        answer = evaluate(program, decision, inputs)
        assert loaded.decisions is not None
        explained = _explained(decision, answer, file, i, loaded.decisions.display)
        answers.append((explained, answer_text(decision, explained, config.language)))
    if only is not None and not answers and not findings:
        raise DossierError(f"no case '{only}' in this file", Location(str(case_path)))
    return answers, findings


def _dossier(config: Config, slug: str) -> LoadedDossier:
    directory = config.dossiers_dir / slug
    if "/" in slug or slug.startswith(".") or not (directory / "dossier.yaml").is_file():
        raise DossierError(
            f"no dossier '{slug}'",
            Location(config.display(config.dossiers_dir)),
            hint="give the name of a folder in the dossiers folder",
        )
    return load_dossier(directory, config, None)


def _finding(code: str, problem: Problem) -> Finding:
    return Finding(code, Severity.ERROR, problem.message, problem.location, problem.hint)


def _explained(
    decision: Mapping[str, Any],
    answer: dict[str, Any],
    file: CaseFile,
    i: int,
    tables_file: str,
) -> dict[str, Any]:
    case = file.cases[i]
    rows = {(t["id"], r["n"]): r for t in decision["tables"] for r in t["rows"]}
    trace = [
        {**step, "file": tables_file, "source": rows[(step["table"], step["row"])]["source"]}
        for step in answer["trace"]
    ]
    return {
        "case": case.id,
        "title": case.title or decision["title"],
        **answer,
        "trace": trace,
    }


def answers_json(answers: list[tuple[dict[str, Any], str]]) -> str:
    return json.dumps([a for a, _ in answers], ensure_ascii=False, indent=2)


def answer_text(
    decision: Mapping[str, Any], answer: Mapping[str, Any], language: str = "nl"
) -> str:
    """The answer as a reader reads it, in Dutch."""

    def words(key: str, **values: object) -> str:
        return message(key, language, **values)

    lines = [
        f"{words('decide.case')}: {answer['title']}",
        f"{words('decide.decision')}: {decision['title']}",
    ]
    for output in decision["outputs"]:
        got = answer["outputs"][output["id"]]
        lines.append(f"  {output['label']}: {_value_text(output, got, words)}")
    if answer["missing"]:
        labels = {i["id"]: i["label"] for i in decision["inputs"]}
        lines.append(f"{words('decide.missing')}:")
        lines.extend(f"  - {labels[name]}" for name in answer["missing"])
    derived = [d for d in decision["derived"] if answer["derived"].get(d["id"]) is not None]
    if derived:
        lines.append(f"{words('decide.derived')}:")
        for item in derived:
            lines.append(
                f"  {item['label']}: {derived_text(item, answer['derived'][item['id']], words)}"
            )
    lines.append(f"{words('decide.trace')}:")
    for step in answer["trace"]:
        source = step["source"]
        where = source["passage"]
        quote = f': "{" ".join(source["quote"].split())}"' if source["quote"] else ""
        lines.append(
            f"  - {words('decide.row', table=step['table'], row=step['row'])} ({step['file']}:{step['line']}); {words('decide.source')}: {where}{quote}"
        )
    if not answer["trace"]:
        lines.append(f"  {words('decide.none')}")
    return "\n".join(lines)


def _value_text(output: Mapping[str, Any], got: Mapping[str, Any], words: Words) -> str:
    labels = {o["value"]: o["label"] for o in output["options"]}
    if got["status"] == "silent":
        return f"{words('decide.silent')}: {got['note']}"
    if got["status"] == "unknown":
        return words("decide.unknown")
    if isinstance(got["value"], list):
        return "; ".join(labels[v] for v in got["value"]) or words("decide.none")
    return str(labels[got["value"]])


def derived_text(item: Mapping[str, Any], value: Any, words: Words) -> str:
    if item["op"] == "coverage":
        labels = {o["value"]: o["label"] for o in item["options"]}
        return str(labels[value])
    lo, hi = value
    unit = f" {item['unit']}" if item.get("unit") else ""
    if lo == hi:
        return f"{lo:g}{unit}"
    return f"{lo:g} {words('decide.to')} {hi:g}{unit}"

"""The decision tables page of a dossier: its rules as readable tables and a decision aid.

For every dossier with decisions the site gets ``beslisregels/<dossier>/index.md`` (the
tables, each row with its source passage, and a form) and ``beslisregels.json`` beside it: the
program of `tooling.decision_tables.compile_decisions` plus the Dutch words the aid shows.
The aid (``templates/site/assets/javascripts/decision-aid.js``, a file of the site's own as
the Content-Security-Policy requires) reads that JSON and evaluates it in the browser.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tooling.decision_tables import EPOCH, Program, compile_decisions
from tooling.documents import RenderedDossier
from tooling.i18n import MESSAGES, message
from tooling.load import LoadedDossier
from tooling.site.paths import decisions_data, decisions_page
from tooling.templating import format_partial_date

Render = Callable[..., str]


def program_for_site(loaded: LoadedDossier, language: str) -> Program | None:
    """The JSON program of a checked dossier with the words the decision aid shows."""
    if loaded.model is None or loaded.decisions is None or loaded.decisions.model is None:
        return None
    program, _ = compile_decisions(loaded.model, loaded.decisions, language)
    program["words"] = {
        key.removeprefix("decide."): text
        for key, text in MESSAGES[language].items()
        if key.startswith("decide.")
    }
    return program


def decision_pages(
    dossiers: Sequence[RenderedDossier], render: Render, language: str
) -> dict[str, str]:
    """The decision tables page and its JSON for each dossier that has decisions."""
    pages: dict[str, str] = {}
    for rendered in dossiers:
        program = program_for_site(rendered.loaded, language)
        if program is None:
            continue
        page = decisions_page(rendered.slug)
        pages[page] = render(
            page,
            "decisions.md.j2",
            dossier=rendered.model,
            slug=rendered.slug,
            decisions=[_decision_view(program, d, language) for d in program["decisions"]],
            rules=_rules_view(program, rendered.loaded, language),
            data=decisions_data(rendered.slug).rsplit("/", 1)[1],
        )
    return pages


def decision_data(dossiers: Sequence[RenderedDossier], language: str) -> dict[str, str]:
    """The decision tables of each dossier as JSON, to publish beside its page.

    Not a page (so not in `decision_pages`): a data file the decision aid fetches.
    """
    files: dict[str, str] = {}
    for rendered in dossiers:
        program = program_for_site(rendered.loaded, language)
        if program is not None:
            files[decisions_data(rendered.slug)] = json.dumps(
                program, ensure_ascii=False, separators=(",", ":")
            )
    return files


def decision_nav(rendered: RenderedDossier, language: str) -> list[dict[str, str]]:
    """The navigation entry of a dossier's decision tables page (none without decisions)."""
    loaded = rendered.loaded
    if loaded.decisions is None or loaded.decisions.model is None:
        return []
    return [{message("decide.page_title", language): decisions_page(rendered.slug)}]


def _day(days: int, language: str) -> str:
    return format_partial_date(EPOCH + dt.timedelta(days=days), "long", language)


def _labels(options: Sequence[Mapping[str, str]]) -> dict[str, str]:
    return {o["value"]: o["label"] for o in options}


def _decision_view(program: Program, decision: Mapping[str, Any], language: str) -> dict[str, Any]:
    columns: dict[str, Mapping[str, Any]] = {i["id"]: i for i in decision["inputs"]}
    for item in decision["derived"]:
        columns[item["id"]] = {
            **item,
            "type": "number" if item["op"] == "months_between" else "choice",
        }
    for out in decision["outputs"]:
        columns[out["id"]] = {**out, "type": "choice"}
    tables = []
    for table in decision["tables"]:
        rows = []
        for row in table["rows"]:
            rows.append(
                {
                    "n": row["n"],
                    "cells": [
                        _condition(program, columns[c], row["when"].get(c, []), language)
                        for c in table["columns"]
                    ],
                    "answers": [
                        _labels(columns[o]["options"])[row["then"][o]] if row["then"] else ""
                        for o in table["outputs"]
                    ],
                    "silent": row["silent"] or "",
                    "source": row["source"],
                    "note": row["note"],
                }
            )
        tables.append(
            {
                "id": table["id"],
                "title": table["title"],
                "hit": message(f"decide.hit.{table['hit']}", language),
                "columns": [columns[c]["label"] for c in table["columns"]],
                "outputs": [columns[o]["label"] for o in table["outputs"]],
                "rows": rows,
            }
        )
    formulas = []
    labels = {i["id"]: i["label"] for i in decision["inputs"]}
    for item in decision["derived"]:
        if item["op"] == "months_between":
            a, b = (labels.get(n, n) for n in item["args"])
            text = message("decide.formula.months_between", language, a=a, b=b)
        else:
            text = message(
                "decide.formula.coverage", language, date=labels.get(item["date"], item["date"])
            )
        formulas.append({"label": item["label"], "text": text, "source": item["source"]})
    inputs = []
    for item in decision["inputs"]:
        control = "select" if item["type"] in ("choice", "boolean") else "text"
        options = item["options"]
        if item["type"] == "boolean":
            options = [
                {"value": "ja", "label": message("decide.yes", language)},
                {"value": "nee", "label": message("decide.no", language)},
            ]
        inputs.append({**item, "control": control, "options": options})
    return {
        "id": decision["id"],
        "title": decision["title"],
        "question": decision["question"],
        "inputs": inputs,
        "formulas": formulas,
        "tables": tables,
    }


def _condition(
    program: Program, column: Mapping[str, Any], tests: Sequence[Mapping[str, Any]], language: str
) -> str:
    if not tests:
        return message("decide.any", language)
    parts = []
    for test in tests:
        op = test["op"]
        if op in ("in", "not_in"):
            if column["type"] == "boolean":
                names = [
                    message("decide.yes" if v else "decide.no", language) for v in test["values"]
                ]
            else:
                labels = _labels(column.get("options") or [])
                names = [labels.get(v, v) for v in test["values"]]
            text = " / ".join(names)
            parts.append(f"{message('decide.not', language)} {text}" if op == "not_in" else text)
            continue
        sign = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥"}[op]
        ref = test["ref"]
        if "rule" in ref:
            value = program["rules"][ref["rule"]]["values"][-1]["text"]
        elif column["type"] == "date":
            value = _day(int(ref["range"][0]), language)
        else:
            value = f"{ref['range'][0]:g}" + (f" {column['unit']}" if column.get("unit") else "")
        parts.append(f"{sign} {value}")
    return ", ".join(parts)


def _rules_view(program: Program, loaded: LoadedDossier, language: str) -> list[dict[str, Any]]:
    assert loaded.model is not None
    rows = []
    for rule in loaded.model.rules:
        entry = program["rules"][rule.id]
        sources = [v.source for v in rule.values] if rule.values else [rule.source]
        for value, source in zip(entry["values"], sources, strict=True):
            since = _day(value["start"], language) if value["start"] is not None else ""
            until = _day(value["end"], language) if value["end"] is not None else ""
            rows.append(
                {
                    "label": rule.label,
                    "text": value["text"],
                    "period": " – ".join(x for x in (since, until) if x),
                    "source": source,
                }
            )
    return rows

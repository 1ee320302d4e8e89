"""The check's view of decision tables, cases and rule values: what is wrong, and where.

Each function takes a loaded dossier and yields `Problem`s; `tooling.checks` registers them
under stable codes (``decision-reference``, ``decision-gap``, ``decision-overlap``,
``case-invalid``, ``case-failed``, ``rule-source``, ``rule-relation``, ``rule-dates``,
``unused-rule``) so that they are documented in docs/checks.md like every other rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from tooling.decision_model import CaseFile, LoadedDecisions
from tooling.decision_tables import (
    Problem,
    Program,
    analyse,
    case_inputs,
    compile_decisions,
    evaluate,
    find_decision,
)
from tooling.diagnostics import Location
from tooling.load import LoadedDossier, inline_prose
from tooling.model import Dossier, Passage, Rule

_NUMBER = re.compile(r"(?<![\d,.])\d+(?:[.,]\d+)?")
_WORDS = {
    "een": 1, "één": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5, "zes": 6, "zeven": 7,
    "acht": 8, "negen": 9, "tien": 10, "elf": 11, "twaalf": 12, "achttien": 18,
    "twintig": 20, "vierentwintig": 24, "dertig": 30, "zestig": 60,
}  # fmt: skip
_WORD = re.compile(r"\b(" + "|".join(sorted(_WORDS, key=len, reverse=True)) + r")\b", re.I)
_QUOTED_RULE = re.compile(r"""rules\s*\[\s*(['"])([^'"\]]+)\1\s*\]|rules\.([A-Za-z0-9_]+)""")
STATUSES = ("silent", "unknown")


def program_of(d: LoadedDossier) -> tuple[Program, list[Problem]] | None:
    """The compiled program of a dossier with decisions, and its unresolved names."""
    if d.model is None or d.decisions is None:
        return None
    return compile_decisions(d.model, d.decisions, d.model.language)


def documents(model: Dossier) -> set[str]:
    """Ids a source passage may name: the dossier's documents (and 'position')."""
    ids = {x.id for x in model.letters} | {x.id for x in model.leaflets}
    if model.faq:
        ids.add(model.faq.id)
    if model.position:
        ids.add("position")
    return ids


def references(d: LoadedDossier) -> Iterator[Problem]:
    """Names in the decisions file that do not resolve, and sources naming unknown documents."""
    compiled = program_of(d)
    if compiled is None:
        return
    yield from compiled[1]
    decisions = d.decisions
    assert d.model is not None and decisions is not None
    if decisions.model is None:
        return
    known = documents(d.model)
    for i, decision in enumerate(decisions.model.decisions):
        for k, table in enumerate(decision.tables):
            for r, row in enumerate(table.rows):
                path = ("decisions", i, "tables", k, "rows", r, "source", "document")
                yield from _unknown_document(row.source, known, decisions.locate(path))
        for k, item in enumerate(decision.derived):
            if item.source is not None:
                where = decisions.locate(("decisions", i, "derived", k, "source", "document"))
                yield from _unknown_document(item.source, known, where)


def _unknown_document(source: Passage, known: set[str], where: Location) -> Iterator[Problem]:
    if source.document is not None and source.document not in known:
        yield Problem(
            f"source names unknown document '{source.document}'",
            where,
            hint=f"documents of this dossier: {', '.join(sorted(known)) or 'none'}",
        )


def table_problems(d: LoadedDossier, kind: str) -> Iterator[Problem]:
    """Gaps (``kind`` 'gap', with tables too large to check) or overlaps ('overlap')."""
    compiled = program_of(d)
    if compiled is None or compiled[1] or d.decisions is None:
        return  # unresolved names first: the analysis would report their consequences
    program, _ = compiled
    for problem in analyse(program):
        if problem.kind == "overlap" and kind != "overlap":
            continue
        if problem.kind != "overlap" and kind == "overlap":
            continue
        decision = program["decisions"][problem.decision]
        table = decision["tables"][problem.table]
        base: tuple[str | int, ...] = ("decisions", problem.decision, "tables", problem.table)
        if problem.kind == "overlap":
            a, b = problem.rows
            yield Problem(
                f"rows {a} and {b} of table '{table['id']}' both apply to "
                f"{problem.combination} but give different answers",
                d.decisions.locate((*base, "rows", b - 1)),
                hint="make the conditions exclusive, or give the rows the same answer",
            )
        elif problem.kind == "size":
            yield Problem(
                f"table '{table['id']}' has too many combinations to check ({problem.combination})",
                d.decisions.locate((*base, "id")),
                hint="split the table into smaller ones",
            )
        else:
            yield Problem(
                f"table '{table['id']}' has no row for {problem.combination}",
                d.decisions.locate((*base, "id")),
                hint="add a row; when the source does not answer it, a row with 'silent'",
            )


def case_problems(d: LoadedDossier) -> Iterator[tuple[str, Problem]]:
    """Every case run: ('case-invalid', problem) for a malformed case, ('case-failed', ...)."""
    compiled = program_of(d)
    if compiled is None or d.decisions is None or d.model is None:
        return
    program, problems = compiled
    known = documents(d.model)
    for file in d.decisions.cases:
        for i, case in enumerate(file.cases):
            if case.source is None or not case.expect:
                yield (
                    "case-invalid",
                    Problem(
                        f"case '{case.id}' needs its 'source' and the answer it 'expect's",
                        file.locate(("cases", i)),
                        hint="a case in cases/ is a test: the source's input and its answer",
                    ),
                )
                continue
            for problem in _unknown_document(
                case.source, known, file.locate(("cases", i, "source", "document"))
            ):
                yield "case-invalid", problem
            yield from _run_case(program, bool(problems), file, i)


def case_setup(
    program: Program, file: CaseFile, i: int
) -> tuple[dict[str, Any], dict[str, Any]] | Problem:
    """Case ``i`` of a file ready to evaluate (its decision and inputs), or what is wrong."""
    case = file.cases[i]
    decision = find_decision(program, case.decision)
    if decision is None:
        names = ", ".join(x["id"] for x in program["decisions"]) or "none"
        return Problem(
            f"case '{case.id}' names unknown decision '{case.decision}'",
            file.locate(("cases", i, "decision")),
            hint=f"decisions: {names}",
        )
    try:
        return decision, case_inputs(decision, case.input)
    except KeyError as exc:
        name = str(exc.args[0])
        return Problem(
            f"case '{case.id}' gives unknown input '{name}'",
            file.locate(("cases", i, "input", name), key=True),
            hint=f"inputs of '{decision['id']}': {', '.join(x['id'] for x in decision['inputs'])}",
        )
    except ValueError as exc:
        name = str(exc).split(":", 1)[0]
        return Problem(f"case '{case.id}': input {exc}", file.locate(("cases", i, "input", name)))


def _run_case(
    program: Program, broken: bool, file: CaseFile, i: int
) -> Iterator[tuple[str, Problem]]:
    case = file.cases[i]
    setup = case_setup(program, file, i)
    if isinstance(setup, Problem):
        yield "case-invalid", setup
        return
    decision, inputs = setup
    outputs = {o["id"]: o for o in decision["outputs"]}
    expected: dict[str, Any] = {}
    for name, value in case.expect.items():
        problem = _expectation_problem(outputs.get(name), name, value)
        if problem:
            yield (
                "case-invalid",
                Problem(f"case '{case.id}': {problem}", file.locate(("cases", i, "expect", name))),
            )
        else:
            expected[name] = value
    if broken:
        return  # the tables do not compile: their findings say why
    answer = evaluate(program, decision, inputs)
    for name, value in expected.items():
        got = answer["outputs"][name]
        if _matches(got, value):
            continue
        fired = ", ".join(
            f"{t['table']} row {t['row']} (line {t['line']})" for t in answer["trace"]
        )
        missing = (
            f"; inputs still needed: {', '.join(answer['missing'])}" if answer["missing"] else ""
        )
        yield (
            "case-failed",
            Problem(
                f"case '{case.id}': {name} is {_shown(got)}, expected {_shown_expected(value)}"
                f"{missing}; rows that fired: {fired or 'none'}",
                file.locate(("cases", i, "expect", name)),
            ),
        )


def _expectation_problem(output: Mapping[str, Any] | None, name: str, value: Any) -> str:
    if output is None:
        return f"expects unknown output '{name}'"
    if isinstance(value, dict):
        if set(value) != {"status"} or value["status"] not in STATUSES:
            return f"expect '{name}' as an option value or {{status: silent}} / {{status: unknown}}"
        return ""
    options = [o["value"] for o in output["options"]]
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) != output["many"]:
        return f"'{name}' {'is' if output['many'] else 'is not'} a list of values"
    for item in values:
        if item not in options:
            return f"{item!r} is not an option of '{name}' (options: {', '.join(options)})"
    return ""


def _matches(got: Mapping[str, Any], value: Any) -> bool:
    if isinstance(value, dict):
        return bool(got["status"] == value["status"])
    if got["status"] != "decided":
        return False
    if isinstance(value, list):
        return sorted(got["value"]) == sorted(value)
    return bool(got["value"] == value)


def _shown(got: Mapping[str, Any]) -> str:
    if got["status"] == "decided":
        return repr(got["value"])
    return str(got["status"]) + (f" ({got['note']})" if got.get("note") else "")


def _shown_expected(value: Any) -> str:
    return value["status"] if isinstance(value, dict) else repr(value)


# -- rule values -------------------------------------------------------------------------------


def _values(rule: Rule) -> list[tuple[Any, Passage | None, tuple[str | int, ...]]]:
    if rule.values:
        return [(v.value, v.source, ("values", j)) for j, v in enumerate(rule.values)]
    return [(rule.value, rule.source, ())]


def rule_sources(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """A rule value must occur in the words of the passage it cites, which must exist."""
    known = documents(m)
    for i, rule in enumerate(m.rules):
        for value, source, sub in _values(rule):
            if source is None:
                continue
            yield from _unknown_document(
                source, known, d.locate(("rules", i, *sub, "source", "document"))
            )
            if source.quote and not occurs(value, source.quote):
                yield Problem(
                    f"rule '{rule.id}' has value {value!r}, which its source does not say "
                    f'(quote: "{_short(source.quote)}")',
                    d.locate(("rules", i, *sub, "value")),
                    hint="correct the value, or quote the passage that gives it",
                )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 90 else text[:87] + "..."


def occurs(value: Any, quote: str) -> bool:
    """Whether a value stands in a quote: as digits ('3,5', '24'), a Dutch word ('negen')."""
    if isinstance(value, str):
        return value.casefold() in quote.casefold()
    found = {float(n.replace(",", ".")) for n in _NUMBER.findall(quote)}
    found.update(_WORDS[w.lower()] for w in _WORD.findall(quote))
    return float(value) in found


def rule_relations(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """A rule that is the sum of others (9 jaar = 5 + 4) must be their sum, in one unit."""
    rules = {r.id: r for r in m.rules}
    for i, rule in enumerate(m.rules):
        if not rule.sum_of:
            continue
        where = d.locate(("rules", i, "sum_of"))
        parts = [rules.get(p) for p in rule.sum_of]
        unknown = [p for p, r in zip(rule.sum_of, parts, strict=True) if r is None]
        if unknown:
            yield Problem(f"rule '{rule.id}' adds up unknown rule(s) {', '.join(unknown)}", where)
            continue
        known = [p for p in parts if p is not None]
        values = [rule.value, *(p.value for p in known)]
        if any(isinstance(v, str) for v in values):
            yield Problem(f"rule '{rule.id}' and its parts must be numbers to add up", where)
            continue
        units = {rule.unit, *(p.unit for p in known)}
        if len(units) > 1:
            yield Problem(
                f"rule '{rule.id}' adds up values in different units ({', '.join(sorted(str(u) for u in units))})",
                where,
            )
            continue
        total = sum(float(p.value) for p in known)
        if abs(total - float(rule.value)) > 1e-9:
            terms = " + ".join(f"{p.id} {p.value}" for p in known)
            yield Problem(
                f"rule '{rule.id}' is {rule.value} {rule.unit or ''}".rstrip()
                + f", but its parts add up to {total:g} ({terms})",
                where,
                hint="one of the values differs from its source",
            )


def rule_dates(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """Dated values follow each other: each starts after the previous one, none overlap."""
    for i, rule in enumerate(m.rules):
        previous = None
        for j, entry in enumerate(rule.values):
            where = d.locate(("rules", i, "values", j))
            if entry.start and entry.end and not entry.start.surely_before(entry.end):
                yield Problem(f"value {j + 1} of rule '{rule.id}' ends before it starts", where)
            if previous is not None:
                if entry.start is None:
                    yield Problem(
                        f"value {j + 1} of rule '{rule.id}' has no start; only the first may leave it out",
                        where,
                    )
                elif previous.start and not previous.start.surely_before(entry.start):
                    yield Problem(
                        f"value {j + 1} of rule '{rule.id}' starts {entry.start}, not after the "
                        f"previous value ({previous.start})",
                        where,
                    )
                elif previous.end and entry.start.surely_before(previous.end):
                    yield Problem(
                        f"value {j + 1} of rule '{rule.id}' starts {entry.start}, before the "
                        f"previous value ends ({previous.end})",
                        where,
                    )
            previous = entry


def unused_rules(d: LoadedDossier, m: Dossier) -> Iterator[Problem]:
    """Rules no text quotes, no decision table compares with and no other rule adds up.

    Only in a dossier with decision tables, whose rules are their parameters.
    """
    if not m.rules or d.decisions is None:
        return
    used: set[str] = set()
    texts = [text for _, text in inline_prose(m)] + [p.text for p in d.prose.values()]
    for text in texts:
        if text and "rules" in text:
            for match in _QUOTED_RULE.finditer(text):
                used.add(match.group(2) or match.group(3))
    for rule in m.rules:
        used.update(rule.sum_of)
    compiled = program_of(d)
    if compiled is not None:
        used.update(_program_rules(compiled[0], d.decisions))
    for i, rule in enumerate(m.rules):
        if rule.id not in used:
            yield Problem(
                f"rule '{rule.id}' is quoted by no text and used by no decision",
                d.locate(("rules", i, "id")),
                hint="quote it ({{ rules['" + rule.id + "'] }}) or remove it",
            )


def _program_rules(program: Program, decisions: LoadedDecisions | None) -> set[str]:
    used: set[str] = set()
    for decision in program["decisions"]:
        for table in decision["tables"]:
            for row in table["rows"]:
                for tests in row["when"].values():
                    used.update(t["ref"]["rule"] for t in tests if "rule" in t.get("ref", {}))
    if decisions is not None and decisions.model is not None:
        for d in decisions.model.decisions:
            for option_list in [*(i.options for i in d.inputs), *(o.options for o in d.outputs)]:
                used.update(o.rule for o in option_list if o.rule)
    return used

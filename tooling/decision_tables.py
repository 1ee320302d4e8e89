"""Decision tables as code: compile a dossier's decisions to one JSON program and evaluate it.

The program (`compile_decisions`) is plain JSON: the rules' dated values, the dossier's
coverage periods, and every decision with its inputs, formulas, outputs and tables, each
row with its source passage and line. `evaluate` answers a case from that program, and the
site's decision aid (``templates/site/assets/javascripts/decision-aid.js``) evaluates the
very same JSON in the browser; `tests/test_browser_decisions.py` holds the two to the same
answers.

Evaluation is three-valued. A value a case does not give is unknown; a date known only to
the month or year is a range of days; a formula over ranges gives a range. A condition is
true, false or unknown, and a table whose answer depends on an unknown condition answers
"unknown" and names the inputs that would decide it. A row marked ``silent`` records that
the source does not answer that combination: the answer is "the source is silent", never a
guess. `analyse` finds rows that overlap with different answers and combinations that no
row covers. See docs/decisions.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any

from tooling import facts
from tooling.dates import PartialDate
from tooling.decision_model import Decision, LoadedDecisions, parse_date
from tooling.diagnostics import Location
from tooling.facts import walk_indications
from tooling.i18n import message
from tooling.model import Dossier, Passage, Rule
from tooling.templating import format_rule

EPOCH = dt.date(1970, 1, 1)
COVERAGE_OPTIONS = ("insured", "not_insured", "conditional", "none")
UNIT_SCALE: Mapping[tuple[str, str], float] = {
    ("jaar", "maanden"): 12,
    ("jaar", "jaar"): 1,
    ("maanden", "maanden"): 1,
    ("weken", "weken"): 1,
    ("weken", "dagen"): 7,
    ("dagen", "dagen"): 1,
}
"""How a rule's unit converts to a column's unit (a rule in 'jaar' compared with months)."""
_OPERATORS = {"lt": "lt", "le": "le", "gt": "gt", "ge": "ge", "before": "lt", "from": "ge"}
MAX_CELLS = 50_000
"""Combinations `analyse` checks per table at most (bounded work); more is a finding."""
Range = tuple[float, float]
Value = str | bool | Range | None
Program = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """Something wrong in the decisions, with its place; the check gives it a code."""

    message: str
    location: Location
    hint: str = ""


def day(value: dt.date) -> int:
    """Days since 1970-01-01: how dates travel in the program (the browser counts the same)."""
    return (value - EPOCH).days


def date_range(value: PartialDate) -> tuple[int, int]:
    """The first and last day a (partial) date may mean."""
    return day(value.earliest()), day(value.latest())


# -- compiling ---------------------------------------------------------------------------------


def compile_decisions(
    model: Dossier, loaded: LoadedDecisions, language: str = "nl"
) -> tuple[Program, list[Problem]]:
    """The JSON program of a dossier's decisions, and what does not resolve in them."""
    problems: list[Problem] = []
    rules = {rule.id: rule for rule in model.rules}
    program: Program = {
        "version": 1,
        "rules": {r.id: _rule_json(r, language) for r in model.rules},
        "coverage": _coverage_json(model),
        "decisions": [],
    }
    if loaded.model is None:
        return program, problems
    for i, decision in enumerate(loaded.model.decisions):
        compiler = _Compiler(model, loaded, rules, language, ("decisions", i), problems)
        program["decisions"].append(compiler.decision(decision))
    return program, problems


def rule_periods(rule: Rule) -> list[tuple[Any, int | None, int | None]]:
    """A rule's values with the days they are in force (`facts.rule_periods`, in program days)."""
    return [
        (value, day(start) if start else None, day(end) if end else None)
        for value, start, end in facts.rule_periods(rule)
    ]


rule_value_on = facts.rule_value_on


def _rule_json(rule: Rule, language: str) -> dict[str, Any]:
    return {
        "label": rule.label,
        "unit": rule.unit,
        "values": [
            {
                "value": value,
                "start": start,
                "end": end,
                "text": format_rule(rule.model_copy(update={"value": value}), language),
            }
            for value, start, end in rule_periods(rule)
        ],
    }


def _coverage_json(model: Dossier) -> dict[str, Any]:
    coverage: dict[str, Any] = {}
    for _, indication in walk_indications(model):
        coverage[indication.id] = {
            "variants": list(indication.variants),
            "periods": [
                {
                    "variants": list(p.variants),
                    "status": p.status,
                    "start": day(p.start.earliest()) if p.start else None,
                    "end": day(p.end.earliest()) if p.end else None,
                }
                for p in indication.coverage
            ],
        }
    return coverage


def passage_json(passage: Passage) -> dict[str, Any]:
    return {
        "document": passage.document,
        "title": passage.title,
        "passage": passage.passage,
        "quote": passage.quote,
    }


class _Compiler:
    """Compiles one decision; every name it cannot resolve is a `Problem` at its place."""

    def __init__(
        self,
        model: Dossier,
        loaded: LoadedDecisions,
        rules: Mapping[str, Rule],
        language: str,
        path: tuple[str | int, ...],
        problems: list[Problem],
    ) -> None:
        self.model, self.loaded, self.rules = model, loaded, rules
        self.language, self.path, self.problems = language, path, problems
        self.types: dict[str, str] = {}
        self.options: dict[str, list[str]] = {}
        self.units: dict[str, str | None] = {}

    def problem(
        self, text: str, path: Sequence[str | int], hint: str = "", *, key: bool = False
    ) -> None:
        where = self.loaded.locate((*self.path, *path), key=key)
        self.problems.append(Problem(text, where, hint))

    def decision(self, d: Decision) -> dict[str, Any]:
        inputs = [self._input(k, item) for k, item in enumerate(d.inputs)]
        derived = [self._derived(k, item) for k, item in enumerate(d.derived)]
        if d.date is not None and self.types.get(d.date) != "date":
            self.problem(f"decision '{d.id}': 'date' must name a date input", ("date",))
        outputs = []
        for k, out in enumerate(d.outputs):
            options = [
                self._option(o, ("outputs", k, "options", j)) for j, o in enumerate(out.options)
            ]
            outputs.append({"id": out.id, "label": out.label, "many": out.many, "options": options})
        set_by: dict[str, str] = {}
        tables = [
            self._table(d, k, set_by, {o.id: o for o in d.outputs}) for k in range(len(d.tables))
        ]
        for k, out in enumerate(d.outputs):
            if out.id not in set_by:
                self.problem(f"output '{out.id}' is set by no table", ("outputs", k, "id"))
        self._unique_ids(d)
        return {
            "id": d.id,
            "title": d.title,
            "question": d.question,
            "date": d.date,
            "inputs": inputs,
            "derived": derived,
            "outputs": outputs,
            "tables": tables,
        }

    def _unique_ids(self, d: Decision) -> None:
        seen: set[str] = set()
        names = [(x.id, ("inputs", k, "id")) for k, x in enumerate(d.inputs)]
        names += [(x.id, ("derived", k, "id")) for k, x in enumerate(d.derived)]
        names += [(x.id, ("outputs", k, "id")) for k, x in enumerate(d.outputs)]
        for name, path in names:
            if name in seen:
                self.problem(f"'{name}' names two inputs, formulas or outputs", path)
            seen.add(name)
        tables: set[str] = set()
        for k, table in enumerate(d.tables):
            if table.id in tables:
                self.problem(f"table id '{table.id}' is used twice", ("tables", k, "id"))
            tables.add(table.id)

    def _option(self, option: Any, path: tuple[str | int, ...]) -> dict[str, str]:
        label = option.label
        if option.rule is not None:
            rule = self.rules.get(option.rule)
            if rule is None:
                self.problem(f"option names unknown rule '{option.rule}'", (*path, "rule"))
            else:
                label = label or format_rule(rule, self.language)
        return {"value": option.value, "label": label}

    def _input(self, k: int, item: Any) -> dict[str, Any]:
        kind, options = item.type, []
        if kind == "choice":
            options = [
                self._option(o, ("inputs", k, "options", j)) for j, o in enumerate(item.options)
            ]
            if not options:
                self.problem(f"choice input '{item.id}' has no options", ("inputs", k))
        elif kind == "indication":
            options = [
                {"value": ind.id, "label": ind.name} for _, ind in walk_indications(self.model)
            ]
            kind = "choice"
        elif kind == "variant":
            options = [{"value": v.id, "label": v.name} for v in self.model.intervention.variants]
            kind = "choice"
        self.types[item.id] = kind
        self.options[item.id] = [o["value"] for o in options]
        self.units[item.id] = item.unit
        return {
            "id": item.id,
            "label": item.label,
            "type": kind,
            "options": options,
            "unit": item.unit,
            "help": item.help,
        }

    def _derived(self, k: int, item: Any) -> dict[str, Any]:
        base = {"id": item.id, "label": item.label, "unit": item.unit}
        base["source"] = passage_json(item.source) if item.source else None
        if item.months_between:
            for j, name in enumerate(item.months_between):
                if self.types.get(name) != "date":
                    self.problem(
                        f"'months_between' needs date inputs; '{name}' is not one",
                        ("derived", k, "months_between", j),
                    )
            self.types[item.id], self.units[item.id] = "number", item.unit or "maanden"
            return {**base, "op": "months_between", "args": list(item.months_between)}
        wanted = {"indication": "choice", "variant": "choice", "date": "date"}
        indications = {ind.id for _, ind in walk_indications(self.model)}
        for role, name in item.coverage.items():
            if role == "indication" and name not in self.types and name in indications:
                continue  # one indication of the dossier, named by its id
            if self.types.get(name) != wanted[role]:
                self.problem(
                    f"'coverage' {role} must name a {wanted[role]} input; '{name}' is not one",
                    ("derived", k, "coverage", role),
                )
        self.types[item.id] = "choice"
        self.options[item.id] = list(COVERAGE_OPTIONS)
        return {
            **base,
            "op": "coverage",
            "indication": item.coverage.get("indication"),
            "variant": item.coverage.get("variant"),
            "date": item.coverage.get("date"),
            "options": [
                {"value": s, "label": message(f"coverage.{s}", self.language)}
                for s in COVERAGE_OPTIONS
            ],
        }

    def _table(
        self, d: Decision, k: int, set_by: dict[str, str], outputs: Mapping[str, Any]
    ) -> dict[str, Any]:
        table = d.tables[k]
        columns: list[str] = []
        sets: list[str] = []
        rows = []
        for r, row in enumerate(table.rows):
            path = ("tables", k, "rows", r)
            when: dict[str, list[dict[str, Any]]] = {}
            for column, condition in row.when.items():
                if column not in self.types:
                    known = ", ".join(sorted(self.types)) or "none"
                    self.problem(
                        f"table '{table.id}' tests '{column}', which is no input, formula or earlier output",
                        (*path, "when", column),
                        hint=f"known here: {known}",
                        key=True,
                    )
                    continue
                tests = self._tests(column, condition, (*path, "when", column))
                if tests:
                    when[column] = tests
                if column not in columns:
                    columns.append(column)
            for name, value in row.then.items():
                out = outputs.get(name)
                if out is None:
                    self.problem(
                        f"row sets unknown output '{name}'",
                        (*path, "then", name),
                        hint=f"outputs: {', '.join(outputs) or 'none'}",
                    )
                    continue
                if value not in [o.value for o in out.options]:
                    self.problem(
                        f"'{value}' is not an option of output '{name}'",
                        (*path, "then", name),
                        hint=f"options: {', '.join(o.value for o in out.options)}",
                    )
                if name not in sets:
                    sets.append(name)
            if row.silent and table.hit == "collect":
                self.problem("a 'collect' table cannot have silent rows", (*path, "silent"))
            rows.append(
                {
                    "n": r + 1,
                    "line": self.loaded.locate((*self.path, *path)).line,
                    "when": when,
                    "then": dict(row.then) if row.then else None,
                    "silent": row.silent or None,
                    "source": passage_json(row.source),
                    "note": row.note,
                }
            )
        for r, row in enumerate(table.rows):
            if row.then and set(row.then) != set(sets):
                self.problem(
                    f"row {r + 1} of table '{table.id}' sets {', '.join(sorted(row.then))}; every row must set {', '.join(sets)}",
                    ("tables", k, "rows", r, "then"),
                )
        for name in sets:
            if name in set_by:
                self.problem(
                    f"output '{name}' is set by table '{set_by[name]}' and by '{table.id}'",
                    ("tables", k, "id"),
                )
            set_by[name] = table.id
            many = outputs[name].many
            if many != (table.hit == "collect"):
                self.problem(
                    f"output '{name}' {'is' if many else 'is not'} a list ('many'), but table '{table.id}' has hit policy '{table.hit}'",
                    ("tables", k, "hit"),
                )
            if not many:
                self.types[name] = "choice"
                self.options[name] = [o.value for o in outputs[name].options]
        return {
            "id": table.id,
            "title": table.title,
            "hit": table.hit,
            "columns": columns,
            "outputs": sets,
            "rows": rows,
        }

    def _tests(
        self, column: str, condition: Any, path: tuple[str | int, ...]
    ) -> list[dict[str, Any]]:
        kind = self.types[column]
        if condition is None or condition == "-":
            return []
        if kind in ("choice", "boolean"):
            negate = isinstance(condition, dict)
            if negate:
                if set(condition) != {"not"}:
                    self.problem(
                        f"a condition on '{column}' is a value, a list of values or {{not: [...]}}",
                        path,
                    )
                    return []
                condition = condition["not"]
            values = condition if isinstance(condition, list) else [condition]
            for v in values:
                ok = (
                    isinstance(v, bool)
                    if kind == "boolean"
                    else isinstance(v, str) and v in self.options[column]
                )
                if not ok:
                    expected = (
                        "yes/no (true or false)"
                        if kind == "boolean"
                        else ", ".join(self.options[column])
                    )
                    self.problem(
                        f"{v!r} is not a value of '{column}'", path, hint=f"expected: {expected}"
                    )
            return [{"op": "not_in" if negate else "in", "values": values}]
        if not isinstance(condition, dict) or not condition:
            if (
                kind == "number"
                and isinstance(condition, (int, float))
                and not isinstance(condition, bool)
            ):
                return [
                    {"op": "ge", "ref": {"range": [condition, condition]}},
                    {"op": "le", "ref": {"range": [condition, condition]}},
                ]
            self.problem(
                f"a condition on {kind} '{column}' is a mapping of lt, le, gt, ge"
                + (", before, from" if kind == "date" else ""),
                path,
            )
            return []
        tests = []
        for op, operand in condition.items():
            if op not in _OPERATORS or (kind != "date" and op in ("before", "from")):
                self.problem(
                    f"unknown comparison '{op}' on '{column}'",
                    (*path, op),
                    hint="use lt, le, gt, ge" + (", before, from" if kind == "date" else ""),
                )
                continue
            ref = self._operand(column, kind, operand, (*path, op))
            if ref is not None:
                tests.append({"op": _OPERATORS[op], "ref": ref})
        return tests

    def _operand(
        self, column: str, kind: str, operand: Any, path: tuple[str | int, ...]
    ) -> dict[str, Any] | None:
        if isinstance(operand, dict) and set(operand) == {"rule"}:
            rule = self.rules.get(str(operand["rule"]))
            if rule is None:
                self.problem(
                    f"condition names unknown rule '{operand['rule']}'",
                    path,
                    hint=f"rules: {', '.join(sorted(self.rules)) or 'none'}",
                )
                return None
            if kind != "number" or any(isinstance(v, str) for v, _, _ in rule_periods(rule)):
                self.problem(f"rule '{rule.id}' is not a number to compare '{column}' with", path)
                return None
            unit, want = rule.unit or "", self.units.get(column) or ""
            scale = UNIT_SCALE.get((unit, want), 1 if unit == want else None)
            if scale is None:
                self.problem(
                    f"rule '{rule.id}' is in '{unit}', '{column}' in '{want}': no conversion", path
                )
                return None
            return {"rule": rule.id, "scale": scale}
        if kind == "date":
            if isinstance(operand, dict) and set(operand) == {"fact"}:
                if operand["fact"] != "position.date" or self.model.position is None:
                    self.problem(
                        f"unknown fact {operand['fact']!r}", path, hint="known: position.date"
                    )
                    return None
                when: PartialDate | None = self.model.position.date
            else:
                when = parse_date(operand)
            if when is None or not when.is_exact:
                self.problem(
                    f"{operand!r} is not an exact date (YYYY-MM-DD) to compare '{column}' with",
                    path,
                )
                return None
            first = day(when.earliest())
            return {"range": [first, first]}
        if isinstance(operand, (int, float)) and not isinstance(operand, bool):
            return {"range": [operand, operand]}
        self.problem(
            f"{operand!r} is not a number or {{rule: id}} to compare '{column}' with", path
        )
        return None


# -- evaluating --------------------------------------------------------------------------------


def case_value(kind: str, value: Any, options: Sequence[str] = ()) -> Value:
    """A case's value as the program holds it; raise ValueError when it has the wrong type."""
    if value is None:
        return None
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("expected yes or no (true or false)")
        return value
    if kind == "choice":
        if not isinstance(value, str) or value not in options:
            raise ValueError(f"expected one of: {', '.join(options)}")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("expected a number")
        return (value, value)
    when = parse_date(value)
    if when is None:
        raise ValueError("expected a date: YYYY-MM-DD, YYYY-MM or YYYY")
    return date_range(when)


def case_inputs(decision: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Value]:
    """A case's inputs checked against the decision's; raise KeyError/ValueError with the name."""
    inputs = {i["id"]: i for i in decision["inputs"]}
    values: dict[str, Value] = {}
    for name, value in given.items():
        if name not in inputs:
            raise KeyError(name)
        item = inputs[name]
        try:
            values[name] = case_value(item["type"], value, [o["value"] for o in item["options"]])
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    return values


def find_decision(program: Program, ident: str) -> dict[str, Any] | None:
    return next((d for d in program["decisions"] if d["id"] == ident), None)


def evaluate(
    program: Program, decision: Mapping[str, Any], inputs: Mapping[str, Value]
) -> dict[str, Any]:
    """Answer a case: every output with its status, the inputs still needed, the rows that fired.

    The browser's evaluator gives the same dict for the same program and inputs.
    """
    env: dict[str, Value] = {i["id"]: inputs.get(i["id"]) for i in decision["inputs"]}
    needs: dict[str, list[str]] = {
        i["id"]: ([] if env[i["id"]] is not None else [i["id"]]) for i in decision["inputs"]
    }
    deps: dict[str, list[str]] = {i["id"]: [i["id"]] for i in decision["inputs"]}
    when = env.get(decision["date"]) if decision["date"] else None
    derived: dict[str, Any] = {}
    for item in decision["derived"]:
        value, missing = _formula(program, item, env, needs)
        env[item["id"]], needs[item["id"]] = value, missing
        args = item["args"] if item["op"] == "months_between" else [item["date"]]
        deps[item["id"]] = _merge(deps[n] for n in args if n in deps)
        derived[item["id"]] = list(value) if isinstance(value, tuple) else value
    outputs: dict[str, Any] = {}
    trace: list[dict[str, Any]] = []
    missing_all: list[str] = []
    for table in decision["tables"]:
        result = _table(program, table, env, needs, deps, when)
        for row in result.fired:
            trace.append({"table": table["id"], "row": row["n"], "line": row["line"]})
        for name in table["outputs"]:
            outputs[name] = result.output(name)
            single = outputs[name]["value"] if outputs[name]["status"] == "decided" else None
            env[name] = single if isinstance(single, str) else None
            needs[name] = result.missing
            deps[name] = result.missing
        for name in result.missing:
            if name not in missing_all:
                missing_all.append(name)
    order = [i["id"] for i in decision["inputs"]]
    return {
        "decision": decision["id"],
        "outputs": outputs,
        "missing": [n for n in order if n in missing_all],
        "derived": derived,
        "trace": trace,
    }


def _formula(
    program: Program,
    item: Mapping[str, Any],
    env: Mapping[str, Value],
    needs: Mapping[str, list[str]],
) -> tuple[Value, list[str]]:
    if item["op"] == "months_between":
        a, b = (env[name] for name in item["args"])
        if not isinstance(a, tuple) or not isinstance(b, tuple):
            return None, _merge(needs[n] for n in item["args"])
        return (_months(int(a[1]), int(b[0])), _months(int(a[0]), int(b[1]))), []
    names = [n for n in (item["indication"], item["date"]) if n in env]
    indication = env.get(item["indication"], item["indication"])
    when = env[item["date"]]
    variant = env[item["variant"]] if item["variant"] else None
    if not isinstance(indication, str) or not isinstance(when, tuple):
        return None, _merge(needs[n] for n in names)
    entry = program["coverage"].get(indication, {"variants": [], "periods": []})
    if isinstance(variant, str):
        variants: list[str | None] = [variant]
    else:
        variants = list(entry["variants"]) or [None]
    points = _points(entry["periods"], when)
    by_variant = [{_status(entry["periods"], v, p) for p in points} for v in variants]
    statuses = set().union(*by_variant)
    if len(statuses) == 1:
        return statuses.pop(), []
    missing = [item["date"]] if any(len(s) > 1 for s in by_variant) else []
    if len(by_variant) > 1:
        missing.insert(0, item["variant"])
    return None, missing


def _points(periods: Sequence[Mapping[str, Any]], when: Range) -> list[float]:
    lo, hi = when
    points = [lo]
    for p in periods:
        for edge in (p["start"], p["end"]):
            if edge is not None and lo < edge <= hi and edge not in points:
                points.append(edge)
    return points


def _status(periods: Sequence[Mapping[str, Any]], variant: str | None, point: float) -> str:
    for p in periods:
        if variant is not None and p["variants"] and variant not in p["variants"]:
            continue
        if (p["start"] is None or p["start"] <= point) and (p["end"] is None or point < p["end"]):
            return str(p["status"])
    return "none"


def _months(start: int, end: int) -> int:
    """Whole months elapsed from one day to another (negative when ``end`` comes first)."""
    a, b = EPOCH + dt.timedelta(days=start), EPOCH + dt.timedelta(days=end)
    months = (b.year - a.year) * 12 + (b.month - a.month)
    if months > 0 and b.day < a.day:
        months -= 1
    elif months < 0 and b.day > a.day:
        months += 1
    return months


def _merge(groups: Iterator[list[str]] | Sequence[list[str]]) -> list[str]:
    """The names of all groups, each once, in order of first appearance."""
    return list(dict.fromkeys(name for group in groups for name in group))


@dataclass
class _Result:
    table: Mapping[str, Any]
    status: str  # decided, silent, unknown
    fired: list[Mapping[str, Any]]
    missing: list[str]

    def output(self, name: str) -> dict[str, Any]:
        many = self.table["hit"] == "collect"
        if self.status == "silent":
            return {"status": "silent", "value": None, "note": self.fired[0]["silent"]}
        values: list[str] = []
        for row in self.fired:
            value = row["then"][name]
            if value not in values:
                values.append(value)
        if self.status == "unknown":
            return {"status": "unknown", "value": values if many else None, "note": None}
        return {"status": "decided", "value": values if many else values[0], "note": None}


def _table(
    program: Program,
    table: Mapping[str, Any],
    env: Mapping[str, Value],
    needs: Mapping[str, list[str]],
    deps: Mapping[str, list[str]],
    when: Value,
) -> _Result:
    """One table's answer; an unknown column is missing its inputs (or, when it is known
    but too imprecise, the inputs it depends on)."""

    def wanted(name: str) -> list[str]:
        return needs[name] or deps.get(name, [])

    fired: list[Mapping[str, Any]] = []
    maybe: list[tuple[Mapping[str, Any], list[str]]] = []
    hit = table["hit"]
    for row, plan in _plan(table):
        state, unknown = _planned_row(program, plan, env, when)
        if state is False:
            continue
        if state is None:
            maybe.append((row, unknown))
            if hit == "first" and not fired:
                return _Result(table, "unknown", [], _merge(wanted(n) for n in unknown))
            continue
        fired.append(row)
        if hit == "first":
            return _Result(table, "silent" if row["silent"] else "decided", [row], [])
    missing = _merge(wanted(n) for _, names in maybe for n in names)
    if hit == "collect":
        return _Result(table, "unknown" if maybe else "decided", fired, missing)
    outcomes = {_outcome(r) for r in fired} | {_outcome(r) for r, _ in maybe}
    if not fired or len(outcomes) > 1:
        return _Result(table, "unknown", fired if not maybe else [], missing)
    return _Result(table, "silent" if fired[0]["silent"] else "decided", fired, [])


_Plan = tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
_PLANS: dict[int, tuple[Mapping[str, Any], list[tuple[Mapping[str, Any], _Plan]]]] = {}


def _plan(table: Mapping[str, Any]) -> list[tuple[Mapping[str, Any], _Plan]]:
    """A table's rows with their tests ready to run (value sets as frozensets), remembered.

    The same tests as the JSON, only faster to run: `_planned_row` gives what `_row` gives.
    """
    cached = _PLANS.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    planned = []
    for row in table["rows"]:
        columns = []
        for column, tests in row["when"].items():
            steps = tuple(
                (test["op"], frozenset(test["values"]) if "values" in test else test["ref"])
                for test in tests
            )
            columns.append((column, steps))
        planned.append((row, tuple(columns)))
    _PLANS[id(table)] = (table, planned)
    return planned


def _planned_row(
    program: Program, plan: _Plan, env: Mapping[str, Value], when: Value
) -> tuple[bool | None, list[str]]:
    unknown: list[str] = []
    for column, steps in plan:
        value = env.get(column)
        if value is None:
            unknown.append(column)
            continue
        for op, payload in steps:
            if op == "in":
                if value not in payload:
                    return False, []
                continue
            if op == "not_in":
                if value in payload:
                    return False, []
                continue
            assert isinstance(value, tuple)
            lo, hi = value
            c, d = _ref(program, payload, when)
            if op == "lt":
                state = True if hi < c else False if lo >= d else None
            elif op == "le":
                state = True if hi <= c else False if lo > d else None
            elif op == "gt":
                state = True if lo > d else False if hi <= c else None
            else:
                state = True if lo >= d else False if hi < c else None
            if state is False:
                return False, []
            if state is None:
                unknown.append(column)
                break
    return (None, unknown) if unknown else (True, [])


def _outcome(row: Mapping[str, Any]) -> str:
    """What a row answers, as one comparable text (remembered: rows never change)."""
    key = _OUTCOMES.get(id(row))
    if key is None or key[0] is not row:
        text = "silent:" + str(row["n"]) if row["silent"] else repr(sorted(row["then"].items()))
        key = _OUTCOMES[id(row)] = (row, text)
    return key[1]


_OUTCOMES: dict[int, tuple[Mapping[str, Any], str]] = {}


def _row(
    program: Program, row: Mapping[str, Any], env: Mapping[str, Value], when: Value
) -> tuple[bool | None, list[str]]:
    unknown: list[str] = []
    for column, tests in row["when"].items():
        value = env.get(column)
        if value is None:
            unknown.append(column)
            continue
        for test in tests:
            op = test["op"]
            if op == "in":  # the common case, inline
                if value not in test["values"]:
                    return False, []
                continue
            state = _test(program, test, value, when)
            if state is False:
                return False, []
            if state is None:
                unknown.append(column)
                break
    return (None, unknown) if unknown else (True, [])


def _test(program: Program, test: Mapping[str, Any], value: Value, when: Value) -> bool | None:
    op = test["op"]
    if op == "in":
        return value in test["values"]
    if op == "not_in":
        return value not in test["values"]
    assert isinstance(value, tuple)
    lo, hi = value
    c, d = _ref(program, test["ref"], when)
    if op == "lt":
        return True if hi < c else False if lo >= d else None
    if op == "le":
        return True if hi <= c else False if lo > d else None
    if op == "gt":
        return True if lo > d else False if hi <= c else None
    return True if lo >= d else False if hi < c else None  # ge


def _ref(program: Program, ref: Mapping[str, Any], when: Value) -> Range:
    if "range" in ref:
        return ref["range"][0], ref["range"][1]
    values = program["rules"][ref["rule"]]["values"]
    scale = ref["scale"]
    if len(values) == 1:
        value = values[0]["value"] * scale
        return value, value
    if isinstance(when, tuple):
        lo, hi = when
        chosen = [
            v["value"]
            for v in values
            if (v["start"] is None or v["start"] <= hi) and (v["end"] is None or lo < v["end"])
        ]
    else:
        chosen = [v["value"] for v in values]
    chosen = chosen or [v["value"] for v in values]
    return min(chosen) * scale, max(chosen) * scale


# -- consistency of the tables -----------------------------------------------------------------


@dataclass(frozen=True)
class TableProblem:
    """A gap or an overlap in one table: which table, which rows, which combination."""

    kind: str  # gap, overlap, size
    decision: int
    table: int
    rows: tuple[int, ...]  # 1-based
    combination: str


def analyse(program: Program) -> list[TableProblem]:
    """Overlapping rows with different answers (hit policy unique) and uncovered combinations.

    Every table is checked over its own columns: each choice and yes/no column takes each of
    its values, each number or date column a value below, at and between every threshold
    its rows name (for every dated value of the rules they name). Bounded: a table with more
    than `MAX_CELLS` combinations is reported, not checked.
    """
    found: list[TableProblem] = []
    for i, decision in enumerate(program["decisions"]):
        kinds = {x["id"]: x for x in decision["inputs"]}
        kinds.update(
            {
                x["id"]: {**x, "type": "number" if x["op"] == "months_between" else "choice"}
                for x in decision["derived"]
            }
        )
        outputs = {o["id"]: o for o in decision["outputs"]}
        for k, table in enumerate(decision["tables"]):
            if table["hit"] == "collect":
                continue
            found.extend(_analyse_table(program, i, k, table, kinds, outputs))
    return found


def _analyse_table(
    program: Program,
    i: int,
    k: int,
    table: Mapping[str, Any],
    kinds: Mapping[str, Any],
    outputs: Mapping[str, Any],
) -> Iterator[TableProblem]:
    columns = table["columns"]
    domains: list[list[tuple[Value, str]]] = []
    for column in columns:
        domains.append(_domain(program, column, table, kinds, outputs))
    size = 1
    for domain in domains:
        size *= len(domain)
    if size > MAX_CELLS:
        yield TableProblem("size", i, k, (), f"{size} combinations")
        return
    gaps: list[str] = []
    overlaps: set[tuple[int, int]] = set()
    for cell in product(*domains):
        env = {column: value for column, (value, _) in zip(columns, cell, strict=True)}
        hits = [row for row in table["rows"] if _row(program, row, env, None)[0] is True]
        if not hits:
            gaps.append(
                ", ".join(f"{c} {text}" for c, (_, text) in zip(columns, cell, strict=True))
            )
        elif table["hit"] == "unique":
            first = hits[0]
            for other in hits[1:]:
                if _outcome(other) != _outcome(first) and (first["n"], other["n"]) not in overlaps:
                    overlaps.add((first["n"], other["n"]))
                    combination = ", ".join(
                        f"{c} {text}" for c, (_, text) in zip(columns, cell, strict=True)
                    )
                    yield TableProblem("overlap", i, k, (first["n"], other["n"]), combination)
    if gaps:
        more = f" (and {len(gaps) - 1} more combinations)" if len(gaps) > 1 else ""
        yield TableProblem("gap", i, k, (), gaps[0] + more)


def _domain(
    program: Program,
    column: str,
    table: Mapping[str, Any],
    kinds: Mapping[str, Any],
    outputs: Mapping[str, Any],
) -> list[tuple[Value, str]]:
    item = kinds.get(column) or {"type": "choice", "options": outputs[column]["options"]}
    kind = item["type"]
    if kind == "boolean":
        return [(True, "= ja"), (False, "= nee")]
    if kind == "choice":
        options = item.get("options") or [{"value": s} for s in COVERAGE_OPTIONS]
        return [(o["value"], f"= {o['value']}") for o in options]
    edges: set[float] = set()
    for row in table["rows"]:
        for test in row["when"].get(column, []):
            ref = test["ref"]
            if "range" in ref:
                edges.update(ref["range"])
            else:
                edges.update(
                    v["value"] * ref["scale"] for v in program["rules"][ref["rule"]]["values"]
                )
    points = sorted(edges)
    show: Callable[[float], str] = (
        (lambda x: str(EPOCH + dt.timedelta(days=int(x))))
        if kind == "date"
        else (lambda x: f"{x:g}")
    )
    if not points:
        return [((0, 0), "(any)")]
    domain: list[tuple[Value, str]] = [((points[0] - 1, points[0] - 1), f"< {show(points[0])}")]
    for a, b in zip(points, [*points[1:], None], strict=True):
        domain.append(((a, a), f"= {show(a)}"))
        if b is None:
            domain.append(((a + 1, a + 1), f"> {show(a)}"))
        else:
            middle = (a + b) / 2
            domain.append(((middle, middle), f"between {show(a)} and {show(b)}"))
    return domain

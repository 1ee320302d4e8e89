"""Decision tables and their cases as written: the typed form of a dossier's decisions file.

A dossier may name a YAML file (``decisions: decisions.yaml`` in dossier.yaml) that holds
decisions: the inputs a case gives, small formulas that derive values from them, the
outputs, and decision tables whose rows point at the source passage they implement. Its
``cases/`` folder holds worked cases (input and expected answer) that `dossier check` runs.
See docs/decisions.md.

This module only reads and validates; `tooling.decision_tables` compiles and evaluates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, ValidationError, model_validator

from tooling.dates import PartialDate, coerce
from tooling.diagnostics import Finding, Location, Severity
from tooling.model import Passage, Slug, Strict, Text
from tooling.yamlsource import SourceMap, YamlError, load_yaml, read_text

CASES_FOLDER = "cases"
MAX_CASE_FILES = 200
"""More case files than this in one dossier are refused (bounded work)."""

InputType = Literal["choice", "boolean", "number", "date", "indication", "variant"]
HitPolicy = Literal["unique", "first", "collect"]
Scalar = bool | int | float | str | dt.date


class Option(Strict):
    """One value an input or output may take, with its Dutch label or the rule it quotes."""

    value: Annotated[str, Field(min_length=1, max_length=80)]
    label: str = ""
    rule: Slug | None = Field(None, description="A rule whose formatted value is the label.")

    @model_validator(mode="after")
    def _labelled(self) -> Option:
        if not self.label and self.rule is None:
            raise ValueError("an option needs a 'label' or a 'rule'")
        return self


class Input(Strict):
    """Something a case tells: a date, a choice, a yes/no, a measured number."""

    id: Slug
    label: Text
    type: InputType
    options: list[Option] = Field(default_factory=list, description="For type 'choice'.")
    unit: str | None = Field(None, description="For type 'number': the unit (V, mA, maanden).")
    help: str = ""


class Derived(Strict):
    """A value computed from inputs by a small formula (one of the forms below)."""

    id: Slug
    label: Text
    unit: str | None = None
    months_between: list[Slug] = Field(
        default_factory=list, description="[from, to]: whole months elapsed between two dates."
    )
    coverage: dict[str, Slug] = Field(
        default_factory=dict,
        description="{indication, variant, date}: the dossier's coverage status on that date.",
    )
    source: Passage | None = None

    @model_validator(mode="after")
    def _one_formula(self) -> Derived:
        forms = [bool(self.months_between), bool(self.coverage)]
        if sum(forms) != 1:
            raise ValueError("give exactly one formula: 'months_between' or 'coverage'")
        if self.months_between and len(self.months_between) != 2:
            raise ValueError("'months_between' takes two date inputs: [from, to]")
        if self.coverage and not {"indication", "date"} <= set(self.coverage) <= {
            "indication",
            "variant",
            "date",
        }:
            raise ValueError("'coverage' takes 'indication', 'date' and optionally 'variant'")
        return self


class Output(Strict):
    """What a decision answers: a procedure, a warranty status, the codes, what is needed."""

    id: Slug
    label: Text
    many: bool = Field(False, description="A list of values (tables with hit policy 'collect').")
    options: list[Option]


class Row(Strict):
    """One row of a decision table: conditions, the answer, and the passage it implements."""

    when: dict[str, Any] = Field(default_factory=dict, description="Column -> condition.")
    then: dict[str, str] = Field(default_factory=dict, description="Output -> option value.")
    silent: str = Field("", description="The source does not answer this: say what it leaves open.")
    source: Passage
    note: str = ""

    @model_validator(mode="after")
    def _answers(self) -> Row:
        if bool(self.then) == bool(self.silent):
            raise ValueError("a row gives either 'then' (the answer) or 'silent' (no answer)")
        return self


class Table(Strict):
    """A decision table with a hit policy (DMN's U, F and C)."""

    id: Slug
    title: Text
    hit: HitPolicy = "unique"
    rows: list[Row] = Field(min_length=1)


class Decision(Strict):
    """One question the rules answer for a case, e.g. which replacement procedure applies."""

    id: Slug
    title: Text
    question: str = ""
    date: Slug | None = Field(None, description="The date input that selects dated rule values.")
    inputs: list[Input]
    derived: list[Derived] = Field(default_factory=list)
    outputs: list[Output]
    tables: list[Table] = Field(min_length=1)


class DecisionsFile(Strict):
    """The decisions file of a dossier."""

    decisions: list[Decision] = Field(min_length=1)


class Case(Strict):
    """A worked case: input and the answer expected, from the source that gives it."""

    id: Slug
    title: str = ""
    decision: Slug
    source: Passage | None = Field(None, description="Required for the cases of cases/.")
    input: dict[str, Any] = Field(default_factory=dict)
    expect: dict[str, Any] = Field(
        default_factory=dict, description="Output -> expected answer; required in cases/."
    )
    note: str = ""


@dataclass(frozen=True)
class CaseFile:
    """One file of ``cases/``: its cases and where each value stands."""

    display: str
    source: SourceMap
    cases: tuple[Case, ...]

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        return self.source.locate(path, key=key)


@dataclass(frozen=True)
class LoadedDecisions:
    """A dossier's decisions file and case files as read, with what was wrong with them."""

    display: str = ""
    model: DecisionsFile | None = None
    source: SourceMap | None = None
    cases: tuple[CaseFile, ...] = ()
    findings: tuple[Finding, ...] = field(default=())

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        if self.source is None:
            return Location(self.display)
        return self.source.locate(path, key=key)


Resolve = Callable[[Path, str], Path | None]
Display = Callable[[Path], str]


def load_decisions(
    directory: Path, name: str | None, display: Display, resolve: Resolve
) -> LoadedDecisions | None:
    """Read the decisions file ``name`` and the ``cases/`` folder of a dossier folder.

    Args:
        directory: The dossier folder.
        name: The decisions file as dossier.yaml names it (None: the dossier has none; its
            cases folder, if any, is still read so that no case is skipped in silence).
        display: How a path is shown to the user.
        resolve: `tooling.load.inside`: the file inside the folder, or None when outside.

    Returns:
        None when the dossier has neither decisions nor cases.
    """
    findings: list[Finding] = []
    loaded = LoadedDecisions(display(directory / name) if name else "")
    if name:
        target = resolve(directory, name)
        model, source = None, None
        if target is None or not target.is_file():
            code, message = (
                ("outside-dossier", f"'{name}' is not a file inside the dossier folder")
                if target is None
                else ("missing-file", f"file '{name}' does not exist")
            )
            findings.append(Finding(code, Severity.ERROR, message, Location(loaded.display)))
        else:
            parsed = _parse(target, loaded.display, DecisionsFile, findings)
            if parsed is not None:
                model, source = parsed
        loaded = replace(loaded, model=model, source=source)
    cases = _load_cases(directory, display, resolve, findings)
    if not name and not cases and not findings:
        return None
    return replace(loaded, cases=tuple(cases), findings=tuple(findings))


def _load_cases(
    directory: Path, display: Display, resolve: Resolve, findings: list[Finding]
) -> list[CaseFile]:
    folder = directory / CASES_FOLDER
    if not folder.is_dir() or folder.is_symlink():
        return []
    names = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    files: list[CaseFile] = []
    for name in names[:MAX_CASE_FILES]:
        shown = display(folder / name)
        if not name.endswith((".yaml", ".yml")):
            findings.append(
                Finding(
                    "schema-type",
                    Severity.ERROR,
                    f"'{name}' in the cases folder is not a YAML case file",
                    Location(shown),
                    hint="cases are YAML files (.yaml); move other files elsewhere",
                )
            )
            continue
        target = resolve(directory, f"{CASES_FOLDER}/{name}")
        if target is None or not target.is_file():
            findings.append(
                Finding(
                    "outside-dossier",
                    Severity.ERROR,
                    f"'{CASES_FOLDER}/{name}' is not a file inside the dossier folder",
                    Location(shown),
                )
            )
            continue
        parsed = _parse(target, shown, CaseList, findings)
        if parsed is not None:
            model, source = parsed
            files.append(CaseFile(shown, source, tuple(model.cases)))
    if len(names) > MAX_CASE_FILES:
        findings.append(
            Finding(
                "schema-type",
                Severity.ERROR,
                f"the cases folder has {len(names)} files; at most {MAX_CASE_FILES} are read",
                Location(display(folder)),
            )
        )
    return files


class CaseList(Strict):
    """A case file: its cases, in order."""

    cases: list[Case] = Field(min_length=1)


def read_cases(path: Path, shown: str) -> tuple[CaseFile | None, list[Finding]]:
    """A case file anywhere (`dossier decide`): its cases, or the findings that say why not."""
    findings: list[Finding] = []
    parsed = _parse(path, shown, CaseList, findings)
    if parsed is None:
        return None, findings
    return CaseFile(shown, parsed[1], tuple(parsed[0].cases)), findings


M = TypeVar("M", bound=Strict)


def _parse(
    target: Path, shown: str, kind: type[M], findings: list[Finding]
) -> tuple[M, SourceMap] | None:
    try:
        data, source = load_yaml(read_text(target, shown), shown)
    except YamlError as exc:
        findings.append(Finding("yaml-syntax", Severity.ERROR, exc.message, exc.location))
        return None
    if not isinstance(data, dict):
        findings.append(
            Finding(
                "schema-type",
                Severity.ERROR,
                f"{shown} must be a mapping of keys to values",
                Location(shown, 1, 1),
            )
        )
        return None
    try:
        return kind.model_validate(data), source
    except ValidationError as exc:
        findings.extend(schema_findings(exc, source))
        return None


def schema_findings(exc: ValidationError, source: SourceMap) -> list[Finding]:
    """Pydantic's errors as findings at their place in the file (as the loader reports them)."""
    findings: list[Finding] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        kept: tuple[str | int, ...] = ()
        for part in loc:
            kept = (*kept, part) if (*kept, part) in source.values else kept
        where = ".".join(str(p) for p in loc) or "(top)"
        if kind == "extra_forbidden":
            code, message, at = "unknown-key", f"unknown key '{loc[-1]}' at {where}", loc
        elif kind == "missing":
            code, message = "missing-key", f"required key '{loc[-1]}' is missing at {where}"
            at = kept[: len(loc) - 1]
        else:
            code, message, at = "schema-type", f"{where}: {error['msg']}", kept or loc
            if "input" in error and not isinstance(error["input"], (dict, list)):
                message += f" (got {error['input']!r})"
        location = source.locate(at, key=kind == "extra_forbidden")
        if findings and findings[-1].location == location and findings[-1].code == code:
            continue  # one value that fits no member of a union: one finding
        findings.append(Finding(code, Severity.ERROR, message, location))
    return findings


def parse_date(value: Any) -> PartialDate | None:
    """A date as a case may write it (YAML date, 'YYYY-MM', 'YYYY', a year), or None."""
    try:
        return coerce(value)  # the model's own reading of a date (tooling.dates)
    except ValueError:
        return None

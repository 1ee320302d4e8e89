"""Load dossiers from disk: YAML with positions, Markdown prose, BibTeX and retraction data.

Loading never raises on bad input: every problem becomes a finding with a location, so one
broken dossier does not hide the problems of the others.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tooling.bibliography import Reference, parse_bibliography
from tooling.config import Config
from tooling.diagnostics import DossierError, Finding, Location, Severity
from tooling.model import Dossier
from tooling.retractions import Notice, RetractionDatabase, current_notice
from tooling.yamlsource import SourceMap, YamlError, load_yaml, read_text

DOSSIER_FILE = "dossier.yaml"
BIB_FILE = "references.bib"
_CITATION_GROUP = re.compile(r"\[([^\[\]]*@[^\[\]]*)\]")
_CITATION_KEY = re.compile(r"(?<![\w.])-?@([A-Za-z0-9_](?:[\w:.#$%&+?<>~/-]*\w)?)")


@dataclass(frozen=True)
class Citation:
    """A ``[@key]`` in Markdown prose, with where it stands."""

    key: str
    location: Location


@dataclass
class LoadedDossier:
    """One dossier as read from disk: the model (when valid) and everything around it."""

    slug: str
    directory: Path
    yaml_path: str
    model: Dossier | None = None
    source: SourceMap | None = None
    references: dict[str, Reference] = field(default_factory=dict)
    bib_path: str = ""
    prose: dict[str, str] = field(default_factory=dict)  # display path -> text
    citations: list[Citation] = field(default_factory=list)
    flags: dict[str, Notice] = field(default_factory=dict)  # key -> notice in force
    findings: list[Finding] = field(default_factory=list)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """Where a value of dossier.yaml stands (first line when unknown)."""
        if self.source is None:
            return Location(self.yaml_path)
        return self.source.locate(path, key=key)


def discover(config: Config, paths: Iterable[Path] = ()) -> list[Path]:
    """Dossier directories: those named, or every folder with a dossier.yaml in the project."""
    chosen = list(paths)
    if not chosen:
        if not config.dossiers_dir.is_dir():
            raise DossierError(
                "no dossiers folder",
                Location(config.display(config.dossiers_dir)),
                hint="create it with `dossier new <slug>` or set [project] dossiers in dossier.toml",
            )
        return sorted(p.parent for p in config.dossiers_dir.glob(f"*/{DOSSIER_FILE}"))
    found: list[Path] = []
    for path in chosen:
        if path.is_file() and path.name == DOSSIER_FILE:
            found.append(path.parent)
        elif (path / DOSSIER_FILE).exists():
            found.append(path)
        elif path.is_dir() and any(path.glob(f"*/{DOSSIER_FILE}")):
            found.extend(sorted(p.parent for p in path.glob(f"*/{DOSSIER_FILE}")))
        else:
            raise DossierError(
                f"no {DOSSIER_FILE} here",
                Location(str(path)),
                hint="name a dossier folder or its dossier.yaml",
            )
    return found


def load_dossier(directory: Path, config: Config, db: RetractionDatabase | None) -> LoadedDossier:
    """Read one dossier folder; problems are recorded as findings, never raised.

    With ``db`` None the references are read but not yet looked up: `flag_references` does
    that later (a helper process loads dossiers while the retraction database is read).
    """
    yaml_file = directory / DOSSIER_FILE
    loaded = LoadedDossier(directory.name, directory, config.display(yaml_file))
    try:
        data, loaded.source = load_yaml(read_text(yaml_file, loaded.yaml_path), loaded.yaml_path)
    except YamlError as exc:
        loaded.findings.append(Finding("yaml-syntax", Severity.ERROR, exc.message, exc.location))
        return loaded
    if not isinstance(data, dict):
        loaded.findings.append(
            Finding(
                "schema-type",
                Severity.ERROR,
                "dossier.yaml must be a mapping of keys to values",
                Location(loaded.yaml_path, 1, 1),
            )
        )
        return loaded
    try:
        loaded.model = Dossier.model_validate(data)
    except ValidationError as exc:
        loaded.findings.extend(_schema_findings(exc, loaded))
        return loaded
    _load_references(loaded, config)
    if db is not None:
        flag_references(loaded, db)
    _load_prose(loaded, config)
    return loaded


def _schema_findings(exc: ValidationError, loaded: LoadedDossier) -> list[Finding]:
    findings: list[Finding] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        kind = error["type"]
        if kind not in ("extra_forbidden", "missing") and loaded.source is not None:
            # Drop the union tags pydantic adds ('rules.0.value.int'): keep what the file has.
            values = loaded.source.values
            kept: tuple[str | int, ...] = ()
            for part in loc:
                kept = (*kept, part) if (*kept, part) in values else kept
            loc = kept or loc
        where = ".".join(str(p) for p in loc) or "(top)"
        if kind == "extra_forbidden":
            code, message = "unknown-key", f"unknown key '{loc[-1]}' at {where}"
        elif kind == "missing":
            code, message = "missing-key", f"required key '{loc[-1]}' is missing at {where}"
        elif kind.startswith("date_"):
            code, message = "bad-date", f"{where}: {error['msg']}"
        else:
            code, message = "schema-type", f"{where}: {error['msg']}"
            if "input" in error and not isinstance(error["input"], (dict, list)):
                message += f" (got {error['input']!r})"
        location = loaded.locate(
            loc[:-1] if kind == "missing" else loc, key=kind == "extra_forbidden"
        )
        last = findings[-1] if findings else None
        if last and code == "schema-type" and last.location == location and last.code == code:
            # One value that fits no member of a union: one finding with every reason.
            reason = message.removeprefix(f"{where}: ").removeprefix("Input should be ")
            findings[-1] = replace(last, message=f"{last.message}; or {reason}")
            continue
        findings.append(Finding(code, Severity.ERROR, message, location))
    return findings


def _load_references(loaded: LoadedDossier, config: Config) -> None:
    bib = loaded.directory / BIB_FILE
    loaded.bib_path = config.display(bib)
    if not bib.exists():
        return
    try:
        text = read_text(bib, loaded.bib_path)
    except YamlError as exc:
        loaded.findings.append(
            Finding("unreadable-file", Severity.ERROR, exc.message, exc.location)
        )
        return
    loaded.references, findings = parse_bibliography(text, loaded.bib_path)
    loaded.findings.extend(findings)


def flag_references(loaded: LoadedDossier, db: RetractionDatabase) -> None:
    """Record the notice in force for every reference (from its entry or the database)."""
    for key, reference in loaded.references.items():
        notices: list[Notice] = list(reference.notices)
        if reference.doi:
            notices.extend(db.notices(reference.doi))
        notice = current_notice(notices)
        if notice is not None:
            loaded.flags[key] = notice


def _load_prose(loaded: LoadedDossier, config: Config) -> None:
    assert loaded.model is not None
    model = loaded.model
    files: list[tuple[str, tuple[str | int, ...]]] = []
    if model.position and model.position.body_file:
        files.append((model.position.body_file, ("position", "body_file")))
    files.extend(
        (letter.body_file, ("letters", i, "body_file")) for i, letter in enumerate(model.letters)
    )
    for name, path in files:
        target = loaded.directory / name
        display = config.display(target)
        if not target.is_file():
            loaded.findings.append(
                Finding(
                    "missing-file",
                    Severity.ERROR,
                    f"file '{name}' does not exist",
                    loaded.locate(path),
                    hint=f"expected {display}",
                )
            )
            continue
        try:
            loaded.prose[display] = read_text(target, display)
        except YamlError as exc:
            loaded.findings.append(
                Finding("unreadable-file", Severity.ERROR, exc.message, exc.location)
            )
    for display, text in loaded.prose.items():
        loaded.citations.extend(find_citations(text, display))
    for path, text in _inline_prose(model):
        if not text or "@" not in text:
            continue
        cited = find_citations(text, loaded.yaml_path)
        if cited:  # the place is looked up only for text that cites
            location = loaded.locate(path)
            loaded.citations.extend(Citation(c.key, location) for c in cited)


def find_citations(text: str, display: str) -> list[Citation]:
    """Every ``[@key]`` / ``[see @a; @b, p. 3]`` citation in Markdown, with its line."""
    found = []
    for group in _CITATION_GROUP.finditer(text):
        line = text.count("\n", 0, group.start()) + 1
        column = group.start() - (text.rfind("\n", 0, group.start()) + 1) + 1
        for key in _CITATION_KEY.finditer(group.group(1)):
            found.append(Citation(key.group(1), Location(display, line, column)))
    return found


def _inline_prose(model: Dossier) -> Iterable[tuple[tuple[str | int, ...], str]]:
    """Markdown strings inside dossier.yaml that may cite references."""
    yield ("summary",), model.summary
    yield ("intervention", "description"), model.intervention.description
    if model.position:
        yield ("position", "summary"), model.position.summary
        if model.position.transitional_arrangement:
            arrangement = model.position.transitional_arrangement
            yield ("position", "transitional_arrangement", "details"), arrangement.details
        for i, addendum in enumerate(model.position.addenda):
            yield ("position", "addenda", i, "details"), addendum.details
    if model.faq:
        for t, theme in enumerate(model.faq.themes):
            for i, item in enumerate(theme.items):
                yield ("faq", "themes", t, "items", i, "question"), item.question
                yield ("faq", "themes", t, "items", i, "answer"), item.answer
    for i, leaflet in enumerate(model.leaflets):
        for part in ("sections", "steps"):
            for j, section in enumerate(getattr(leaflet, part)):
                yield ("leaflets", i, part, j, "body"), section.body
    stack: list[tuple[tuple[str | int, ...], Any]] = [
        (("indications", i), ind) for i, ind in enumerate(model.indications)
    ]
    while stack:
        path, indication = stack.pop()
        yield (*path, "description"), indication.description
        for j, conclusion in enumerate(indication.conclusions):
            yield (*path, "conclusions", j, "rationale"), conclusion.rationale
        for j, period in enumerate(indication.coverage):
            yield (*path, "coverage", j, "note"), period.note
        stack.extend(((*path, "subgroups", k), sub) for k, sub in enumerate(indication.subgroups))

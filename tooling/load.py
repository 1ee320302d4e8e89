"""Load dossiers from disk: YAML with positions, Markdown prose, BibTeX and retraction data.

Loading never raises on bad input: every problem becomes a finding with a location, so one
broken dossier does not hide the problems of the others.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tooling.bibliography import Reference, parse_bibliography
from tooling.config import Config
from tooling.decision_model import LoadedDecisions, load_decisions
from tooling.diagnostics import DossierError, Finding, Location, Severity
from tooling.model import Dossier
from tooling.retractions import Notice, RetractionDatabase, current_notice
from tooling.versions import VERSIONS_DIR
from tooling.yamlsource import SourceMap, YamlError, load_yaml, read_text, schema_hint

DOSSIER_FILE = "dossier.yaml"
BIB_FILE = "references.bib"
_CITATION_GROUP = re.compile(r"\[([^\[\]]*@[^\[\]]*)\]")
_CITATION_KEY = re.compile(r"(?<![\w.])-?@([A-Za-z0-9_](?:[\w:.#$%&+?<>~/-]*\w)?)")


@dataclass(frozen=True)
class Citation:
    """A ``[@key]`` in Markdown prose, with where it stands."""

    key: str
    location: Location


@dataclass(frozen=True)
class Prose:
    """A Markdown file of a dossier (a letter's or the position's body), as written."""

    body_file: str  # exactly as dossier.yaml names it
    display: str  # its path as the user sees it
    text: str


@dataclass(frozen=True)
class LoadedDossier:
    """One dossier as read from disk: the model (when valid) and everything around it.

    Frozen: looking references up in the retraction database gives a new value
    (`flag_references`), so no stage changes what an earlier one produced.
    """

    slug: str
    directory: Path
    yaml_path: str
    model: Dossier | None = None
    source: SourceMap | None = None
    references: Mapping[str, Reference] = field(default_factory=dict)
    bib_path: str = ""
    prose: Mapping[str, Prose] = field(default_factory=dict)  # body_file -> its text
    citations: tuple[Citation, ...] = ()
    flags: Mapping[str, Notice] = field(default_factory=dict)  # key -> notice in force
    notices: Mapping[str, tuple[Notice, ...]] = field(default_factory=dict)  # key -> all, dated
    findings: tuple[Finding, ...] = ()
    decisions: LoadedDecisions | None = None  # decision tables and cases (docs/decisions.md)
    as_of: dt.date | None = None  # the day it is shown as it stood on (tooling.history.at)

    def locate(self, path: Sequence[str | int], *, key: bool = False) -> Location:
        """Where a value of dossier.yaml stands (first line when unknown)."""
        if self.source is None:
            return Location(self.yaml_path)
        return self.source.locate(path, key=key)


def discover(config: Config, paths: Iterable[Path] = ()) -> tuple[list[Path], list[Finding]]:
    """Dossier folders: those named, or every folder in the project's dossiers folder.

    Nothing is skipped in silence: an entry of the dossiers folder that is not a folder with
    a dossier.yaml (a stray file, a misnamed dossier.yml, an empty folder, a name the site
    cannot use) is a finding. Names starting with a dot (.gitkeep, .DS_Store) are not
    entries. A path named on the command line that is no dossier is unusable input, and so
    is a released version (``<dossier>/versies/<id>``, which holds a dossier.yaml too): the
    check verifies those with their dossier (`tooling.versions.verify`).
    """
    chosen = list(paths)
    if chosen:
        found: list[Path] = []
        for path in chosen:
            folder = path.parent if path.name == DOSSIER_FILE else path
            if (
                folder.parent.name == VERSIONS_DIR
                and (folder.parent.parent / DOSSIER_FILE).is_file()
            ):
                raise DossierError(
                    f"this is a released version of dossier '{folder.parent.parent.name}', "
                    "not a dossier",
                    Location(str(path)),
                    hint="check the dossier folder itself: it verifies its released versions",
                )
            if path.is_file() and path.name == DOSSIER_FILE:
                found.append(path.parent)
            elif (path / DOSSIER_FILE).is_file():
                found.append(path)
            elif path.is_dir() and path.resolve() == config.dossiers_dir.resolve():
                return discover(config)
            else:
                raise DossierError(
                    f"no {DOSSIER_FILE} here",
                    Location(str(path)),
                    hint="name a dossier folder or its dossier.yaml",
                )
        return found, [f for p in found for f in _folder_name_findings(p, config)]
    if not config.dossiers_dir.is_dir():
        raise DossierError(
            "no dossiers folder",
            Location(config.display(config.dossiers_dir)),
            hint="create it with `dossier new <slug>` or set [project] dossiers in dossier.toml",
        )
    directories: list[Path] = []
    findings: list[Finding] = []
    for entry in sorted(config.dossiers_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        where = Location(config.display(entry))
        if not entry.is_dir() or entry.is_symlink():
            findings.append(
                Finding(
                    "stray-entry",
                    Severity.ERROR,
                    f"'{entry.name}' in the dossiers folder is not a dossier folder",
                    where,
                    hint=f"each entry of {config.display(config.dossiers_dir)} must be a "
                    f"folder with a {DOSSIER_FILE}; move other files elsewhere",
                )
            )
        elif not (entry / DOSSIER_FILE).is_file():
            near = [n for n in _NEAR_MISSES if (entry / n).exists()]
            hint = (
                f"rename {near[0]} to {DOSSIER_FILE}"
                if near
                else f"add a {DOSSIER_FILE} (`dossier new <slug>` makes one) or remove the folder"
            )
            findings.append(
                Finding(
                    "missing-dossier-file",
                    Severity.ERROR,
                    f"dossier folder '{entry.name}' has no {DOSSIER_FILE}",
                    where,
                    hint=hint,
                )
            )
        else:
            findings.extend(_folder_name_findings(entry, config))
            directories.append(entry)
    return directories, findings


_NEAR_MISSES = ("dossier.yml", "Dossier.yaml", "dossier.YAML", "dossier.yaml.txt", "dossier.json")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
"""What a dossier folder may be called: it becomes part of every page's address."""


def _folder_name_findings(directory: Path, config: Config) -> list[Finding]:
    from tooling.site.paths import RESERVED

    name = directory.name
    where = Location(config.display(directory))
    if not SLUG.match(name):
        return [
            Finding(
                "bad-folder-name",
                Severity.ERROR,
                f"dossier folder name {name!r} is not usable in a web address",
                where,
                hint="use lower-case letters, digits and hyphens, e.g. 'imsr-chronische-pijn'",
            )
        ]
    if name in RESERVED:
        return [
            Finding(
                "bad-folder-name",
                Severity.ERROR,
                f"a dossier folder cannot be called '{name}': the site uses that name",
                where,
                hint=f"rename the folder; reserved names: {', '.join(sorted(RESERVED))}",
            )
        ]
    return []


def load_dossier(directory: Path, config: Config, db: RetractionDatabase | None) -> LoadedDossier:
    """Read one dossier folder; problems are recorded as findings, never raised.

    With ``db`` None the references are read but not yet looked up: `flag_references` does
    that later (a helper process loads dossiers while the retraction database is read).
    """
    yaml_file = directory / DOSSIER_FILE
    yaml_path = config.display(yaml_file)
    empty = LoadedDossier(directory.name, directory, yaml_path)
    if inside(directory, DOSSIER_FILE) is None:
        finding = _outside(DOSSIER_FILE, directory, config, Location(yaml_path))
        return replace(empty, findings=(finding,))
    try:
        data, source = load_yaml(read_text(yaml_file, yaml_path), yaml_path)
    except YamlError as exc:
        return replace(
            empty,
            findings=(Finding("yaml-syntax", Severity.ERROR, exc.message, exc.location, exc.hint),),
        )
    loaded = replace(empty, source=source)
    if not isinstance(data, dict):
        finding = Finding(
            "schema-type",
            Severity.ERROR,
            "dossier.yaml must be a mapping of keys to values",
            Location(yaml_path, 1, 1),
        )
        return replace(loaded, findings=(finding,))
    try:
        model = Dossier.model_validate(data)
    except ValidationError as exc:
        return replace(loaded, findings=tuple(_schema_findings(exc, loaded)))
    loaded = replace(loaded, model=model)
    findings: list[Finding] = []
    bib_path, references = _load_references(directory, config, findings)
    prose = _load_prose(loaded, config, findings)
    decisions = load_decisions(directory, model.decisions, config.display, inside)
    findings.extend(decisions.findings if decisions else ())
    citations = _find_all_citations(loaded, prose)
    loaded = replace(
        loaded,
        references=references,
        bib_path=bib_path,
        prose=prose,
        citations=citations,
        findings=tuple(findings),
        decisions=decisions,
    )
    return loaded if db is None else flag_references(loaded, db)


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
        hint = schema_hint(loaded.source, loc, kind, error.get("input"))
        findings.append(Finding(code, Severity.ERROR, message, location, hint))
    return findings


def inside(directory: Path, name: str) -> Path | None:
    """The regular file ``name`` below ``directory``, or None when it would leave the folder.

    Symbolic links are followed first: a link to /etc/passwd or /proc/self/environ inside a
    dossier folder is as far outside as the path itself. Only regular files are read (a FIFO
    would block the build forever).
    """
    if not name or "\0" in name or os.path.isabs(name):
        return None
    base = os.path.abspath(directory)
    candidate = os.path.normpath(os.path.join(base, name))
    if not candidate.startswith(base + os.sep):
        return None
    # Fast path: no component below the folder is a link, so the path is what it says.
    # (The dossier folder itself is never a link: `discover` refuses those.)
    node, linked = base, False
    try:
        for part in candidate[len(base) + 1 :].split(os.sep):
            node = os.path.join(node, part)
            info = os.lstat(node)
            linked = linked or stat.S_ISLNK(info.st_mode)
    except FileNotFoundError:
        return None if linked else Path(candidate)  # missing (reported as such), unless linked
    except OSError:
        return None
    if not linked:
        return Path(candidate) if stat.S_ISREG(info.st_mode) else None
    try:
        target = Path(candidate).resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling link, a loop of links, or unreadable
        return None
    if not target.is_relative_to(Path(base).resolve()) or not target.is_file():
        return None
    return target


def _outside(name: str, directory: Path, config: Config, where: Location) -> Finding:
    return Finding(
        "outside-dossier",
        Severity.ERROR,
        f"'{name}' is not a file inside the dossier folder",
        where,
        hint=f"files a dossier uses must lie in {config.display(directory)} "
        "(no absolute paths, no '..', no links that lead out of the folder)",
    )


def _load_references(
    directory: Path, config: Config, findings: list[Finding]
) -> tuple[str, dict[str, Reference]]:
    bib = directory / BIB_FILE
    bib_path = config.display(bib)
    if not bib.exists() and not bib.is_symlink():
        return bib_path, {}
    target = inside(directory, BIB_FILE)
    if target is None or not target.exists():
        findings.append(_outside(BIB_FILE, directory, config, Location(bib_path)))
        return bib_path, {}
    try:
        text = read_text(target, bib_path)
    except YamlError as exc:
        findings.append(Finding("unreadable-file", Severity.ERROR, exc.message, exc.location))
        return bib_path, {}
    references, found = parse_bibliography(text, bib_path)
    findings.extend(found)
    return bib_path, references


def flag_references(loaded: LoadedDossier, db: RetractionDatabase) -> LoadedDossier:
    """The dossier with the notice in force for every reference (its entry or the database)."""
    flags: dict[str, Notice] = {}
    every: dict[str, tuple[Notice, ...]] = {}  # for the flags as of a day (tooling.history)
    for key, reference in loaded.references.items():
        notices: list[Notice] = list(reference.notices)
        if reference.doi_key:
            notices.extend(db.notices(reference.doi_key))
        notice = current_notice(notices)
        if notices:
            every[key] = tuple(notices)
        if notice is not None:
            flags[key] = notice
    return replace(loaded, flags=flags, notices=every)


def body_files(model: Dossier) -> list[tuple[str, tuple[str | int, ...]]]:
    """Every Markdown file dossier.yaml names, with the path of the key that names it."""
    files: list[tuple[str, tuple[str | int, ...]]] = []
    if model.position and model.position.body_file:
        files.append((model.position.body_file, ("position", "body_file")))
    files.extend(
        (letter.body_file, ("letters", i, "body_file")) for i, letter in enumerate(model.letters)
    )
    return files


def _load_prose(loaded: LoadedDossier, config: Config, findings: list[Finding]) -> dict[str, Prose]:
    assert loaded.model is not None
    prose: dict[str, Prose] = {}
    for name, path in body_files(loaded.model):
        if name in prose:
            continue
        target = inside(loaded.directory, name)
        display = config.display(loaded.directory / name)
        if target is None:
            findings.append(_outside(name, loaded.directory, config, loaded.locate(path)))
            continue
        if not target.is_file():
            findings.append(
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
            prose[name] = Prose(name, display, read_text(target, display))
        except YamlError as exc:
            findings.append(Finding("unreadable-file", Severity.ERROR, exc.message, exc.location))
    return prose


def _find_all_citations(loaded: LoadedDossier, prose: Mapping[str, Prose]) -> tuple[Citation, ...]:
    assert loaded.model is not None
    citations: list[Citation] = []
    for body in prose.values():
        citations.extend(find_citations(body.text, body.display))
    for path, text in inline_prose(loaded.model):
        if not text or "@" not in text:
            continue
        cited = find_citations(text, loaded.yaml_path)
        if cited:  # the place is looked up only for text that cites
            location = loaded.locate(path)
            citations.extend(Citation(c.key, location) for c in cited)
    return tuple(citations)


def find_citations(text: str, display: str) -> list[Citation]:
    """Every ``[@key]`` / ``[see @a; @b, p. 3]`` citation in Markdown, with its line."""
    found = []
    for group in _CITATION_GROUP.finditer(text):
        line = text.count("\n", 0, group.start()) + 1
        column = group.start() - (text.rfind("\n", 0, group.start()) + 1) + 1
        for key in _CITATION_KEY.finditer(group.group(1)):
            found.append(Citation(key.group(1), Location(display, line, column)))
    return found


def inline_prose(model: Dossier) -> Iterable[tuple[tuple[str | int, ...], str]]:
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

"""`dossier retractions update` and `lookup`: current retraction data, and what changed for us.

``update`` fetches the Retraction Watch CSV (Crossref's, or ``--from URL|FILE``), validates
it, stores it compressed in the project, compares it with the previous snapshot for this
project's references only, records what is new in the ledger and points dossier.toml at it.
``lookup`` asks Crossref's REST API for the notices of each of the project's DOIs instead
(for projects that cannot store the whole CSV) and merges them into the same notices.

Both return a `Report`: every new retraction, correction, expression of concern and
reinstatement of a reference of ours, with the conclusions that rest on it and the
documents that cite it, in Dutch (`Report.dutch`) and as JSON (`Report.to_json`). A new
retraction under a standing conclusion without a recorded decision makes the report (and
`dossier check`) fail: that is what a scheduled job watches for.

Nothing is written until the new data passed every test, and then file by file through a
temporary file and one rename, dossier.toml last (`tooling.retraction_store`): a failed or
killed update leaves the old snapshot and configuration working.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal

from tooling.config import CONFIG_NAME, Config
from tooling.crossref import SOURCE as CROSSREF_SOURCE
from tooling.crossref import lookup_doi
from tooling.dates import PartialDate
from tooling.diagnostics import DossierError, Location
from tooling.facts import conclusion_stands, walk_indications
from tooling.fetch import Notify, Progress, fetch, redact
from tooling.i18n import join_list, message
from tooling.load import LoadedDossier, discover, load_dossier
from tooling.retraction_decisions import Decision, decision, needs_decision
from tooling.retraction_store import (
    CACHE_MIN_BYTES,
    DEFAULT_LEDGER,
    DEFAULT_LOOKUP,
    FoundNotice,
    LookupCache,
    LookupEntry,
    index_bytes,
    index_path,
    ledger_text,
    lookup_text,
    open_database,
    read_ledger,
    read_lookup,
    remember_parsed,
    remove_leftovers,
    set_toml_values,
    write_atomically,
)
from tooling.retractions import (
    GZIP_MAGIC,
    Nature,
    Notice,
    ParsedCsv,
    RetractionDatabase,
    Snapshot,
    current_notice,
    decompress,
    notice_key,
    parse_csv,
)
from tooling.templating import format_indication, format_partial_date

__all__ = [
    "Change",
    "Cited",
    "DocumentRef",
    "Options",
    "Report",
    "Use",
    "lookup",
    "source_of",
    "update",
]

SHRINK_LIMIT = 0.9
"""A new snapshot with fewer rows than this share of the previous one is refused
(a download cut off at a row boundary looks like a valid, shorter file) unless forced."""

_MADE_BY_UPDATE = re.compile(
    r"^retraction-watch-\d{4}-\d{2}-\d{2}(-[0-9a-f]{8})?(\.csv(\.gz)?|\.index\.json\.gz)$"
)


def _none(*_args: object) -> None:
    pass


@dataclass(frozen=True)
class Options:
    """How an update or lookup runs: network limits, progress, and what day it is."""

    timeout: float = 60.0
    retries: int = 3
    backoff: float = 2.0
    progress: Progress = _none
    notify: Notify = _none
    force: bool = False  # accept a snapshot much smaller than the previous one
    today: dt.date | None = None
    date: str = ""  # the snapshot's date (default: today, or a local file's date)
    pause: Callable[[str], None] = _none  # called between the steps (tests kill there)

    @property
    def day(self) -> dt.date:
        return self.today or dt.date.today()


# -- the report --------------------------------------------------------------------------


@dataclass(frozen=True)
class Use:
    """A conclusion that rests on a reference (the reference is in its ``evidence``)."""

    dossier: str
    indication_id: str
    indication: str  # as readers see it
    conclusion: str
    date: PartialDate
    location: Location  # of the key in the conclusion's evidence list
    stands: bool
    decision: Decision | None
    needs_decision: bool


@dataclass(frozen=True)
class DocumentRef:
    """A document that cites a reference."""

    dossier: str
    id: str
    kind: str  # position | addendum | letter | faq | leaflet
    title: str


@dataclass(frozen=True)
class Cited:
    """One of the project's references, with the conclusions and documents that cite it."""

    dossier: str
    key: str
    title: str
    conclusions: tuple[Use, ...]
    documents: tuple[DocumentRef, ...] | None  # None: could not be rendered (see problems)


@dataclass(frozen=True)
class Change:
    """A notice the new data has and the old did not, for a DOI of ours."""

    doi: str
    notice: Notice
    cited: tuple[Cited, ...]

    @property
    def undecided(self) -> list[Use]:
        return [use for cited in self.cited for use in cited.conclusions if use.needs_decision]


@dataclass(frozen=True)
class Report:
    """What an update or lookup found, for this project's references only."""

    command: str  # "update" or "lookup"
    snapshot: Snapshot
    previous: Snapshot | None
    references: int  # the project's references with a DOI
    dossiers: int
    changes: tuple[Change, ...]
    unchanged: bool = False
    previous_problem: str = ""
    stored: str = ""
    removed: str = ""
    replaced: int = 0
    replaced_lines: tuple[int, ...] = ()
    asked: int = 0
    unknown: int = 0
    problems: tuple[str, ...] = field(default=())
    still_open: tuple[Change, ...] = ()  # found by an earlier update, still undecided

    @property
    def undecided(self) -> list[Use]:
        """Standing conclusions on a new retraction without a decision (this run or before)."""
        return [use for change in (*self.changes, *self.still_open) for use in change.undecided]

    @property
    def exit_code(self) -> int:
        """1 when a new retraction touches a standing conclusion undecided, else 0.

        Retractions found by an earlier update and still undecided count too: the exit code
        says what `dossier check` will say about them.
        """
        return 1 if self.undecided else 0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON-ready data (the shape is documented in docs/retractions.md)."""
        return {
            "command": self.command,
            "snapshot": _snapshot_json(self.snapshot),
            "previous": _snapshot_json(self.previous) if self.previous else None,
            "previous_problem": self.previous_problem,
            "unchanged": self.unchanged,
            "stored": self.stored,
            "removed": self.removed,
            "references": self.references,
            "dossiers": self.dossiers,
            "asked": self.asked,
            "unknown": self.unknown,
            "replaced_bytes": {"count": self.replaced, "lines": list(self.replaced_lines)},
            "changes": [_change_json(c) for c in self.changes],
            "still_open": [_change_json(c) for c in self.still_open],
            "needs_decision": len(self.undecided),
            "problems": list(self.problems),
            "exit_code": self.exit_code,
        }

    def dutch(self, language: str = "nl") -> str:
        """The report as a writer reads it, in the readers' language (Markdown-like text)."""
        return _dutch(self, language)


def _snapshot_json(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "path": snapshot.path,
        "sha256": snapshot.sha256,
        "date": snapshot.date,
        "records": snapshot.records,
        "example": snapshot.example,
        "label": message("snapshot.example") if snapshot.example else "",
    }


def _change_json(change: Change) -> dict[str, Any]:
    notice = change.notice
    return {
        "doi": change.doi,
        "nature": notice.nature.value,
        "date": notice.date.isoformat() if notice.date else "",
        "reasons": list(notice.reasons),
        "record_id": notice.record_id,
        "notice_doi": notice.notice_doi,
        "source": notice.source,
        "found": notice.found,
        "needs_decision": len(change.undecided),
        "references": [
            {
                "dossier": cited.dossier,
                "key": cited.key,
                "title": cited.title,
                "conclusions": [
                    {
                        "id": use.conclusion,
                        "indication": use.indication_id,
                        "date": str(use.date),
                        "stands": use.stands,
                        "decision": {
                            "kind": use.decision.kind,
                            "date": str(use.decision.date),
                            "reason": use.decision.reason,
                        }
                        if use.decision
                        else None,
                        "needs_decision": use.needs_decision,
                        "location": str(use.location),
                    }
                    for use in cited.conclusions
                ],
                "documents": None
                if cited.documents is None
                else [
                    {"dossier": d.dossier, "id": d.id, "kind": d.kind, "title": d.title}
                    for d in cited.documents
                ],
            }
            for cited in change.cited
        ],
    }


def _day(value: str | dt.date | PartialDate | None, language: str) -> str:
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return message("report.undated", language)
    return format_partial_date(value, language=language) or message("report.undated", language)


def _number(value: int, language: str) -> str:
    return str(format_decimal(value, locale=language))


def _dutch(report: Report, language: str) -> str:
    def t(key: str, **values: object) -> str:
        return message(key, language, **values)

    def name(snapshot: Snapshot) -> str:
        label = f" ({t('snapshot.example')})" if snapshot.example else ""
        return f"{snapshot.path}{label}"

    snap = report.snapshot
    title = (
        "report.title.lookup"
        if report.command == "lookup"
        else "report.title.unchanged"
        if report.unchanged
        else "report.title.update"
    )
    lines = [f"# {t(title)}", ""]
    lines.append(
        t(
            "report.snapshot",
            path=name(snap),
            date=_day(snap.date, language),
            records=_number(snap.records, language),
            sha256=snap.sha256[:12],
        )
    )
    if report.previous_problem:
        lines.append(t("report.previous_unreadable", problem=report.previous_problem))
    elif report.previous is None:
        lines.append(t("report.previous_none"))
    elif not report.unchanged:
        previous = report.previous
        lines.append(
            t(
                "report.previous",
                path=name(previous),
                date=_day(previous.date, language),
                records=_number(previous.records, language),
            )
        )
    lines.append(t("report.compared", references=report.references, dossiers=report.dossiers))
    if report.command == "lookup":
        lines.append(
            t(
                "report.asked",
                asked=report.asked,
                references=report.references,
                unknown=report.unknown,
            )
        )
    if report.replaced:
        shown = ", ".join(str(n) for n in report.replaced_lines)
        lines.append(t("report.replaced", count=report.replaced, lines=shown))
    lines.extend(t("report.problem", problem=problem) for problem in report.problems)
    if report.stored:
        lines.append(t("report.stored", path=report.stored))
    if report.removed:
        lines.append(t("report.removed", path=report.removed))
    if not report.changes:
        lines.extend(["", t("report.nothing")])
    for nature in Nature:
        changes = [c for c in report.changes if c.notice.nature is nature]
        if not changes:
            continue
        lines.extend(["", f"## {t('report.section.' + nature.value)} ({len(changes)})", ""])
        for change in changes:
            lines.extend(_dutch_change(change, language))
    if report.still_open:
        lines.extend(["", f"## {t('report.section.open')} ({len(report.still_open)})", ""])
        for change in report.still_open:
            lines.extend(_dutch_change(change, language, still_open=True))
    lines.append("")
    undecided = len(report.undecided)
    lines.append(
        t("report.outcome_blocking", count=undecided) if undecided else t("report.outcome_ok")
    )
    return "\n".join(lines) + "\n"


def _dutch_change(change: Change, language: str, *, still_open: bool = False) -> list[str]:
    def t(key: str, **values: object) -> str:
        return message(key, language, **values)

    notice = change.notice
    lines = []
    for cited in change.cited:
        if still_open:
            head = t(
                "report.open_item",
                reference=cited.key,
                dossier=cited.dossier,
                doi=change.doi,
                date=_day(notice.date, language),
                found=_day(notice.found, language),
            )
        else:
            head = t(
                "report.notice",
                reference=cited.key,
                dossier=cited.dossier,
                doi=change.doi,
                nature=t("report.nature." + notice.nature.value),
                date=_day(notice.date, language),
            )
        lines.append(f"- {head}")
        details = []
        if notice.reasons:
            details.append(t("report.reasons", reasons="; ".join(notice.reasons)))
        if notice.record_id:
            details.append(t("report.record", record=notice.record_id))
        if details:
            lines.append("  " + " ".join(details))
        if not cited.conclusions:
            lines.append("  " + t("report.no_conclusions"))
        for use in cited.conclusions:
            head = t(
                "report.conclusion",
                conclusion=use.conclusion,
                indication=use.indication,
                date=_day(use.date, language),
            )
            lines.append(f"  - {head} {_state(use, notice, language)} ({use.location})")
        if cited.documents:
            names = [f"'{d.title}' ({d.id})" for d in cited.documents]
            lines.append("  " + t("report.documents", documents=join_list(names, language)))
        elif cited.documents is not None:
            lines.append("  " + t("report.no_documents"))
        else:
            lines.append("  " + t("report.documents_unknown"))
    return lines


def _state(use: Use, notice: Notice, language: str) -> str:
    if use.needs_decision:
        return message("report.undecided", language)
    if use.decision is not None:
        key = "report.decided." + use.decision.kind
        return message(
            key,
            language,
            date=_day(use.decision.date, language),
            reason=use.decision.reason,
        )
    if notice.nature is Nature.REINSTATEMENT:
        return message("report.cleared", language)
    return message("report.stands", language)


# -- the project's references --------------------------------------------------------------


@dataclass(frozen=True)
class _Project:
    dossiers: tuple[LoadedDossier, ...]  # schema-valid ones
    by_doi: Mapping[str, tuple[tuple[LoadedDossier, str], ...]]  # DOI -> (dossier, key)

    @property
    def references(self) -> int:
        return sum(len(found) for found in self.by_doi.values())


def _project(config: Config) -> _Project:
    directories, _ = discover(config)
    dossiers = tuple(
        d for d in (load_dossier(x, config, None) for x in directories) if d.model is not None
    )
    by_doi: dict[str, list[tuple[LoadedDossier, str]]] = {}
    for dossier in dossiers:
        for key, reference in dossier.references.items():
            if reference.doi_key:
                by_doi.setdefault(reference.doi_key, []).append((dossier, key))
    return _Project(dossiers, {doi: tuple(found) for doi, found in by_doi.items()})


def _changes(
    project: _Project,
    old: RetractionDatabase,
    new: RetractionDatabase,
    config: Config,
    today: str,
) -> tuple[list[Change], list[Change], list[str]]:
    """What ``new`` says that ``old`` did not, for our DOIs, with what it touches; and the
    retractions found earlier whose conclusions still wait for a decision.

    ``new`` must already carry the ledger with today's finds, so that the decisions are
    those `dossier check` will ask for.
    """
    fresh: list[tuple[str, Notice]] = []
    earlier: list[tuple[str, Notice]] = []
    for doi in sorted(project.by_doi):
        known = {notice_key(n) for n in old.notices(doi)}
        for notice in new.notices(doi):
            if notice_key(notice) not in known:
                fresh.append((doi, notice if notice.found else replace(notice, found=today)))
            elif notice.found and notice.nature.invalidates:
                earlier.append((doi, notice))
    touched = {(d.slug, key) for doi, _ in (*fresh, *earlier) for d, key in project.by_doi[doi]}
    documents, problems = _documents_citing(config, touched, project)

    def change(doi: str, notice: Notice) -> Change:
        cited = []
        for dossier, key in project.by_doi[doi]:
            reference = dossier.references[key]
            in_force = current_notice([*reference.notices, *new.notices(doi)])
            cited.append(
                Cited(
                    dossier=dossier.slug,
                    key=key,
                    title=reference.title,
                    conclusions=tuple(_uses(dossier, key, in_force, config)),
                    documents=documents.get((dossier.slug, key)),
                )
            )
        return Change(doi, notice, tuple(cited))

    changes = [change(doi, notice) for doi, notice in fresh]
    still_open = [c for c in (change(doi, notice) for doi, notice in earlier) if c.undecided]
    return changes, still_open, problems


def _uses(dossier: LoadedDossier, key: str, in_force: Notice | None, config: Config) -> list[Use]:
    model = dossier.model
    assert model is not None
    uses = []
    for path, indication in walk_indications(model):
        for j, conclusion in enumerate(indication.conclusions):
            for k, cited in enumerate(conclusion.evidence):
                if cited != key:
                    continue
                invalidating = in_force is not None and in_force.nature.invalidates
                uses.append(
                    Use(
                        dossier=dossier.slug,
                        indication_id=indication.id,
                        indication=format_indication(indication, "short", config.language),
                        conclusion=conclusion.id,
                        date=conclusion.date,
                        location=dossier.locate((*path, "conclusions", j, "evidence", k)),
                        stands=conclusion_stands(conclusion),
                        decision=decision(conclusion, key, in_force)
                        if in_force is not None and invalidating
                        else None,
                        needs_decision=needs_decision(conclusion, key, in_force),
                    )
                )
    return uses


_LIST_ENTRY = re.compile(r"^\\\[(\d+)\\\] ", re.MULTILINE)


def _documents_citing(
    config: Config, wanted: set[tuple[str, str]], project: _Project
) -> tuple[dict[tuple[str, str], tuple[DocumentRef, ...]], list[str]]:
    """The documents of each (dossier, key) in ``wanted``, found by rendering them.

    Rendering is how the toolkit decides what a document cites (a position lists its
    conclusions' evidence, a letter its body's citations): each document's reference list
    says which references it carries. Only the dossiers concerned are rendered.
    """
    if not wanted:
        return {}, []
    from tooling.documents import render_documents
    from tooling.prose import render_dossier_prose
    from tooling.templating import document_environment

    env = document_environment(config.templates_dir, config.language, config.cache_dir)
    found: dict[tuple[str, str], tuple[DocumentRef, ...]] = {}
    problems = []
    for dossier in project.dossiers:
        keys = {key for slug, key in wanted if slug == dossier.slug}
        if not keys:
            continue
        try:
            prose, _ = render_dossier_prose(dossier, config.language)
            rendered = render_documents(dossier, prose, env, config.language)
        except DossierError as exc:
            problems.append(f"{dossier.slug}: {exc}")
            continue
        by_number = {number: key for key, number in rendered.numbers.items()}
        for key in keys:
            found[dossier.slug, key] = tuple(
                DocumentRef(dossier.slug, doc.id, doc.kind, doc.title)
                for doc in rendered.documents
                if key in {by_number.get(int(n)) for n in _LIST_ENTRY.findall(doc.markdown)}
            )
    return found, problems


# -- update ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where the new snapshot comes from: a URL, or a file on this machine."""

    url: str = ""
    path: Path | None = None

    @property
    def display(self) -> str:
        return redact(self.url) if self.url else str(self.path)


def source_of(config: Config, given: str | None) -> Source:
    """``--from`` as given (a URL or a file), else the configured source with ``mailto``."""
    if given is None:
        url = config.retraction_source
        if config.retraction_mailto and "mailto=" not in url:
            separator = "&" if "?" in url else "?"
            from urllib.parse import quote

            url = f"{url}{separator}mailto={quote(config.retraction_mailto, safe='@')}"
        return Source(url=url)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", given):
        return Source(url=given)
    return Source(path=Path(given))


def _download(source: Source, config: Config, options: Options) -> tuple[bytes, str]:
    """The bytes of the new snapshot (maybe gzip) and its date (ISO)."""
    if source.path is not None:
        try:
            data = source.path.read_bytes()
            stamp = source.path.stat().st_mtime
        except OSError as exc:
            raise DossierError(
                f"cannot read {source.path}: {exc.strerror}", Location(str(source.path))
            ) from None
        options.progress(len(data), len(data))
        return data, options.date or dt.date.fromtimestamp(stamp).isoformat()
    agent = "dossier-tooling" + (
        f" (mailto:{config.retraction_mailto})" if config.retraction_mailto else ""
    )
    fetched = fetch(
        source.url,
        timeout=options.timeout,
        retries=options.retries,
        backoff=options.backoff,
        headers={"User-Agent": agent},
        progress=options.progress,
        notify=options.notify,
    )
    assert fetched is not None  # missing_ok is off
    return fetched.data, options.date or options.day.isoformat()


def _previous(config: Config) -> tuple[RetractionDatabase, Snapshot | None, str]:
    """The data before the update, its snapshot, and why it could not be read (if so)."""
    try:
        db = open_database(config)
    except DossierError as exc:
        return RetractionDatabase.empty(), None, str(exc)
    return db, (db.snapshot if db.snapshot.path else None), ""


def _relative(config: Config, path: Path) -> str:
    return path.resolve().relative_to(config.root.resolve()).as_posix()


def _data_folder(config: Config) -> Path:
    """Where new snapshots go: beside the configured one when it is in the project."""
    if config.retraction_db is not None:
        folder = config.retraction_db.parent
        try:
            folder.resolve().relative_to(config.root.resolve())
            return folder
        except ValueError:
            pass
    return config.root / "data"


def _ledger_entries(config: Config) -> list[FoundNotice]:
    if config.retraction_ledger is None or not config.retraction_ledger.exists():
        return []
    return read_ledger(config.retraction_ledger, config.display(config.retraction_ledger))


def _found(entries: Iterable[FoundNotice]) -> dict[tuple[str, str], str]:
    return {(e.doi, e.key): e.found for e in entries}


def update(config: Config, source: Source, options: Options = Options()) -> Report:
    """Fetch, validate and store a new snapshot; report what changed for our references.

    Raises:
        DossierError: The download failed, the data is not a valid Retraction Watch CSV (the
            line is named), it is much smaller than the previous one, or a file cannot be
            written. Nothing has changed then.
    """
    today = options.day.isoformat()
    raw, date = _download(source, config, options)
    options.pause("downloaded")
    display = source.display
    csv_bytes = decompress(raw, display)
    # Compressing takes as long as parsing; zlib releases the GIL, so both run at once.
    with ThreadPoolExecutor(max_workers=1) as pool:
        compressing = None
        if not raw.startswith(GZIP_MAGIC):
            compressing = pool.submit(gzip.compress, csv_bytes, 6, mtime=0)
        parsed = parse_csv(csv_bytes, display)
        stored_bytes = compressing.result() if compressing is not None else raw
    del csv_bytes
    old, previous, problem = _previous(config)
    if (
        previous is not None
        and not previous.example
        and not options.force
        and parsed.rows < SHRINK_LIMIT * previous.records
    ):
        raise DossierError(
            f"the new snapshot has {parsed.rows:,} rows, the previous one {previous.records:,}: "
            "it may be cut off",
            Location(display),
            hint="download it again; if the data really shrank, use --force",
        )
    unchanged = previous is not None and previous.sha256 == parsed.sha256
    project = _project(config)
    remove_leftovers(_data_folder(config))
    remove_leftovers(config.root)

    target = _data_folder(config) / f"retraction-watch-{date}.csv.gz"
    if unchanged and config.retraction_db is not None:
        target = config.retraction_db
    elif target.exists() and target != config.retraction_db and not _holds(target, stored_bytes):
        target = target.with_name(f"retraction-watch-{date}-{parsed.sha256[:8]}.csv.gz")
    snapshot_display = config.display(target)
    new = RetractionDatabase.from_parsed(parsed, display=snapshot_display, date=date)
    lookup_extra = _lookup_notices(config)
    entries = _ledger_entries(config)
    known = _found(entries)
    # Today's finds join the ledger before the decisions are worked out, as the check will.
    probe = new.joined(extra=lookup_extra, found=known)
    fresh = [
        FoundNotice.of(doi, n, today, snapshot_display)
        for doi in project.by_doi
        for n in probe.notices(doi)
        if notice_key(n) not in {notice_key(o) for o in old.notices(doi)} and not n.found
    ]
    new = new.joined(extra=lookup_extra, found={**known, **_found(fresh)})
    changes, still_open, problems = _changes(project, old, new, config, today)

    values: dict[str, str | int] = {
        "database": _relative(config, target),
        "snapshot_date": date,
        "sha256": parsed.sha256,
    }
    target.parent.mkdir(parents=True, exist_ok=True)
    if not _holds(target, stored_bytes):  # (a killed update may have left it complete)
        write_atomically(target, stored_bytes)
    if len(stored_bytes) >= CACHE_MIN_BYTES:  # a fresh clone's first check reads this
        write_atomically(index_path(target), index_bytes(stored_bytes, parsed))
    options.pause("snapshot-written")
    if fresh:
        ledger = config.retraction_ledger or config.root / DEFAULT_LEDGER
        ledger.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(ledger, ledger_text([*entries, *fresh]).encode("utf-8"))
        values["ledger"] = _relative(config, ledger)
    options.pause("ledger-written")
    _write_config(config, values)
    options.pause("config-written")
    remember_parsed(config.cache_dir, stored_bytes, parsed)
    # The folder keeps one snapshot made by an update: the previous one goes, and any that
    # a killed update left behind unnamed in dossier.toml.
    removed = []
    for old_path in sorted(target.parent.iterdir()):
        keep = (target, index_path(target))
        if old_path not in keep and _MADE_BY_UPDATE.match(old_path.name) and old_path.is_file():
            with contextlib.suppress(OSError):
                old_path.unlink()
                removed.append(config.display(old_path))
    return Report(
        command="update",
        snapshot=new.snapshot,
        previous=previous,
        references=project.references,
        dossiers=len(project.dossiers),
        changes=tuple(changes),
        unchanged=unchanged,
        previous_problem=problem,
        stored=snapshot_display,
        removed=", ".join(removed),
        replaced=parsed.replaced,
        replaced_lines=parsed.replaced_lines,
        problems=tuple(problems),
        still_open=tuple(still_open),
    )


def _holds(path: Path, data: bytes) -> bool:
    """Whether ``path`` is a file with exactly these bytes."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _write_config(config: Config, values: Mapping[str, str | int]) -> None:
    path = config.root / CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise DossierError(f"cannot read {CONFIG_NAME}: {exc}", Location(CONFIG_NAME)) from None
    write_atomically(path, set_toml_values(text, "retractions", values).encode("utf-8"))


def _lookup_notices(config: Config) -> dict[str, tuple[Notice, ...]]:
    if config.retraction_lookup is None:
        return {}
    cache = read_lookup(config.retraction_lookup, config.display(config.retraction_lookup))
    return {doi: entry.notices for doi, entry in cache.entries.items() if entry.notices}


def validate(data: bytes, display: str) -> ParsedCsv:
    """Parse a candidate snapshot as the update would (for tests and tools)."""
    return parse_csv(decompress(data, display), display)


# -- lookup ----------------------------------------------------------------------------------


def lookup(
    config: Config, options: Options = Options(), *, api: str = "", refresh: bool = False
) -> Report:
    """Ask Crossref for the Retraction Watch notices of every DOI of ours; report what is new.

    A DOI asked today already is not asked again (unless ``refresh``). The answers are
    cached with their date in the lookup file (default `DEFAULT_LOOKUP`), which the check
    reads beside the snapshot.

    Raises:
        DossierError: A request failed after its retries (nothing is written then).
    """
    today = options.day.isoformat()
    api = api or config.retraction_api
    project = _project(config)
    path = config.retraction_lookup or config.root / DEFAULT_LOOKUP
    display = config.display(path)
    previous_cache = (  # a configured file that went missing is asked for again
        read_lookup(path, display) if path.exists() else LookupCache(display, "", api)
    )
    old, previous, problem = _previous(config)
    entries = dict(previous_cache.entries)
    dois = sorted(project.by_doi)
    asked = unknown = 0
    options.progress(0, len(dois))
    for done, doi in enumerate(dois, start=1):
        entry = entries.get(doi)
        if refresh or entry is None or entry.checked != today:
            notices = lookup_doi(
                api,
                doi,
                mailto=config.retraction_mailto,
                timeout=options.timeout,
                retries=options.retries,
                backoff=options.backoff,
                notify=options.notify,
            )
            asked += 1
            if notices is None:
                unknown += 1
            entries[doi] = LookupEntry(today, notices is not None, tuple(notices or ()))
        options.progress(done, len(dois))
    options.pause("asked")
    cache = LookupCache(display, today, api, entries)
    base = _snapshot_only(config)
    known_entries = _ledger_entries(config)
    extra = {doi: e.notices for doi, e in entries.items() if e.notices}
    probe = base.joined(extra=extra)
    fresh = [
        FoundNotice.of(doi, n, today, CROSSREF_SOURCE)
        for doi in dois
        for n in probe.notices(doi)
        if notice_key(n) not in {notice_key(o) for o in old.notices(doi)}
        and (doi, notice_key(n)) not in _found(known_entries)
    ]
    new = base.joined(extra=extra, found={**_found(known_entries), **_found(fresh)})
    changes, still_open, problems = _changes(project, old, new, config, today)
    values: dict[str, str | int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lookup_text(cache).encode("utf-8"))
    if config.retraction_lookup is None:
        values["lookup"] = _relative(config, path)
    if fresh:
        ledger = config.retraction_ledger or config.root / DEFAULT_LEDGER
        ledger.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(ledger, ledger_text([*known_entries, *fresh]).encode("utf-8"))
        if config.retraction_ledger is None:
            values["ledger"] = _relative(config, ledger)
    if values:
        _write_config(config, values)
    snapshot = read_lookup(path, display).snapshot
    return Report(
        command="lookup",
        snapshot=snapshot,
        previous=previous_cache.snapshot if previous_cache.updated else previous,
        references=project.references,
        dossiers=len(project.dossiers),
        changes=tuple(changes),
        previous_problem=problem,
        stored=display,
        asked=asked,
        unknown=unknown,
        problems=tuple(problems),
        still_open=tuple(still_open),
    )


def _snapshot_only(config: Config) -> RetractionDatabase:
    """The configured snapshot alone (no lookup notices, no ledger), or an empty database."""
    if config.retraction_db is None:
        return RetractionDatabase.empty()
    try:
        return open_database(replace(config, retraction_lookup=None, retraction_ledger=None))
    except DossierError:
        return RetractionDatabase.empty()

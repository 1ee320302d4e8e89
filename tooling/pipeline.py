"""The pipeline: check -> render -> publish, each a function over frozen values.

    checked = check(config)              load every dossier, render its prose, run the rules
    if checked.ok:
        rendered = render(checked)       every document and every site page, in memory
        published = publish(rendered, out)   PDF, DOCX and the site, swapped in atomically

A failed check is a value (`Checked.errors`), never an exception; `render` refuses one.
Unusable input or a failing tool raises `DossierError` with a location. The CLI, the MkDocs
plugin and the benchmarks call these functions and nothing else. The fast paths (helper
processes for large checks, the warm MkDocs process) hide behind them; see "Fast paths" in
docs/architecture.md.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling import publishing
from tooling.build_cache import folder_digest
from tooling.check_processes import CheckedDossier, Result, Tally, check_all, check_one
from tooling.config import MENU_FULL_UP_TO, Config
from tooling.diagnostics import Finding, Severity
from tooling.documents import Document, RenderedDossier, render_documents
from tooling.load import LoadedDossier, discover
from tooling.retraction_store import open_database, snapshot_findings, snapshot_status
from tooling.retractions import RetractionDatabase, Snapshot
from tooling.site.chrome import SiteChrome
from tooling.site.decisions import decision_data
from tooling.site.history import history_files
from tooling.site.pages import generate_nav, generate_pages, site_filters
from tooling.site.views import (
    Downloads,
    FailingDossier,
    failing_dossiers,
    site_chrome,
    site_keys,
)
from tooling.templating import document_environment

Progress = Callable[[str], None]


def _silent(_text: str) -> None:
    pass


# -- check -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """What the check found: findings, counts, the snapshot used, and the checked dossiers."""

    config: Config
    dossiers: tuple[CheckedDossier, ...]  # empty when the check was asked not to keep them
    findings: tuple[Finding, ...]
    snapshot: Snapshot
    tallies: tuple[Tally, ...]
    as_of: dt.date | None = None  # checked as the dossiers stood on this day (docs/history.md)

    @property
    def loaded(self) -> list[LoadedDossier]:
        """The checked dossiers as loaded (models, references, flags)."""
        return [d.loaded for d in self.dossiers]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        """Whether the dossiers are publishable: no errors."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def summary(self) -> dict[str, object]:
        """Counts for the summary line and for `--format json`."""
        return {
            "dossiers": len(self.tallies),
            "indications": sum(t.indications for t in self.tallies),
            "subgroups": sum(t.subgroups for t in self.tallies),
            "references": sum(t.references for t in self.tallies),
            "flagged_references": sum(t.flagged for t in self.tallies),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "retraction_database": {
                "path": self.snapshot.path,
                "sha256": self.snapshot.sha256,
                "date": self.snapshot.date,
                "records": self.snapshot.records,
            },
            "retraction_snapshot": snapshot_status(self.snapshot, self.config),
        }


def check(
    config: Config,
    paths: Sequence[Path] = (),
    *,
    keep: bool = True,
    jobs: int | None = None,
    as_of: dt.date | None = None,
) -> Checked:
    """Load every dossier (or those named), render its prose and run the consistency rules.

    Args:
        config: The project.
        paths: Dossier folders to check; all of the project's when empty.
        keep: Keep the checked dossiers for `render`. `dossier check` needs only findings
            and counts, and memory stays flat without them.
        jobs: Processes to check on (None: two for large projects on two cores, else one).
            The result is the same whatever the number.
        as_of: Check (and so render) every dossier as it stood at the end of this day:
            facts dated later left out (`tooling.history`).
    """
    directories, found = discover(config, paths)
    results, snapshot = check_all(directories, config, open_retraction_db, jobs, keep, as_of)
    return _checked(config, found, results, snapshot, as_of)


def _checked(
    config: Config,
    found: list[Finding],
    results: list[Result],
    snapshot: Snapshot,
    as_of: dt.date | None = None,
) -> Checked:
    findings = [
        *found,
        *snapshot_findings(config, snapshot),
        *(f for _, _, fs in results for f in fs),
    ]
    findings.sort(key=lambda f: f.sort_key)
    return Checked(
        config=config,
        dossiers=tuple(d for d, _, _ in results if d is not None),
        findings=tuple(findings),
        snapshot=snapshot,
        tallies=tuple(tally for _, tally, _ in results),
        as_of=as_of,
    )


class Rechecker:
    """`check`, again and again, for the live preview (`tooling.serve`).

    Each run checks anew only the dossiers whose files changed since the last run (a file's
    size or modification time), and reads the retraction data again only when its files
    changed. Dossiers are checked one by one, so what a run returns is what `check` returns
    for the same files (tests/test_dossier_serve.py).
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self._db: RetractionDatabase | None = None
        self._db_state: object = None
        self._kept: dict[Path, tuple[object, Result]] = {}

    def check(self) -> Checked:
        """The check of every dossier, as `check(config)` gives it."""
        config = self.config
        sources = [config.retraction_db, config.retraction_ledger, config.retraction_lookup]
        state = [_state(path) for path in sources if path is not None]
        if self._db is None or state != self._db_state:
            self._db, self._db_state = open_retraction_db(config), state
            self._kept.clear()
        directories, found = discover(config)
        kept: dict[Path, tuple[object, Result]] = {}
        for directory in directories:
            now = _folder_state(directory)
            before = self._kept.get(directory)
            if before is not None and before[0] == now:
                kept[directory] = before
            else:
                kept[directory] = (now, check_one(directory, config, self._db))
        self._kept = kept
        results = [kept[d][1] for d in directories]
        return _checked(config, found, results, self._db.snapshot)


def _state(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def _folder_state(folder: Path) -> list[tuple[str, int, int]]:
    """Every file below ``folder`` with its modification time and size."""
    found = []
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            try:
                stat = os.stat(path)
            except OSError:
                continue
            found.append((path, stat.st_mtime_ns, stat.st_size))
    return sorted(found)


def open_retraction_db(config: Config) -> RetractionDatabase:
    """The configured retraction data (snapshot, lookup notices, ledger), verified against
    its pinned SHA-256 if any; see `tooling.retraction_store`."""
    return open_database(config)


# -- render ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    """Every document and every site page of the checked dossiers, in memory."""

    checked: Checked
    dossiers: tuple[RenderedDossier, ...]
    pages: Mapping[str, str]  # site page path -> Markdown
    nav: list[Any]  # the site navigation, in mkdocs.yml form
    site: SiteChrome  # the site's name, logo and footer
    files: Mapping[str, str | bytes]  # other files: decision aids' JSON, archived PDF/DOCX
    failing: tuple[FailingDossier, ...] = ()  # render(only_ok=True): dossiers left out

    @property
    def documents(self) -> list[Document]:
        return [doc for dossier in self.dossiers for doc in dossier.documents]


def site_chrome_of(config: Config, dossiers: Sequence[LoadedDossier] = ()) -> SiteChrome:
    """The site's name, logo and footer: [site] in dossier.toml, else the dossiers' issuer."""
    issuers = [d.model.issuer.name for d in dossiers if d.model is not None]
    full_menu = config.site_menu == "full" or (
        config.site_menu == "auto" and len(dossiers) <= MENU_FULL_UP_TO
    )
    return site_chrome(
        config.site_name,
        config.site_logo,
        config.site_footer,
        issuers,
        config.language,
        full_menu,
    )


@dataclass
class RenderMemo:
    """What `render` made of each dossier, kept by the live preview (`tooling.serve`).

    A dossier whose check result is the very object of the last render (`Rechecker` keeps
    the results of unchanged dossiers) is not rendered again, nor are its pages while the
    same of its PDF and DOCX files exist. A change to the templates empties it.
    """

    templates: str = ""
    dossiers: dict[str, tuple[CheckedDossier, RenderedDossier]] = field(default_factory=dict)
    pages: dict[str, Any] = field(default_factory=dict)  # see site.pages.generate_pages


def render(
    checked: Checked,
    *,
    downloads: Downloads | None = None,
    only_ok: bool = False,
    memo: RenderMemo | None = None,
) -> Rendered:
    """Render every document and site page of a clean check.

    ``downloads`` tells the site pages which PDF/DOCX files exist (default: all of them,
    as after `publish`); `mkdocs serve` links only those a previous build left.
    ``only_ok`` (the preview of `mkdocs serve`): take a check with errors too, render the
    dossiers without errors, and show each failing one by its findings
    (`Rendered.failing`). Without it a check with errors is refused. ``memo``: the live
    preview's `RenderMemo`; the result is the same with or without it.
    """
    if not checked.ok and not only_ok:
        raise ValueError("render() takes a check without errors; look at Checked.ok first")
    config = checked.config
    failing = (
        failing_dossiers(checked.findings, checked.loaded, config.display(config.dossiers_dir))
        if not checked.ok
        else ()
    )
    left_out = {f.name for f in failing}
    env = document_environment(config.templates_dir, config.language, config.cache_dir)
    if memo is not None:
        templates = f"{config.language}:{folder_digest(config.templates_dir)}"
        if memo.templates != templates:
            memo.templates, memo.dossiers, memo.pages = templates, {}, {}

    def rendered(d: CheckedDossier) -> RenderedDossier:
        assert d.prose is not None
        slug = d.loaded.slug
        if memo is not None and slug in memo.dossiers and memo.dossiers[slug][0] is d:
            return memo.dossiers[slug][1]
        made = render_documents(
            d.loaded,
            d.prose,
            env,
            config.language,
            site_keys=lambda: site_keys(d.loaded),
        )
        if memo is not None:
            memo.dossiers[slug] = (d, made)
        return made

    dossiers = tuple(
        rendered(d)
        for d in checked.dossiers
        if d.prose is not None and d.loaded.slug not in left_out
    )
    pages = generate_pages(
        dossiers,
        site_filters(env, config.language),
        config.language,
        snapshot=checked.snapshot,
        summary=checked.summary(),
        downloads=downloads,
        failing=failing,
        memo=memo.pages if memo is not None else None,
    )
    nav = generate_nav(dossiers, config.language, failing)
    files: dict[str, str | bytes] = {
        **decision_data(dossiers, config.language),
        **history_files(dossiers),  # released versions' PDF and DOCX, byte for byte
    }
    chrome = site_chrome_of(config, checked.loaded)
    return Rendered(checked, dossiers, pages, nav, chrome, files, failing)


# -- publish -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Published:
    """What `publish` wrote."""

    out: Path
    documents: int
    pages: int


def publish(
    rendered: Rendered,
    out: Path,
    *,
    site: bool = True,
    jobs: int = 2,
    progress: Progress = _silent,
    cache: bool = True,
) -> Published:
    """Write every document (Markdown, PDF, DOCX) and, with ``site``, build the site.

    Everything is written into a staging folder that replaces ``out`` only when all of it
    succeeded; ``out`` must be a folder the toolkit may own (`output.check_output_target`).
    With ``cache``, outputs whose inputs are unchanged come from the project's build cache
    (`tooling.build_cache`): the same bytes, made once.
    """
    config = rendered.checked.config
    kept = publishing.open_cache(config, enabled=cache)
    if site:
        publishing.publish_site(
            rendered.documents,
            rendered.pages,
            rendered.nav,
            config,
            out,
            files=rendered.files,
            chrome=rendered.site,
            jobs=jobs,
            progress=progress,
            cache=kept,
        )
        return Published(out, len(rendered.documents), len(rendered.pages))
    publishing.publish_documents(
        rendered.documents, config, out, jobs=jobs, progress=progress, cache=kept
    )
    return Published(out, len(rendered.documents), 0)


def build(
    config: Config,
    paths: Sequence[Path] = (),
    out: Path | None = None,
    *,
    site: bool = True,
    jobs: int = 2,
    progress: Progress = _silent,
    as_of: dt.date | None = None,
    cache: bool = True,
) -> Checked | Published:
    """check -> render -> publish: the failed check when it found errors, else what was written.

    With ``as_of``, every dossier as it stood at the end of that day (`tooling.history`).
    ``cache``: take unchanged outputs from the project's build cache (see `publish`).
    """
    target = publishing.claim_output(
        out or (config.site_dir if site else config.output_dir), config
    )
    with publishing.site_engine(config, active=site):
        progress("checking dossiers")
        checked = check(config, paths, as_of=as_of)
        if not checked.ok:
            return checked
        rendered = render(checked)
        progress(
            f"rendered {len(rendered.documents)} documents from {len(rendered.dossiers)} dossiers"
        )
        return publish(rendered, target, site=site, jobs=jobs, progress=progress, cache=cache)

"""A dossier's history on the site: its versions, their permanent pages, the positions it replaced.

For every dossier that lists `versions` or supersedes earlier positions the site gets
``<dossier>/versies/index.md``: the definitive versions (the current one marked), the concept
and consultation versions in a section of their own, and the superseded positions, each with
who replaced it and since when (the position links to them, both ways). Every released version
(`tooling.versions`) has a permanent page ``<dossier>/versies/<id>/index.md`` with its
documents as they were released: their text from the archived Markdown, their PDF and DOCX
copied from the archive byte for byte (`history_files`). A version that is not the current one
says so and links to the current one; a concept or consultation version is marked as such,
with the end of its consultation. Addresses come from `tooling.site.paths`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from tooling.dates import PartialDate
from tooling.diff import Changes, diff
from tooling.documents import POSITION_ID, RenderedDossier
from tooling.draft import describe, pico_lines, show_words
from tooling.history import as_of
from tooling.html_safety import escape_text
from tooling.i18n import message
from tooling.load import DOSSIER_FILE, body_files
from tooling.model import Dossier, SupersededPosition, Version
from tooling.site.paths import (
    document_page,
    version_changes_page,
    version_document,
    version_page,
    versions_page,
)
from tooling.templating import format_partial_date
from tooling.versions import Archive, load_archives
from tooling.yamlsource import YamlError, load_yaml

Render = Callable[..., str]
DRAFT_STATUSES = ("concept", "consultation")


@dataclass(frozen=True)
class ArchivedDocumentView:
    """One document of a released version, for its page and the version's list."""

    id: str
    kind: str  # the kind as readers read it ('Standpunt', 'Addendum')
    title: str
    date: PartialDate | None
    status: str
    page: str
    pdf: str | None  # site paths of the archived files, when the archive holds them
    docx: str | None
    markdown: str  # the archived Markdown, as rendered when the version was released


@dataclass(frozen=True)
class VersionView:
    """One listed version: released (with a permanent page) or only recorded."""

    version: Version
    page: str | None  # None: not released yet, so no permanent address
    documents: tuple[ArchivedDocumentView, ...]
    current: bool  # the last definitive version
    superseded: bool  # a later definitive version replaced it
    changes_page: str | None  # what changed since the previous released version
    previous: Version | None  # the released version before it
    archive: Archive | None = field(default=None, compare=False)
    previous_archive: Archive | None = field(default=None, compare=False)
    title: str = ""  # the dossier's title as the version has it (its archived dossier.yaml)

    @property
    def draft(self) -> bool:
        """A concept or consultation version: never among the current positions."""
        return self.version.status in DRAFT_STATUSES


@dataclass(frozen=True)
class SupersededView:
    """An earlier position this dossier's position replaced: who replaced it, since when."""

    old: SupersededPosition
    anchor: str  # its place on the versions page (``#<id>``)
    replaced_by: str  # the title of the position that replaced it
    replaced_by_page: str | None  # that position's page
    issuer: str
    since: PartialDate  # the replacing position's date of effect


@dataclass(frozen=True)
class HistoryView:
    """A dossier's history, ready for the templates."""

    slug: str
    model: Dossier
    page: str
    dossier_page: str
    versions: tuple[VersionView, ...]
    superseded: tuple[SupersededView, ...]

    @property
    def current(self) -> VersionView | None:
        return next((v for v in self.versions if v.current), None)

    @property
    def definitive(self) -> list[VersionView]:
        """Definitive versions, newest first."""
        return [v for v in reversed(self.versions) if not v.draft]

    @property
    def drafts(self) -> list[VersionView]:
        """Concept and consultation versions, newest first."""
        return [v for v in reversed(self.versions) if v.draft]

    @property
    def released(self) -> list[VersionView]:
        return [v for v in self.versions if v.page is not None]


def current_version(versions: Sequence[Version]) -> Version | None:
    """The current version: the last definitive one of the list (oldest first)."""
    return next((v for v in reversed(versions) if v.status == "definitive"), None)


def superseded_anchor(old: SupersededPosition) -> str:
    return f"vervallen-{old.id}"


def superseded_link(slug: str, old: SupersededPosition) -> str:
    """Where a superseded position's entry stands (the versions page, at its anchor)."""
    return f"{versions_page(slug)}#{superseded_anchor(old)}"


def has_history(model: Dossier) -> bool:
    return bool(model.versions) or bool(model.position and model.position.supersedes)


def history_view(
    rendered: RenderedDossier, language: str, downloads: Callable[[str], bool] | None = None
) -> HistoryView:
    """The history of one rendered dossier, its released versions read from their archives.

    ``downloads`` tells which PDF/DOCX files the site has (default: all; `mkdocs serve` has
    only those a previous build left), as for `tooling.site.views`.
    """
    model, slug = rendered.model, rendered.slug
    archives = load_archives(rendered.loaded.directory, model.versions)
    current = current_version(model.versions)
    current_index = model.versions.index(current) if current is not None else -1
    views: list[VersionView] = []
    previous: Version | None = None
    previous_archive: Archive | None = None
    for index, version in enumerate(model.versions):
        archive = archives.get(version.id)
        views.append(
            VersionView(
                version=version,
                page=version_page(slug, version.id) if archive else None,
                documents=tuple(_documents(slug, version, archive, language, downloads))
                if archive
                else (),
                current=version is current,
                superseded=index < current_index,
                changes_page=version_changes_page(slug, version.id)
                if archive and previous is not None
                else None,
                previous=previous if archive else None,
                archive=archive,
                previous_archive=previous_archive if archive else None,
                title=_archived_title(archive) or model.title if archive else model.title,
            )
        )
        if archive is not None:
            previous, previous_archive = version, archive
    superseded: list[SupersededView] = []
    position = model.position
    if position is not None:
        has_page = any(d.id == POSITION_ID for d in rendered.documents)
        issuer = (position.issuer or model.issuer).name
        superseded = [
            SupersededView(
                old,
                superseded_anchor(old),
                position.title,
                document_page(slug, POSITION_ID) if has_page else None,
                issuer,
                position.date,
            )
            for old in position.supersedes
        ]
    return HistoryView(
        slug,
        model,
        versions_page(slug),
        f"{slug}/index.md",
        tuple(views),
        tuple(superseded),
    )


def _documents(
    slug: str,
    version: Version,
    archive: Archive,
    language: str,
    downloads: Callable[[str], bool] | None,
) -> Iterator[ArchivedDocumentView]:
    for doc in archive.manifest.documents:
        md = archive.document_file(doc.id, "md")
        if md is None:
            continue

        def download(extension: str, ident: str = doc.id) -> str | None:
            path = version_document(slug, version.id, ident, extension)
            found = archive.document_file(ident, extension) is not None
            return path if found and (downloads is None or downloads(path)) else None

        yield ArchivedDocumentView(
            id=doc.id,
            kind=message(f"kind.{doc.kind}", language),
            title=doc.title,
            date=PartialDate.parse(doc.date) if doc.date else None,
            status=doc.status,
            page=version_document(slug, version.id, doc.id),
            pdf=download("pdf"),
            docx=download("docx"),
            markdown=md.read_text(encoding="utf-8"),
        )


def history_pages(
    dossiers: Sequence[RenderedDossier],
    render: Render,
    language: str,
    downloads: Callable[[str], bool] | None = None,
) -> dict[str, str]:
    """The versions page of each dossier with a history, and each released version's pages:
    its page, its documents and what changed since the released version before it."""
    pages: dict[str, str] = {}
    for rendered in dossiers:
        if not has_history(rendered.model):
            continue
        view = history_view(rendered, language, downloads)
        pages[view.page] = render(view.page, "versions.md.j2", history=view)
        for item in view.released:
            assert item.page is not None
            pages[item.page] = render(item.page, "version.md.j2", history=view, item=item)
            for doc in item.documents:
                pages[doc.page] = render(
                    doc.page, "version_document.md.j2", history=view, item=item, doc=doc
                )
            if item.changes_page is not None:
                pages[item.changes_page] = render(
                    item.changes_page,
                    "version_changes.md.j2",
                    history=view,
                    item=item,
                    changes=_changes_view(version_changes(view.slug, item)),
                )
    return pages


def history_files(dossiers: Sequence[RenderedDossier]) -> dict[str, bytes]:
    """The archived PDF and DOCX of every released version, byte for byte, by site path."""
    files: dict[str, bytes] = {}
    for rendered in dossiers:
        model = rendered.model
        for version_id, archive in load_archives(rendered.loaded.directory, model.versions).items():
            for doc in archive.manifest.documents:
                for extension in ("pdf", "docx"):
                    path = archive.document_file(doc.id, extension)
                    if path is not None:
                        files[version_document(rendered.slug, version_id, doc.id, extension)] = (
                            path.read_bytes()
                        )
    return files


def version_label(version: Version, language: str) -> str:
    """How a version is named in the navigation: its date and status."""
    status = message(f"status.{version.status}", language)
    return f"{format_partial_date(version.date, language=language)} ({status.lower()})"


def history_nav(rendered: RenderedDossier, language: str) -> list[Any]:
    """The dossier's 'Versies' section of the navigation (mkdocs.yml form), or nothing."""
    if not has_history(rendered.model):
        return []
    view = history_view(rendered, language)
    section: list[Any] = [view.page]
    for item in reversed(view.released):
        assert item.page is not None
        pages: list[Any] = [item.page]
        pages.extend({escape_text(d.title): d.page} for d in item.documents)
        if item.changes_page is not None:
            pages.append({message("site.history.changes", language): item.changes_page})
        section.append({escape_text(version_label(item.version, language)): pages})
    return [{message("site.history.title", language): section}]


# -- what changed between two released versions ------------------------------------------------


@dataclass(frozen=True)
class ChangeView:
    sentence: str  # `tooling.draft.describe`: what changed, since when
    pico: list[tuple[str, str]]
    words: str  # the word diff of a prose edit, as Markdown (~~removed~~ **added**)


def _archived_title(archive: Archive) -> str:
    """The dossier's title in a released version ('' when its dossier.yaml cannot say).

    A version's pages show the title it was released with, not today's: renaming the dossier
    leaves them as they were (docs/history.md, "What 'immutable' covers").
    """
    try:
        data, _ = load_yaml(archive.read(DOSSIER_FILE).decode("utf-8"), DOSSIER_FILE)
    except (KeyError, OSError, UnicodeDecodeError, YamlError):
        return ""
    title = data.get("title") if isinstance(data, dict) else None
    return title if isinstance(title, str) else ""


def _archived_state(archive: Archive, version: Version) -> tuple[Dossier, dict[str, str]] | None:
    """The archived dossier as it stood on its version's date, and its Markdown files."""
    try:
        text = archive.read(DOSSIER_FILE).decode("utf-8")
        data, _ = load_yaml(text, DOSSIER_FILE)
        model = Dossier.model_validate(data)
        texts = {
            name: archive.read(name).decode("utf-8")
            for name, _ in body_files(model)
            if name in archive.manifest.files
        }
    except (KeyError, OSError, UnicodeDecodeError, YamlError, ValidationError):
        return None  # released by a toolkit whose format this one no longer reads
    return as_of(model, version.date.earliest()), texts


def version_changes(slug: str, item: VersionView) -> Changes | None:
    """What changed from the released version before ``item`` to ``item``, each read from its
    own archive as of its own date; None when an archive cannot be read as a dossier."""
    if item.archive is None or item.previous_archive is None or item.previous is None:
        return None
    old = _archived_state(item.previous_archive, item.previous)
    new = _archived_state(item.archive, item.version)
    if old is None or new is None:
        return None
    return diff(
        old[0],
        new[0],
        item.previous.id,
        item.version.id,
        slug=slug,
        old_date=item.previous.date.earliest(),
        new_date=item.version.date.earliest(),
        old_texts=old[1],
        new_texts=new[1],
    )


def _changes_view(changes: Changes | None) -> list[tuple[str, list[ChangeView]]] | None:
    """The changes grouped by where they happened, worded as `dossier diff` words them."""
    if changes is None:
        return None
    groups: dict[str, list[ChangeView]] = {}
    for change in changes.changes:
        groups.setdefault(change.where, []).append(
            ChangeView(
                describe(change),
                pico_lines(change),
                show_words(change.words, "markdown") if change.words else "",
            )
        )
    return list(groups.items())

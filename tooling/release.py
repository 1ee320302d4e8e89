"""`dossier release SLUG VERSION`: freeze a published version of a dossier in its ``versies/``.

The version must be listed under `versions:` in dossier.yaml. Its archive holds the dossier's
sources as they are now (dossier.yaml, the Markdown files it names, references.bib, the
decision tables and cases) and the documents the version published, rendered as the dossier
stood at the end of the version's date (`pipeline.check(..., as_of=...)`): Markdown, PDF and
DOCX. A concept or consultation version's PDFs carry the CONCEPT watermark. `manifest.json`
holds the SHA-256 of every file, so `dossier check` notices any later change
(`tooling.versions`). An archive is written once and never replaced.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from tooling import publishing
from tooling.config import Config
from tooling.decision_model import CASES_FOLDER
from tooling.diagnostics import DossierError, Location
from tooling.documents import Document
from tooling.i18n import message
from tooling.load import BIB_FILE, DOSSIER_FILE, body_files, inside
from tooling.model import Dossier, Version
from tooling.pipeline import Checked, check, render
from tooling.versions import ARCHIVE_DOCUMENTS, ArchivedDocument, Manifest, sha256, write_archive

Progress = Callable[[str], None]
DRAFT_STATUSES = ("concept", "consultation")


def _silent(_text: str) -> None:
    pass


@dataclass(frozen=True)
class Released:
    """What `release` wrote."""

    folder: Path
    manifest: Manifest


def release(
    config: Config,
    slug: str,
    version_id: str,
    *,
    jobs: int = 2,
    progress: Progress = _silent,
) -> Released | Checked:
    """Write ``dossiers/<slug>/versies/<version_id>/``: sources, documents and manifest.

    Returns:
        What was written, or the failed check (of the dossier now, or as of the version's
        date) when it found errors; nothing is written then.

    Raises:
        DossierError: No such dossier or version, a document the version lists that the
            dossier did not have on its date, or the version is already released.
    """
    folder = config.dossiers_dir / slug
    shown = config.display(folder)
    if "/" in slug or slug.startswith(".") or not (folder / DOSSIER_FILE).is_file():
        raise DossierError(
            f"no dossier '{slug}'", Location(shown), hint="name a folder of the dossiers folder"
        )
    progress(f"checking {shown}")
    now = check(config, [folder])
    if not now.ok:
        return now
    (checked_now,) = now.dossiers
    model = checked_now.loaded.model
    assert model is not None
    version = _version(model, version_id, shown)
    day = version.date.earliest()  # a partial date counts from its first day (docs/history.md)
    progress(f"checking {shown} as of {day}")
    then = check(config, [folder], as_of=day)
    if not then.ok:
        return then
    rendered = render(then)
    documents = _documents(rendered.documents, version, day, shown, config.language)
    files = dict(_sources(folder, model, shown))
    with tempfile.TemporaryDirectory(prefix="dossier-release-") as temporary:
        root = Path(temporary)
        publishing.write_documents(documents, root, config, jobs=jobs, progress=progress)
        for doc in documents:
            for extension in ("md", "pdf", "docx"):
                data = (root / slug / f"{doc.id}.{extension}").read_bytes()
                files[f"{ARCHIVE_DOCUMENTS}/{doc.id}.{extension}"] = data
    manifest = Manifest(
        dossier=slug,
        version=version.id,
        date=str(version.date),
        status=version.status,
        documents=tuple(
            ArchivedDocument(
                doc.id,
                doc.kind,
                doc.title,
                str(doc.date) if doc.date is not None else "",
                doc.status,
            )
            for doc in documents
        ),
        files={name: sha256(data) for name, data in files.items()},
    )
    target = write_archive(folder, manifest, files, shown)
    progress(f"released {config.display(target)}")
    return Released(target, manifest)


def _version(model: Dossier, version_id: str, shown: str) -> Version:
    for version in model.versions:
        if version.id == version_id:
            return version
    listed = ", ".join(v.id for v in model.versions) or "none"
    raise DossierError(
        f"dossier.yaml lists no version '{version_id}'",
        Location(f"{shown}/{DOSSIER_FILE}"),
        hint=f"record it under `versions:` first (listed: {listed})",
    )


def _documents(
    documents: list[Document], version: Version, day: object, shown: str, language: str
) -> list[Document]:
    """The documents the version published, in the version's order; drafts watermarked."""
    by_id = {doc.id: doc for doc in documents}
    chosen: list[Document] = []
    for ident in version.documents:
        doc = by_id.get(ident)
        if doc is None:
            raise DossierError(
                f"version '{version.id}' lists document '{ident}', which the dossier did not "
                f"have on {day}",
                Location(f"{shown}/{DOSSIER_FILE}"),
                hint=f"documents as of {day}: {', '.join(by_id) or 'none'}",
            )
        if version.status in DRAFT_STATUSES:
            # A concept or consultation version is marked as such on every page of its PDF,
            # whatever the document's own status says now.
            watermark = message("doc.concept_watermark", language)
            doc = replace(doc, status="concept", metadata={**doc.metadata, "watermark": watermark})
        chosen.append(doc)
    return chosen


def _sources(folder: Path, model: Dossier, shown: str) -> dict[str, bytes]:
    """The dossier's source files as they are now, by their path in the dossier folder."""
    names = [DOSSIER_FILE, *(name for name, _ in body_files(model))]
    if (folder / BIB_FILE).exists():
        names.append(BIB_FILE)
    if model.decisions:
        names.append(model.decisions)
    cases = folder / CASES_FOLDER
    if cases.is_dir() and not cases.is_symlink():
        names.extend(
            f"{CASES_FOLDER}/{p.name}"
            for p in sorted(cases.iterdir())
            if p.name.endswith((".yaml", ".yml"))
        )
    sources: dict[str, bytes] = {}
    for name in dict.fromkeys(names):
        if name.startswith(f"{ARCHIVE_DOCUMENTS}/"):
            raise DossierError(
                f"cannot archive '{name}': '{ARCHIVE_DOCUMENTS}/' of an archive holds its "
                "rendered documents",
                Location(f"{shown}/{name}"),
                hint="move the file to another folder of the dossier",
            )
        path = inside(folder, name)
        if path is None or not path.is_file():
            raise DossierError(f"cannot archive '{name}'", Location(f"{shown}/{name}"))
        sources[name] = path.read_bytes()
    return sources

"""Released versions of a dossier: frozen archives in ``<dossier>/versies/<id>/`` and their manifests.

A released version is a folder committed with the dossier::

    dossiers/<slug>/versies/<id>/
        manifest.json           toolkit version, dossier, version id, date, status, documents,
                                and the SHA-256 of every other file in the folder
        dossier.yaml, *.md, references.bib, ...   the dossier's sources as they were released
        documenten/<doc>.md|.pdf|.docx             its documents, rendered as of its date

Nothing in an archive ever changes: `verify` (run by `dossier check`) reports a changed,
missing or extra file as an error naming the file, and `write_archive` refuses to replace an
archive that exists. `tooling.release` makes archives (`dossier release`); the site copies
their PDF and DOCX files byte for byte (`tooling.site.history`). See docs/history.md.

This module reads and writes only below ``<dossier>/versies/``; it never follows a link.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
import secrets
import shutil
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tooling import __version__
from tooling.diagnostics import DossierError, Finding, Location, Severity

VERSIONS_DIR = "versies"
"""The folder of a dossier that holds its released versions (also their site address)."""
MANIFEST_NAME = "manifest.json"
ARCHIVE_DOCUMENTS = "documenten"
"""The folder of an archive that holds its rendered documents."""
DOCUMENT_EXTENSIONS = ("md", "pdf", "docx")
FORMAT = 1
MAX_ARCHIVE_FILES = 500
_ID = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_SHA = re.compile(r"[0-9a-f]{64}\Z")


class Version(Protocol):
    """What this module needs of a listed version (`tooling.model.Version`)."""

    @property
    def id(self) -> str: ...
    @property
    def date(self) -> object: ...  # a PartialDate; its str() is how dossier.yaml gives it
    @property
    def status(self) -> str: ...


@dataclass(frozen=True)
class ArchivedDocument:
    """A document of a released version, as the manifest describes it."""

    id: str  # as `tooling.documents.document_ids` names it; files documenten/<id>.*
    kind: str  # position | addendum | letter | faq | leaflet
    title: str
    date: str  # as the document gives it ("" when it has none)
    status: str

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "date": self.date,
            "status": self.status,
        }


@dataclass(frozen=True)
class Manifest:
    """What `manifest.json` says about a released version."""

    dossier: str
    version: str
    date: str  # the version's date as dossier.yaml gives it (YYYY, YYYY-MM or YYYY-MM-DD)
    status: str
    documents: tuple[ArchivedDocument, ...]
    files: Mapping[str, str]  # posix path inside the archive -> SHA-256 (hex)
    toolkit: str = __version__

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "format": FORMAT,
            "toolkit": self.toolkit,
            "dossier": self.dossier,
            "version": self.version,
            "date": self.date,
            "status": self.status,
            "documents": [d.to_json() for d in self.documents],
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Archive:
    """A released version as found on disk, after its manifest was verified."""

    folder: Path
    manifest: Manifest
    problems: tuple[Finding, ...] = field(default=())

    def document_file(self, document: str, extension: str) -> Path | None:
        """The archived ``documenten/<document>.<extension>``, if the manifest lists it."""
        name = f"{ARCHIVE_DOCUMENTS}/{document}.{extension}"
        return self.folder / name if name in self.manifest.files else None

    def read(self, name: str) -> bytes:
        """One file of the archive, exactly as it is on disk."""
        if name not in self.manifest.files:
            raise KeyError(name)
        return (self.folder / name).read_bytes()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def versions_folder(dossier_dir: Path) -> Path:
    return dossier_dir / VERSIONS_DIR


def archive_folder(dossier_dir: Path, version_id: str) -> Path:
    return dossier_dir / VERSIONS_DIR / version_id


# -- reading and verifying ---------------------------------------------------------------------


def _files_below(folder: Path) -> tuple[list[str], list[str]]:
    """Regular files below ``folder`` (posix paths) and entries that are not (links, FIFOs...).

    Links are never followed: a link in an archive is an entry the archive may not hold.
    """
    files: list[str] = []
    odd: list[str] = []
    stack = [""]
    while stack:
        relative = stack.pop()
        try:
            entries = sorted(os.scandir(folder / relative), key=lambda e: e.name)
        except OSError:
            odd.append(relative or ".")
            continue
        for entry in entries:
            name = posixpath.join(relative, entry.name) if relative else entry.name
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                stack.append(name)
            elif stat.S_ISREG(info.st_mode):
                files.append(name)
            else:
                odd.append(name)
    return sorted(files), sorted(odd)


def _parse_manifest(text: str) -> Manifest | str:
    """The manifest, or what is wrong with it."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return f"is not valid JSON ({exc})"
    if not isinstance(data, dict):
        return "is not a JSON object"
    if data.get("format") != FORMAT:
        return f"has an unknown format {data.get('format')!r} (expected {FORMAT})"
    strings = ("toolkit", "dossier", "version", "date", "status")
    for key in strings:
        if not isinstance(data.get(key), str):
            return f"lacks the text field '{key}'"
    documents, files = data.get("documents"), data.get("files")
    keys = ("id", "kind", "title", "date", "status")
    if not isinstance(documents, list) or not all(
        isinstance(d, dict) and all(isinstance(d.get(k), str) for k in keys) for d in documents
    ):
        return "lacks the list 'documents' (id, kind, title, date, status of each)"
    if not isinstance(files, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and _SHA.match(v) for k, v in files.items()
    ):
        return "lacks the mapping 'files' (path -> SHA-256)"
    return Manifest(
        dossier=data["dossier"],
        version=data["version"],
        date=data["date"],
        status=data["status"],
        documents=tuple(ArchivedDocument(**{k: d[k] for k in keys}) for d in documents),
        files=dict(files),
        toolkit=data["toolkit"],
    )


def read_archive(folder: Path, shown: str) -> tuple[Archive | None, list[Finding]]:
    """Read one archive folder and hold every file to its manifest.

    Args:
        folder: ``<dossier>/versies/<id>``.
        shown: The folder as the user sees it (``dossiers/x/versies/<id>``), for locations.

    Returns:
        The archive (None when its manifest is unusable) and an error for every changed,
        missing or extra file.
    """

    def error(message: str, where: str, hint: str = "") -> Finding:
        return Finding("version-archive", Severity.ERROR, message, Location(where), hint)

    untouchable = (
        "a released version never changes: restore the file from git "
        "(`git checkout -- <file>`), or record a new version and release that"
    )
    manifest_path = folder / MANIFEST_NAME
    where = f"{shown}/{MANIFEST_NAME}"
    if manifest_path.is_symlink() or not manifest_path.is_file():
        return None, [
            error(
                f"released version '{folder.name}' has no {MANIFEST_NAME}",
                shown,
                "an archive is written by `dossier release`; restore it from git or remove "
                "the folder",
            )
        ]
    try:
        parsed = _parse_manifest(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        parsed = f"cannot be read ({exc})"
    if isinstance(parsed, str):
        return None, [error(f"{MANIFEST_NAME} {parsed}", where, untouchable)]
    problems: list[Finding] = []
    files, odd = _files_below(folder)
    for name in odd:
        problems.append(
            error(
                f"'{name}' in released version '{folder.name}' is not a regular file",
                f"{shown}/{name}",
                "an archive holds only plain files (no links): remove it",
            )
        )
    present = set(files) - {MANIFEST_NAME}
    if len(present) > MAX_ARCHIVE_FILES:
        problems.append(
            error(f"released version '{folder.name}' holds {len(present)} files", shown)
        )
        return None, problems
    for name, digest in sorted(parsed.files.items()):
        if name not in present:
            problems.append(
                error(
                    f"file '{name}' of released version '{folder.name}' is missing",
                    f"{shown}/{name}",
                    untouchable,
                )
            )
            continue
        try:
            actual = sha256((folder / name).read_bytes())
        except OSError as exc:
            problems.append(error(f"cannot read '{name}' ({exc.strerror})", f"{shown}/{name}"))
            continue
        if actual != digest:
            problems.append(
                error(
                    f"file '{name}' of released version '{folder.name}' was changed "
                    f"(SHA-256 {actual[:12]}…, the manifest says {digest[:12]}…)",
                    f"{shown}/{name}",
                    untouchable,
                )
            )
    for name in sorted(present - set(parsed.files)):
        problems.append(
            error(
                f"file '{name}' in released version '{folder.name}' is not in its manifest",
                f"{shown}/{name}",
                "nothing may be added to a released version: remove the file",
            )
        )
    return Archive(folder, parsed, tuple(problems)), problems


def verify(dossier_dir: Path, slug: str, versions: Sequence[Version], shown: str) -> list[Finding]:
    """Every problem of a dossier's ``versies/`` folder (the check's `version-*` rules).

    Args:
        dossier_dir: The dossier folder.
        slug: The dossier's name (its folder name).
        versions: The versions dossier.yaml lists.
        shown: The dossier folder as the user sees it, for locations.

    Every entry of ``versies/`` must be the archive of a listed version, intact (see
    `read_archive`) and released for what the list says (date, status); a definitive version
    without an archive is a warning: it was recorded but not yet released.
    """
    findings: list[Finding] = []
    folder = versions_folder(dossier_dir)
    listed = {v.id: v for v in versions}
    if os.path.lexists(folder) and (folder.is_symlink() or not folder.is_dir()):
        return [
            Finding(
                "version-archive",
                Severity.ERROR,
                f"'{VERSIONS_DIR}' in dossier '{slug}' is not a folder",
                Location(f"{shown}/{VERSIONS_DIR}"),
                hint=f"'{VERSIONS_DIR}/' holds the released versions (`dossier release`); "
                "rename or remove it",
            )
        ]
    archived: set[str] = set()
    if folder.is_dir():
        for entry in sorted(os.scandir(folder), key=lambda e: e.name):
            if entry.name.startswith("."):
                continue
            where = f"{shown}/{VERSIONS_DIR}/{entry.name}"
            version = listed.get(entry.name)
            if version is None or not entry.is_dir(follow_symlinks=False):
                findings.append(
                    Finding(
                        "version-archive",
                        Severity.ERROR,
                        f"'{entry.name}' in '{VERSIONS_DIR}/' is not a released version of "
                        "this dossier",
                        Location(where),
                        hint=f"'{VERSIONS_DIR}/' holds only folders written by `dossier "
                        "release`, one per version listed under `versions:`; move it elsewhere",
                    )
                )
                continue
            archived.add(entry.name)
            archive, problems = read_archive(Path(entry.path), where)
            findings.extend(problems)
            if archive is not None:
                findings.extend(_agrees(archive.manifest, version, slug, where))
    for version in versions:
        if version.id not in archived and version.status == "definitive":
            findings.append(
                Finding(
                    "version-not-released",
                    Severity.WARNING,
                    f"definitive version '{version.id}' ({version.date}) is not released yet "
                    "(nog niet vastgelegd): it has no archive and no permanent address",
                    Location(f"{shown}/{VERSIONS_DIR}/{version.id}"),
                    hint=f"run `dossier release {slug} {version.id}` and commit the folder",
                )
            )
    return findings


def _agrees(manifest: Manifest, version: Version, slug: str, where: str) -> list[Finding]:
    """The archive was released for the version dossier.yaml lists (same id, date, status)."""
    said = {
        "dossier": (manifest.dossier, slug),
        "version": (manifest.version, version.id),
        "date": (manifest.date, str(version.date)),
        "status": (manifest.status, version.status),
    }
    return [
        Finding(
            "version-archive",
            Severity.ERROR,
            f"released version '{version.id}' was released with {key} {archived!r}, "
            f"but dossier.yaml now says {listed!r}",
            Location(f"{where}/{MANIFEST_NAME}"),
            hint="a released version never changes: correct dossier.yaml, or record a new version",
        )
        for key, (archived, listed) in said.items()
        if archived != listed
    ]


def load_archives(dossier_dir: Path, versions: Sequence[Version]) -> dict[str, Archive]:
    """The intact archives of the listed versions, by version id (for the site).

    A damaged archive is left out here: the check reports it and the build stops first.
    """
    found: dict[str, Archive] = {}
    for version in versions:
        folder = archive_folder(dossier_dir, version.id)
        if folder.is_dir() and not folder.is_symlink():
            archive, problems = read_archive(folder, str(folder))
            if archive is not None and not problems:
                found[version.id] = archive
    return found


# -- writing -----------------------------------------------------------------------------------


def write_archive(
    dossier_dir: Path, manifest: Manifest, files: Mapping[str, bytes], shown: str
) -> Path:
    """Write a new archive folder with ``files`` and its manifest, all at once.

    The files go to a staging folder in ``versies/`` that is renamed to ``versies/<id>``
    only when all of them are written; an archive that exists is never replaced.

    Raises:
        DossierError: When the archive exists, a path would leave the archive, or the
            folder cannot be written.
    """
    if not _ID.match(manifest.version):
        raise DossierError(f"'{manifest.version}' is not a version id", Location(shown))
    parent = versions_folder(dossier_dir)
    target = parent / manifest.version
    where = Location(f"{shown}/{VERSIONS_DIR}/{manifest.version}")
    if os.path.lexists(target):
        raise DossierError(
            f"version '{manifest.version}' is already released",
            where,
            hint="a released version never changes; record a new version in dossier.yaml",
        )
    if os.path.lexists(parent) and (parent.is_symlink() or not parent.is_dir()):
        raise DossierError(f"'{VERSIONS_DIR}' is not a folder", where)
    for name in files:
        parts = name.split("/")
        if name == MANIFEST_NAME or any(p in ("", ".", "..") for p in parts) or "\\" in name:
            raise DossierError(f"refusing to archive a file named {name!r}", where)
    staging = parent / f".{manifest.version}.staging-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        parent.mkdir(exist_ok=True)
        staging.mkdir()
        try:
            for name, data in files.items():
                path = staging / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            (staging / MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
            os.rename(staging, target)  # fails when the target appeared meanwhile
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as exc:
        raise DossierError(
            f"cannot write the released version: {exc.strerror or exc}", where
        ) from None
    return target

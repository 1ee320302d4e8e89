"""Build outputs kept by a digest of their inputs, so a rebuild redoes only what changed.

A PDF, a DOCX and a site page are pure functions of their inputs: the document's Markdown
(which already holds every fact of the dossier, the retraction snapshot's verdicts and the
document templates' output), the files that turn it into the output (the Typst template,
the reference DOCX, mkdocs.yml and the theme overrides), the tools' versions and the
toolkit's own code. `key` digests such inputs; `BuildCache` keeps an output under its key
in the project's git-ignored cache folder (``.dossier-cache/build/``). An input that changes
changes the key, so nothing stale is ever served: it is simply not found.

The cache holds at most ``[cache] size_mb`` (dossier.toml; default 1,024 MB): after a build
the entries used longest ago are removed until it fits (a hit marks an entry used).
`dossier clean` removes the whole cache folder; ``--no-cache`` builds without it. A cache
that cannot be written (a full disk, a read-only checkout) is no cache: every output is
made again and the build still succeeds. A cache folder that is a link, or lies outside the
project, is refused (the toolkit writes only inside the project).

Entries are bytes, written atomically (a temporary file renamed into place) and read
without following links. Page entries are JSON (`tooling.engines.mkdocs_parallel`): never
pickle, so an entry can hold nothing but data.

A leaf module (the standard library only): the MkDocs side uses it without the models.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

TOTAL = "total"
"""The file in the cache folder that notes how many bytes the entries held at the last trim."""
BUILD = "build"
"""The folder below the project's cache folder that holds the build outputs."""


def key(*parts: str | bytes) -> str:
    """The digest of ``parts`` (each length-prefixed, so no two lists share a digest)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


@functools.cache
def toolkit_fingerprint() -> str:
    """The toolkit's version and a digest of its code: a new toolkit makes everything anew.

    Every module counts, since each may change what a document or page says (about 2 ms).
    """
    package = Path(__file__).parent
    sources = sorted(package.rglob("*.py"))
    digest = key(
        *(part for path in sources for part in (str(path.relative_to(package)), path.read_bytes()))
    )
    from tooling import __version__

    return f"{__version__}:{digest}"


@functools.cache
def versions(*distributions: str) -> str:
    """The installed versions of ``distributions``, as one text ("?" for one not installed)."""
    found = []
    for name in distributions:
        try:
            found.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name}=?")
    return ";".join(found)


def folder_digest(folder: Path) -> str:
    """A digest of every file below ``folder`` (names and contents); empty when absent."""
    if not folder.is_dir():
        return ""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return key(
        *(part for p in files for part in (p.relative_to(folder).as_posix(), p.read_bytes()))
    )


@dataclass
class BuildCache:
    """Outputs by key below ``folder``, at most ``limit_bytes`` of them after `trim`."""

    folder: Path
    limit_bytes: int
    _writable: bool = field(default=True, repr=False)
    _written: int = field(default=0, repr=False)  # bytes put since the last trim

    def _path(self, kind: str, digest: str) -> str:
        # (os.path, not pathlib: a rebuild looks up thousands of entries)
        return os.path.join(self.folder, kind, digest[:2], digest)

    def get(self, kind: str, digest: str) -> bytes | None:
        """The output kept under ``digest``, or None; a hit marks the entry as used now."""
        with self._entry(kind, digest) as file, contextlib.suppress(OSError):
            return file.read() if file is not None else None
        return None

    def copy_to(self, kind: str, digest: str, target: str) -> bool:
        """Copy the output kept under ``digest`` to the file ``target`` (its folder must
        exist), as it is, in chunks; False when there is none."""
        with self._entry(kind, digest) as file, contextlib.suppress(OSError):
            if file is None:
                return False
            with open(target, "wb") as copy:
                shutil.copyfileobj(file, copy)
            return True
        return False

    @contextlib.contextmanager
    def _entry(self, kind: str, digest: str) -> Iterator[BinaryIO | None]:
        """The entry opened for reading without following a link (None when there is none
        or it cannot be read), marked as used now."""
        path = self._path(kind, digest)
        try:
            file = os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")
        except OSError:
            yield None
            return
        with file:
            yield file
        with contextlib.suppress(OSError):
            os.utime(path)

    def put(self, kind: str, digest: str, data: bytes) -> None:
        """Keep ``data`` under ``digest``; a cache that cannot be written is left alone."""
        if not self._writable:
            return
        path = self._path(kind, digest)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
            try:
                with os.fdopen(handle, "wb") as file:
                    file.write(data)
                os.replace(temporary, path)
                self._written += len(data)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        except OSError:
            self._writable = False  # full or read-only: build on without keeping outputs

    def size(self) -> int:
        """Bytes held, in every entry."""
        return sum(size for _, size, _ in self._entries())

    def trim(self) -> int:
        """Remove the entries used longest ago until the cache fits its limit; bytes removed.

        Counting every entry takes a while (a stat of each, some 20,000 at 300 dossiers), so
        the total is noted in the folder (`TOTAL`) and the count is skipped while the noted
        total plus what was written since stays within a quarter of the limit. Writes only
        add to the estimate (a rewritten entry counts twice), so it errs on the side of
        counting.
        """
        noted = self._noted()
        if noted is not None and noted + self._written <= self.limit_bytes * 3 // 4:
            self._note(noted + self._written)
            return 0
        entries = sorted(self._entries(), key=lambda entry: entry[2])  # oldest use first
        total = sum(size for _, size, _ in entries)
        removed = 0
        for path, size, _ in entries:
            if total - removed <= self.limit_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                removed += size
        self._note(total - removed)
        return removed

    def count_written(self) -> None:
        """Add what this cache object wrote to the noted total (for writers that do not
        trim: the site build's pages, in MkDocs' process), so that `trim` knows of it."""
        noted = self._noted()
        if noted is not None and self._written:
            self._note(noted + self._written)

    def _noted(self) -> int | None:
        try:
            return int((self.folder / TOTAL).read_text(encoding="ascii"))
        except (OSError, ValueError):
            return None

    def _note(self, total: int) -> None:
        self._written = 0
        with contextlib.suppress(OSError):
            (self.folder / TOTAL).write_text(str(total), encoding="ascii")

    def _entries(self) -> Iterable[tuple[Path, int, float]]:
        if not self.folder.is_dir():
            return
        for kind in os.scandir(self.folder):
            if not kind.is_dir(follow_symlinks=False):
                continue
            for bucket in os.scandir(kind.path):
                if not bucket.is_dir(follow_symlinks=False):
                    continue
                for entry in os.scandir(bucket.path):
                    if entry.is_file(follow_symlinks=False):
                        stat = entry.stat(follow_symlinks=False)
                        yield Path(entry.path), stat.st_size, stat.st_mtime


def remove_cache(folder: Path) -> int:
    """Remove the cache folder (a link: only the link); the bytes it held."""
    if folder.is_symlink():
        folder.unlink()
        return 0
    if not folder.is_dir():
        return 0
    held = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
    shutil.rmtree(folder)
    return held

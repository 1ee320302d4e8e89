"""Render pandoc Markdown letters and documents to PDF (via Typst) and DOCX.

The PDF pipeline is: Markdown with a YAML metadata block -> the pandoc binary
(shipped by pypandoc-binary) with a Typst template from ``templates/pdf/`` ->
Typst source -> ``typst`` compiled in-process -> PDF bytes. Only the fonts
embedded in the typst package are used, and the creation date is taken from the
``date`` metadata, so the same input gives byte-identical output on any machine.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import logging
import os
import re
import subprocess
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import yaml

__all__ = ["PdfError", "check_tools", "render_docx", "render_many", "render_pdf"]

_log = logging.getLogger(__name__)

_INSTALL_HINT = "install it with: pip install pypandoc-binary typst"
# Used when the metadata has no ISO date: any fixed instant keeps output stable;
# 1980-01-01 is the earliest time a ZIP (DOCX) entry can carry.
_FALLBACK_EPOCH = 315532800
_PANDOC_TIMEOUT_S = 60
# Citations are resolved upstream; without this a stray "@name" becomes a Typst
# cite of a missing label and fails the whole document.
_FROM = "markdown-citations"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_DIAG_LINE = re.compile(r":(\d+):(\d+)")


class PdfError(Exception):
    """A rendering failure, carrying a one-line message that names the template."""

    def __init__(self, message: str) -> None:
        # Collapse tool output to one line so it fits a CLI diagnostic.
        super().__init__(" ".join(message.split()))


@lru_cache(maxsize=1)
def _pandoc_path() -> str:
    """Locate the pandoc binary shipped by pypandoc-binary.

    Importing pypandoc costs ~0.1 s, so look for its bundled binary first.
    """
    spec = importlib.util.find_spec("pypandoc")
    if spec is not None and spec.origin is not None:
        name = "pandoc.exe" if sys.platform == "win32" else "pandoc"
        candidate = Path(spec.origin).parent / "files" / name
        if candidate.is_file():
            return str(candidate)
    try:
        import pypandoc

        return str(pypandoc.get_pandoc_path())
    except (ImportError, OSError) as exc:
        raise PdfError(f"pandoc not found ({exc}); {_INSTALL_HINT}") from None


def check_tools() -> None:
    """Check that pandoc and typst are usable.

    Raises:
        PdfError: With an install hint when either tool is missing.
    """
    pandoc = _pandoc_path()
    if not os.access(pandoc, os.X_OK):
        raise PdfError(f"pandoc at {pandoc} is not executable; {_INSTALL_HINT}")
    if importlib.util.find_spec("typst") is None:
        raise PdfError(f"the typst Python package is missing; {_INSTALL_HINT}")


def _front_matter(markdown: str) -> dict[str, Any]:
    """Return the YAML metadata block as a dict; empty when absent or unparsable."""
    match = _FRONT_MATTER.match(markdown)
    if match is None:
        return {}
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}  # pandoc will report the broken YAML itself
    return meta if isinstance(meta, dict) else {}


def _epoch(meta: dict[str, Any]) -> int:
    """Return the UNIX time of the metadata ``date`` (UTC midnight), or a fixed fallback."""
    value = meta.get("date")
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value[:10])
        except ValueError:
            return _FALLBACK_EPOCH
    if isinstance(value, dt.date):
        midnight = dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
        return max(int(midnight.timestamp()), _FALLBACK_EPOCH)
    return _FALLBACK_EPOCH


def _pandoc(markdown: str, args: list[str], *, names: Path, epoch: int) -> bytes:
    """Run pandoc on ``markdown`` and return its stdout.

    Calling the binary directly is faster than pypandoc, which adds a temp file
    and version probes per call.
    """
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
    cmd = [_pandoc_path(), "--from", _FROM, *args]
    try:
        proc = subprocess.run(
            cmd,
            input=markdown.encode("utf-8"),
            capture_output=True,
            env=env,
            timeout=_PANDOC_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PdfError(f"{names}: pandoc could not run: {exc}") from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise PdfError(f"{names}: pandoc failed: {detail}")
    if proc.stderr.strip():  # e.g. "[WARNING] Could not fetch resource"
        _log.warning("%s: pandoc: %s", names, proc.stderr.decode("utf-8", "replace").strip())
    return proc.stdout


# One compiler per process: it caches the embedded fonts between documents.
_compiler: Any = None
_compiler_lock = threading.Lock()


def _typst_compile(source: bytes, *, root: Path, epoch: int, template: Path) -> bytes:
    """Compile Typst ``source`` to PDF bytes, mapping errors to :class:`PdfError`."""
    global _compiler
    try:
        import typst
    except ImportError:
        raise PdfError(f"the typst Python package is missing; {_INSTALL_HINT}") from None
    with _compiler_lock:
        if _compiler is None:
            # ignore_system_fonts: identical output on every machine.
            _compiler = typst.Compiler(root=str(root), ignore_system_fonts=True)
        try:
            pdf, warnings = _compiler.compile_with_warnings(
                input=source, format="pdf", root=str(root), timestamp=epoch, sys_inputs=None
            )
        except typst.TypstError as exc:
            raise PdfError(
                f"{template}: typst error: {exc.message}{_locate(exc.diagnostic, source)}"
            ) from None
        except Exception as exc:  # the binding can raise RuntimeError/OSError too
            raise PdfError(f"{template}: typst failed: {exc}") from None
    for warning in warnings:
        _log.warning("%s: typst warning: %s", template, warning.message)
    if not isinstance(pdf, bytes):
        raise PdfError(f"{template}: typst returned no PDF")
    return pdf


def _locate(diagnostic: str, source: bytes) -> str:
    """Quote the generated Typst line an error points at, so it can be found in the template."""
    match = _DIAG_LINE.search(diagnostic or "")
    if match is None:
        return ""
    number = int(match.group(1))
    lines = source.decode("utf-8", "replace").splitlines()
    text = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    return f" (generated Typst line {number}: {text[:80]!r})"


def render_pdf(markdown: str, *, template: Path, resource_dir: Path | None = None) -> bytes:
    """Render a pandoc Markdown document to PDF bytes with a Typst template.

    Args:
        markdown: Pandoc Markdown with a YAML metadata block (see the template for keys).
        template: A pandoc template producing Typst, e.g. ``templates/pdf/letter.typst``.
        resource_dir: Directory that relative image paths resolve against; it becomes
            the Typst root. Defaults to the template's directory.

    Returns:
        The PDF file contents; identical input gives identical bytes.

    Raises:
        PdfError: When a tool is missing, the template is missing or broken, or
            pandoc or Typst fails; the message names the template.
    """
    template = Path(template)
    if not template.is_file():
        raise PdfError(f"{template}: template not found")
    root = Path(resource_dir) if resource_dir is not None else template.parent
    epoch = _epoch(_front_matter(markdown))
    args = ["--to", "typst", "--template", str(template), "--resource-path", str(root)]
    source = _pandoc(markdown, args, names=template, epoch=epoch)
    return _typst_compile(source, root=root.resolve(), epoch=epoch, template=template)


def render_docx(markdown: str, *, reference_doc: Path, resource_dir: Path | None = None) -> bytes:
    """Render a pandoc Markdown document to DOCX bytes styled by a reference document.

    ``SOURCE_DATE_EPOCH`` is set from the ``date`` metadata, which pandoc uses for
    the ZIP entry times and the document properties, so output is reproducible.
    Only title, date (``date_text`` when given) and body reach the DOCX; the
    letterhead and address blocks are PDF-only.

    Args:
        markdown: Pandoc Markdown with a YAML metadata block.
        reference_doc: DOCX whose styles pandoc copies, e.g. ``templates/pdf/reference.docx``.
        resource_dir: Directory that relative image paths resolve against.

    Returns:
        The DOCX file contents.

    Raises:
        PdfError: When pandoc is missing or fails, or the reference document is missing.
    """
    reference_doc = Path(reference_doc)
    if not reference_doc.is_file():
        raise PdfError(f"{reference_doc}: reference document not found")
    meta = _front_matter(markdown)
    args = ["--to", "docx", "--reference-doc", str(reference_doc), "--output", "-"]
    if isinstance(meta.get("date_text"), str):
        # Word shows the date line as written; readers want "7 mei 2025", not ISO.
        args += ["--metadata", f"date={meta['date_text']}"]
    if resource_dir is not None:
        args += ["--resource-path", str(resource_dir)]
    return _pandoc(markdown, args, names=reference_doc, epoch=_epoch(meta))


def _render_job(job: tuple[str, Path, Path | None]) -> bytes:
    """Render one ``render_many`` job; module-level so worker processes can unpickle it."""
    markdown, template, resource_dir = job
    return render_pdf(markdown, template=template, resource_dir=resource_dir)


def render_many(
    jobs: list[tuple[str, Path]], workers: int = 2, *, resource_dir: Path | None = None
) -> list[bytes]:
    """Render many ``(markdown, template)`` pairs to PDF on several cores.

    Workers are started with ``spawn``: forking a process that already ran Typst
    could copy its thread-pool state without its threads. Callers that run this
    from a script therefore need the usual ``if __name__ == "__main__":`` guard.

    Args:
        jobs: Markdown text and template path for each PDF.
        workers: Number of worker processes; 1 renders in this process.
        resource_dir: Passed to :func:`render_pdf` for every job.

    Returns:
        The PDFs, in the order of ``jobs``.

    Raises:
        PdfError: The first failure, in job order.
    """
    full = [(markdown, Path(template), resource_dir) for markdown, template in jobs]
    if workers <= 1 or len(full) <= 1:
        return [_render_job(job) for job in full]
    check_tools()  # fail fast in the parent with a clear message
    workers = min(workers, len(full))
    # Several jobs per message keep inter-process overhead small.
    chunksize = max(1, len(full) // (workers * 4))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
            return list(pool.map(_render_job, full, chunksize=chunksize))
    except BrokenProcessPool as exc:
        raise PdfError(f"a PDF worker process died: {exc}") from None

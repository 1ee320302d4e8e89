"""Render pandoc Markdown letters and documents to PDF (via Typst) and DOCX.

The PDF pipeline is: Markdown with a YAML metadata block -> the pandoc binary
(shipped by pypandoc-binary) with a Typst template from ``templates/pdf/`` ->
Typst source -> ``typst`` compiled in-process -> PDF bytes. Only the fonts
embedded in the typst package are used, and the creation date is taken from the
``date`` metadata, so the same input gives byte-identical output on any machine.

The Markdown comes from dossier authors, so neither tool may do more than typeset it:
pandoc reads it with raw blocks (```` ```{=openxml} ````, ``{=typst}``), raw HTML and raw
TeX disabled, and reads no file or URL that the text names (``--sandbox`` for Typst; for
DOCX, whose dates ``--sandbox`` would reset to 1970, images become their alt text);
Typst reads files only below its root folder. Both have time limits: pandoc as a subprocess,
Typst by compiling in worker processes (:func:`render_many`) that are killed when a
document takes too long.

:func:`render_pdf` runs one pandoc per document. :func:`render_many`'s workers each keep one
pandoc process (:class:`_Converter`, a Lua filter that serves requests) for all their documents, because starting
pandoc costs more than converting a letter; it gives the same Typst source, byte for byte
(``tests/test_pdf_batch.py``; see ``docs/pdf-pipeline.md``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import importlib.util
import io
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from collections import deque
from collections.abc import Iterator, Sequence
from functools import lru_cache
from multiprocessing import get_context
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import IO, Any

import yaml

from tooling.diagnostics import DossierError, Location, relpath
from tooling.processes import die_with_parent

__all__ = [
    "DOCUMENT_TIMEOUT_S",
    "PANDOC_TIMEOUT_S",
    "PdfError",
    "check_tools",
    "render_docx",
    "render_many",
    "render_pdf",
]

_log = logging.getLogger(__name__)

PANDOC_TIMEOUT_S = 30
"""Seconds pandoc may take for one document; a letter takes ~0.05 s (~0.01 s in a worker)."""
PANDOC_HEAP_MB = 1024
"""pandoc's heap limit (its ``+RTS -M``); the Markdown of a long dossier needs a few MB."""
WORKER_MEMORY_MB = 4096
"""Address space of a PDF worker (typst with its embedded fonts maps about 300 MB)."""
DOCUMENT_TIMEOUT_S = 30.0
"""Seconds :func:`render_many` allows one document (pandoc and Typst); a letter takes ~0.1 s."""

_INSTALL_HINT = "install it with: pip install pypandoc-binary typst"
# Used when the metadata has no ISO date: any fixed instant keeps output stable;
# 1980-01-01 is the earliest time a ZIP (DOCX) entry can carry. PDF and DOCX then
# say they were made on 1980-01-01 (see docs/security.md).
_FALLBACK_EPOCH = 315532800
# Citations are resolved upstream; without "-citations" a stray "@name" becomes a Typst
# cite of a missing label and fails the whole document. Raw blocks and raw HTML/TeX are
# off so that dossier text cannot inject Typst code (#read, #image) or OOXML (field
# codes such as INCLUDETEXT) into the outputs; such text is typeset literally.
_FROM = "markdown-citations-raw_attribute-raw_html-raw_tex"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_DIAG_LINE = re.compile(r":(\d+):(\d+)")


class PdfError(DossierError):
    """A rendering failure: one line, located at the template or the document.

    A :class:`~tooling.diagnostics.DossierError`, so the command line reports it like any
    unusable input (exit code 2, no traceback).
    """

    def __init__(self, message: str, location: Location | None = None, hint: str = "") -> None:
        # Collapse tool output to one line so it fits a CLI diagnostic.
        super().__init__(" ".join(message.split()), location, hint)

    def __reduce__(self) -> tuple[type[PdfError], tuple[str, Location | None, str]]:
        # Exceptions pickle their args only; keep location and hint across worker processes.
        return (PdfError, (self.message, self.location, self.hint))


def _at(path: Path) -> Location:
    """The location of a file, relative to the working directory when below it."""
    return Location(relpath(path))


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
        raise PdfError(f"pandoc not found ({exc})", hint=_INSTALL_HINT) from None


def check_tools() -> None:
    """Check that pandoc and typst are usable.

    Raises:
        PdfError: With an install hint when either tool is missing.
    """
    pandoc = _pandoc_path()
    if not os.access(pandoc, os.X_OK):
        raise PdfError(f"pandoc at {pandoc} is not executable", hint=_INSTALL_HINT)
    if importlib.util.find_spec("typst") is None:
        raise PdfError("the typst Python package is missing", hint=_INSTALL_HINT)


# libyaml's safe loader where PyYAML has it: the same values, ten times faster than the
# Python one (which took 2.4 ms of a letter's PDF).
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _front_matter(markdown: str) -> dict[str, Any]:
    """Return the YAML metadata block as a dict; empty when absent or unparsable."""
    match = _FRONT_MATTER.match(markdown)
    if match is None:
        return {}
    try:
        meta = yaml.load(match.group(1), Loader=_YAML_LOADER)
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


def _pandoc(
    markdown: str,
    args: list[str],
    *,
    names: Path,
    epoch: int,
    sandbox: bool,
    lua_filter: bytes | None = None,
) -> bytes:
    """Run pandoc on ``markdown`` and return its stdout.

    Calling the binary directly is faster than pypandoc, which adds a temp file
    and version probes per call. ``sandbox`` adds ``--sandbox``: pandoc reads no file
    but its arguments, but it also ignores ``SOURCE_DATE_EPOCH`` then. ``lua_filter`` is
    the source of a Lua filter. pandoc is killed after :data:`PANDOC_TIMEOUT_S` seconds.
    """
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch))
    cmd = [
        _pandoc_path(),
        # pandoc's manual advises a heap limit for untrusted input: a pathological document
        # fails with "Heap exhausted" instead of taking the machine's memory.
        *("+RTS", f"-M{PANDOC_HEAP_MB}m", "-RTS"),
        *(["--sandbox"] if sandbox else []),
        "--from",
        _FROM,
        *args,
    ]
    try:
        with _filter_file(lua_filter) as (path, keep_fds):
            if path:
                cmd += ["--lua-filter", path]
            proc = subprocess.run(
                cmd,
                input=markdown.encode("utf-8"),
                capture_output=True,
                env=env,
                timeout=PANDOC_TIMEOUT_S,
                check=False,
                pass_fds=keep_fds,
            )
    except subprocess.TimeoutExpired:
        raise PdfError(
            f"pandoc took longer than {PANDOC_TIMEOUT_S} s; stopped", _at(names)
        ) from None
    except OSError as exc:
        raise PdfError(f"pandoc could not run: {exc}", _at(names), hint=_INSTALL_HINT) from None
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise PdfError(f"pandoc failed: {detail}", _at(names))
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
        raise PdfError("the typst Python package is missing", hint=_INSTALL_HINT) from None
    with _compiler_lock:
        try:
            if _compiler is None:
                # ignore_system_fonts: identical output on every machine.
                _compiler = typst.Compiler(root=str(root), ignore_system_fonts=True)
            # root: Typst reads files (#read, #image) only below it.
            pdf, warnings = _compiler.compile_with_warnings(
                input=source, format="pdf", root=str(root), timestamp=epoch, sys_inputs=None
            )
        except typst.TypstError as exc:
            message = f"typst error: {exc.message}{_locate(exc.diagnostic, source)}"
            raise PdfError(message, _at(template)) from None
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            # The binding raises RuntimeError/OSError too, and a Rust panic arrives as
            # pyo3's PanicException, which derives from BaseException.
            raise PdfError(f"typst failed: {type(exc).__name__}: {exc}", _at(template)) from None
    for warning in warnings:
        _log.warning("%s: typst warning: %s", template, warning.message)
    if not isinstance(pdf, bytes):
        raise PdfError("typst returned no PDF", _at(template))
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
            pandoc or Typst fails; located at the template.

    Typst runs in this process and cannot be interrupted: for text that may make it run
    for ever, use :func:`render_many`, which enforces a time limit.
    """
    return _render(markdown, Path(template), resource_dir, None)


def _render(
    markdown: str, template: Path, resource_dir: Path | None, converter: _Converter | None
) -> bytes:
    """:func:`render_pdf`, with pandoc run by ``converter`` when given, else on its own."""
    if not template.is_file():
        raise PdfError("template not found", _at(template))
    root = Path(resource_dir) if resource_dir is not None else template.parent
    epoch = _epoch(_front_matter(markdown))
    if converter is None:
        args = ["--to", "typst", "--template", str(template), "--resource-path", str(root)]
        source = _pandoc(markdown, args, names=template, epoch=epoch, sandbox=True)
    else:
        source = converter.to_typst(markdown, template)
    return _typst_compile(source, root=root.resolve(), epoch=epoch, template=template)


def render_docx(markdown: str, *, reference_doc: Path, resource_dir: Path | None = None) -> bytes:
    """Render a pandoc Markdown document to DOCX bytes styled by a reference document.

    ``SOURCE_DATE_EPOCH`` is set from the ``date`` metadata, which pandoc uses for
    the ZIP entry times and the document properties, so output is reproducible.
    Only title, date (``date_text`` when given) and body reach the DOCX; the
    letterhead and address blocks are PDF-only. Images are replaced by their alt text:
    pandoc would embed any file or URL an image names (``![](/etc/passwd)``), and
    ``--sandbox``, which prevents that, would also reset the document dates to 1970.

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
        raise PdfError("reference document not found", _at(reference_doc))
    meta = _front_matter(markdown)
    args = ["--to", "docx", "--reference-doc", str(reference_doc), "--output", "-"]
    if isinstance(meta.get("date_text"), str):
        # Word shows the date line as written; readers want "7 mei 2025", not ISO.
        args += ["--metadata", f"date={meta['date_text']}"]
    if resource_dir is not None:
        args += ["--resource-path", str(resource_dir)]
    data = _pandoc(
        markdown,
        args,
        names=reference_doc,
        epoch=_epoch(meta),
        sandbox=False,
        lua_filter=_IMAGES_TO_TEXT,
    )
    if _iso_day(meta) is None:
        data = _without_property_dates(data)
    return data


def _iso_day(meta: dict[str, Any]) -> dt.date | None:
    """The document's date when the metadata gives it to the day, else None."""
    value = meta.get("date")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


_PROPERTY_DATE = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")


def _without_property_dates(docx: bytes) -> bytes:
    """The DOCX without created/modified dates: pandoc writes them always, but a document
    whose source gives no date must not carry an invented one. Entries keep their order and
    their fixed times, so the output stays byte-identical across runs."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "docProps/core.xml":
                data = _PROPERTY_DATE.sub(b"", data)
            target.writestr(info, data)
    return out.getvalue()


_IMAGES_TO_TEXT = (
    b"-- From tooling/pdf.py: pandoc must not read the files and URLs that images name.\n"
    b"function Image(image) return image.caption end\n"
)


@contextlib.contextmanager
def _filter_file(source: bytes | None) -> Iterator[tuple[str, tuple[int, ...]]]:
    """A path pandoc can read ``source`` from, and the descriptors it must inherit.

    pandoc takes filters from files only. Where ``/dev/fd`` exists the filter goes through
    a pipe, so no file is left behind even when the command is killed; elsewhere through
    a private temporary file (``mkstemp``: unpredictable name, owner only).
    """
    if source is None:
        yield "", ()
    elif os.name == "posix" and os.path.isdir("/dev/fd"):
        read_end, write_end = os.pipe()
        try:
            try:
                os.write(write_end, source)  # a few hundred bytes: the pipe buffer holds them
            finally:
                os.close(write_end)  # pandoc reads to the end of the pipe
            yield f"/dev/fd/{read_end}", (read_end,)
        finally:
            os.close(read_end)
    else:
        handle, path = tempfile.mkstemp(prefix="dossier-pandoc-", suffix=".lua")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(source)
            yield path, ()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)


# The program of a :class:`_Converter`'s pandoc: a Lua filter of the command
# ``pandoc --sandbox --from _FROM --to typst --standalone`` (whose own input and output are
# nothing), so that it reads with the command's reader options. It converts documents one
# request at a time, with the reader, writer, template and variables of the command
# ``pandoc --sandbox --from _FROM --to typst --template T`` (input stdin, output stdout).
# Request: "<a> <b>\n", then the template's path (a bytes) and the Markdown (b bytes).
# Reply: "ok <n>\n" and the Typst source (n bytes), or "error <n>\n" and the message.
# Warnings go to stderr as the command prints them. The Markdown cannot reach Lua's own
# libraries (io, os): pandoc.read only parses it into a document that pandoc.write prints.
_CONVERTER_LUA = r"""
local FROM = "@FROM@"
-- The command line's own reader options (this runs as a filter of it): its columns (72),
-- tab stop, standalone (--standalone), and the abbreviations after which a space does
-- not break ("et al. Jansen"), which pandoc.read would not apply from a table of options.
local READER = PANDOC_READER_OPTIONS
-- The variables the command line sets besides the metadata (pandoc's OutputSettings).
local VARIABLES = {
  outputfile = "-",
  sourcefile = "-",
  curdir = pandoc.system.get_working_directory(),
  ["pandoc-version"] = tostring(PANDOC_VERSION),
}
local templates = {}

local function template(path)
  if templates[path] == nil then
    local file = assert(io.open(path, "rb"))
    local text = file:read("a")
    file:close()
    local ok, compiled = pcall(pandoc.template.compile, text, path)
    if not ok then
      error("Error compiling template " .. tostring(compiled), 0)
    end
    templates[path] = compiled
  end
  return templates[path]
end

local function convert(path, markdown)
  -- read_env {}: the reader runs in a sandbox without files, as under --sandbox.
  local doc = pandoc.read(markdown, FROM, READER, {})
  return pandoc.write(doc, "typst", {template = template(path), variables = VARIABLES})
end

local function read(size)  -- read(0) would wait for a byte: the next request's
  if size == 0 then return "" end
  return io.stdin:read(size) or ""
end

-- The command's own input is empty; its document is the occasion to serve the requests.
function Pandoc(doc)
  io.stdout:setvbuf("full")
  while true do
    local header = io.stdin:read("l")
    if header == nil then break end
    local a, b = header:match("^(%d+) (%d+)$")
    local path, markdown = read(tonumber(a)), read(tonumber(b))
    local ok, result = pcall(convert, path, markdown)
    if not ok then result = tostring(result) end
    io.stdout:write(ok and "ok " or "error ", #result, "\n", result)
    io.stdout:flush()
  end
  return doc
end
""".replace("@FROM@", _FROM)


def _as_pandoc_reads(markdown: str) -> str:
    """``markdown`` prepared as the pandoc command prepares its input before parsing it.

    ``pandoc.read`` would parse the text as it is; the command first drops a byte order
    mark at the start, then every carriage return, expands tabs to its --tab-stop (4) and
    ends every line with a newline. ``pandoc.read`` does drop a byte order mark at the
    start, so the result starts with one for it to drop (tests/test_pdf_batch.py).
    """
    text = markdown.removeprefix("\ufeff").replace("\r", "")
    if "\t" in text:
        text = text.expandtabs(4)  # without "\r", columns restart only at "\n", as in pandoc
    if text and not text.endswith("\n"):
        text += "\n"
    return "\ufeff" + text


class _Converter:
    """A pandoc process that converts Markdown to Typst, one document after another.

    Starting pandoc costs more than converting a letter with it, so a PDF worker keeps one
    for all its documents. Each gets the Typst source that ``render_pdf``'s own pandoc run
    gives (``tests/test_pdf_batch.py``), under the same limits: the heap limit, and
    :data:`PANDOC_TIMEOUT_S` per document, after which the process is killed (the next
    document starts another). A document that fails or kills pandoc fails alone.
    """

    def __init__(self, *, die_with_this_process: bool = False) -> None:
        # Linux: pandoc gets SIGKILL when this process dies (a worker killed on its time
        # limit). Set up between fork and exec, which is safe only while this process has
        # no other threads: for the first pandoc of a worker, started before Typst runs.
        self._die_with_this_process = die_with_this_process
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._stderr_mark = 0  # the size of pandoc's stderr when the document was sent
        self._expired = False

    def __enter__(self) -> _Converter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def start(self) -> subprocess.Popen[bytes]:
        """Start pandoc unless it runs; done ahead of the first document to overlap it."""
        if self._process is None:
            # A file, not a pipe: its warnings could fill a pipe nobody reads while it works.
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
            preexec = None
            if self._die_with_this_process and sys.platform.startswith("linux"):
                preexec = functools.partial(die_with_parent, os.getpid())
                self._die_with_this_process = False
            # The converter is a filter of the pandoc command with render_pdf's reader and
            # sandbox (its own input and output: nothing); it serves requests on stdin.
            try:
                with _filter_file(_CONVERTER_LUA.encode("utf-8")) as (script, keep_fds):
                    cmd = [
                        _pandoc_path(),
                        *("+RTS", f"-M{PANDOC_HEAP_MB}m", "-RTS"),
                        "--sandbox",
                        *("--from", _FROM, "--to", "typst", "--standalone"),
                        *("--lua-filter", script, "--output", os.devnull, os.devnull),
                    ]
                    self._process = subprocess.Popen(
                        cmd,
                        stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE,
                        stderr=self._stderr,
                        preexec_fn=preexec,  # see __init__
                        pass_fds=keep_fds,
                    )
            except OSError as exc:
                self._stderr.close()
                raise PdfError(f"pandoc could not run: {exc}", hint=_INSTALL_HINT) from None
        return self._process

    def to_typst(self, markdown: str, template: Path) -> bytes:
        """The Typst source of ``markdown`` with the pandoc template ``template``."""
        text = _as_pandoc_reads(markdown).encode("utf-8")
        try:
            process = self.start()
        except PdfError as exc:
            raise PdfError(exc.message, _at(template), exc.hint) from None
        assert process.stdin is not None and process.stdout is not None
        path = os.fsencode(template)
        assert self._stderr is not None
        self._stderr_mark = os.fstat(self._stderr.fileno()).st_size
        self._expired = False
        timer = threading.Timer(PANDOC_TIMEOUT_S, self._expire, (process,))
        timer.start()
        try:
            process.stdin.write(b"%d %d\n%s%s" % (len(path), len(text), path, text))
            process.stdin.flush()
            status, size = process.stdout.readline().split()
            body = process.stdout.read(int(size))
            if len(body) != int(size):
                raise EOFError
        except (OSError, ValueError, EOFError):
            raise self._died(process, template) from None
        finally:
            timer.cancel()
        said = self._said().strip()
        if status != b"ok":
            raise PdfError(f"pandoc failed: {body.decode('utf-8', 'replace')}", _at(template))
        if said:  # e.g. "[WARNING] Duplicate note reference"
            _log.warning("%s: pandoc: %s", template, said)
        return body

    def _said(self) -> str:
        """What pandoc wrote to stderr during this document."""
        assert self._stderr is not None
        self._stderr.seek(self._stderr_mark)
        said = self._stderr.read()
        self._stderr.seek(0, os.SEEK_END)  # shared with pandoc: it writes at the end
        return said.decode("utf-8", "replace")

    def _expire(self, process: subprocess.Popen[bytes]) -> None:
        self._expired = True
        process.kill()

    def _died(self, process: subprocess.Popen[bytes], template: Path) -> PdfError:
        """The error for a document during which pandoc ended; the next one starts another."""
        process.kill()
        process.wait()
        if self._expired:
            error = PdfError(
                f"pandoc took longer than {PANDOC_TIMEOUT_S} s; stopped", _at(template)
            )
        else:
            detail = self._said().strip() or f"exit {process.returncode}"
            error = PdfError(f"pandoc failed: {detail}", _at(template))  # as render_pdf says it
        self.close()
        return error

    def close(self) -> None:
        """End pandoc (at the end of its input it exits) and forget it."""
        process, self._process = self._process, None
        if process is not None:
            assert process.stdin is not None and process.stdout is not None
            with contextlib.suppress(OSError):  # pandoc died: the pipe is broken
                process.stdin.close()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None


_Job = tuple[str, Path, Path | None]


def _render_job(job: _Job, converter: _Converter | None) -> bytes:
    """Render one ``render_many`` job with the pandoc of ``converter``, else a pandoc of its own."""
    markdown, template, resource_dir = job
    return _render(markdown, Path(template), resource_dir, converter)


def render_many(
    jobs: Sequence[tuple[str, Path]],
    workers: int = 2,
    *,
    resource_dir: Path | None = None,
    timeout: float | None = DOCUMENT_TIMEOUT_S,
    names: Sequence[str] | None = None,
) -> list[bytes]:
    """Render many ``(markdown, template)`` pairs to PDF on several cores.

    With a time limit (the default) the documents are always rendered in worker
    processes, even one document on one worker: Typst compiles in-process and cannot be
    interrupted, but a worker can be killed. Workers are started with ``spawn`` (forking
    a process that already ran Typst could copy its thread-pool state without its
    threads), so a script calling this needs the usual ``if __name__ == "__main__":``
    guard. They die with this process (:func:`tooling.processes.die_with_parent`), and
    the pandoc each keeps for its documents (:class:`_Converter`) dies with its worker.

    Args:
        jobs: Markdown text and template path for each PDF.
        workers: Number of worker processes.
        resource_dir: Passed to :func:`render_pdf` for every job.
        timeout: Seconds one document may take, counted from when it is handed to a
            worker (the first document of each worker includes starting it, ~0.3 s).
            ``None``: no limit, and with ``workers <= 1`` everything runs in this process.
        names: How to call each document in errors, e.g. its source path; it then
            becomes the error's location. Default: the template, with the document's
            number and title in the message.

    Returns:
        The PDFs, in the order of ``jobs``.

    Raises:
        PdfError: The first failure in job order; or, at once, a document that took
            longer than ``timeout`` or whose worker died (all workers are then killed).
        ValueError: When ``names`` and ``jobs`` differ in length.
    """
    full = [(markdown, Path(template), resource_dir) for markdown, template in jobs]
    if names is not None and len(names) != len(full):
        raise ValueError(f"{len(names)} names for {len(full)} jobs")
    if not full:
        return []
    if timeout is None and (workers <= 1 or len(full) <= 1):
        results = []
        with contextlib.ExitStack() as stack:
            converter = stack.enter_context(_Converter()) if len(full) > 1 else None
            for index, job in enumerate(full):
                try:
                    results.append(_render_job(job, converter))
                except PdfError as exc:
                    raise _in_document(exc, full, index, names) from None
        return results
    check_tools()  # fail fast in the parent with a clear message
    return _render_in_workers(full, min(max(workers, 1), len(full)), timeout, names)


def _render_in_workers(
    jobs: list[_Job], count: int, timeout: float | None, names: Sequence[str] | None
) -> list[bytes]:
    """Hand the jobs one at a time to ``count`` worker processes, watching the clock."""
    context = get_context("spawn")
    workers: list[tuple[BaseProcess, Connection]] = []
    results: list[bytes] = [b""] * len(jobs)
    errors: dict[int, PdfError] = {}
    waiting = deque(range(len(jobs)))
    busy: dict[Connection, tuple[int, float]] = {}  # job index and when it was handed over
    finished = False

    def hand_out(connection: Connection) -> None:
        # After a failure no new work: the result is an error anyway.
        if waiting and not errors:
            index = waiting.popleft()
            connection.send(jobs[index])
            busy[connection] = (index, time.monotonic())

    try:
        for _ in range(count):
            here, there = context.Pipe()
            process = context.Process(
                target=_worker_main,
                # One document per worker: its own pandoc run is a little faster (~7 ms)
                # than starting pandoc's Lua interpreter for it.
                args=(there, os.getpid(), len(jobs) > count),
                name="dossier-pdf",
                daemon=True,
            )
            process.start()
            there.close()
            workers.append((process, here))
            hand_out(here)
        while busy:
            if timeout is None:
                ready = wait(list(busy))
            else:
                oldest, started = min(busy.values(), key=lambda item: item[1])
                ready = wait(list(busy), timeout=max(0.0, started + timeout - time.monotonic()))
                if not ready and time.monotonic() >= started + timeout:
                    raise _in_document(
                        PdfError(f"took longer than {timeout:g} s to render; stopped"),
                        jobs,
                        oldest,
                        names,
                        hint="a template or the text makes Typst or pandoc run too long",
                    )
            for connection in ready:
                assert isinstance(connection, Connection)
                index, _ = busy.pop(connection)
                try:
                    ok, value = connection.recv()
                except (EOFError, OSError):
                    dead = next(p for p, c in workers if c is connection)
                    dead.join(1)
                    raise _in_document(
                        PdfError(
                            f"the PDF worker process died while rendering it "
                            f"(exit code {dead.exitcode})"
                        ),
                        jobs,
                        index,
                        names,
                    ) from None
                if ok:
                    results[index] = value
                else:
                    errors[index] = _in_document(value, jobs, index, names)
                hand_out(connection)
        if errors:
            raise errors[min(errors)]
        finished = True
        return results
    except OSError as exc:  # no process could be started, or a pipe broke
        raise PdfError(f"the PDF worker processes failed: {exc}") from None
    finally:
        _stop(workers, graceful=finished)


def _stop(workers: list[tuple[BaseProcess, Connection]], *, graceful: bool) -> None:
    """End the workers: asked politely after success, killed otherwise (stuck in Typst)."""
    for process, connection in workers:
        if graceful:
            with contextlib.suppress(OSError):  # a worker that died meanwhile
                connection.send(None)
        else:
            process.kill()
        connection.close()
    for process, _ in workers:
        process.join(1 if graceful else 5)
        if process.is_alive():
            process.kill()
            process.join(5)


def _limit_memory(megabytes: int) -> None:
    """Cap this process's address space: typst running away fails this worker, not the machine."""
    try:
        import resource

        limit = megabytes * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):  # not on this platform: the time limit remains
        pass


def _worker_main(connection: Connection, parent_pid: int, batch: bool = True) -> None:
    """A PDF worker: render the jobs it receives until told to stop (``None``).

    ``batch``: convert them all with one pandoc (:class:`_Converter`), else one pandoc each.
    """
    die_with_parent(parent_pid)
    _limit_memory(WORKER_MEMORY_MB)
    # Ctrl-C reaches the whole process group: the parent stops the workers itself, and a
    # KeyboardInterrupt here would print a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.ExitStack() as stack:
        converter = None
        if batch:
            converter = stack.enter_context(_Converter(die_with_this_process=True))
            with contextlib.suppress(PdfError):  # said again, with the document, by to_typst
                converter.start()  # pandoc starts while this process waits for its first job
        while True:
            try:
                job = connection.recv()
            except (EOFError, OSError):
                return
            if job is None:
                return
            reply: tuple[bool, bytes | PdfError]
            try:
                reply = (True, _render_job(job, converter))
            except PdfError as exc:
                reply = (False, exc)
            except Exception as exc:  # anything else must still reach the parent as one line
                message = f"rendering failed: {type(exc).__name__}: {exc}"
                reply = (False, PdfError(message, _at(job[1])))
            connection.send(reply)


def _in_document(
    error: PdfError,
    jobs: Sequence[_Job],
    index: int,
    names: Sequence[str] | None,
    hint: str = "",
) -> PdfError:
    """Say which document ``error`` belongs to: its name as location, else number and title."""
    markdown, template, _ = jobs[index]
    hint = hint or error.hint
    if names is not None:
        located = "" if error.location is None else f" (template {error.location})"
        return PdfError(f"{error.message}{located}", Location(names[index]), hint)
    title = _front_matter(markdown).get("title")
    label = f"document {index + 1} of {len(jobs)}"
    if isinstance(title, str) and title:
        label += f" ({title!r})"
    return PdfError(f"{label}: {error.message}", error.location or _at(template), hint)

"""`dossier serve`: the live preview, where a saved dossier is on screen within a second.

    dossier serve                 # http://127.0.0.1:8000/, rebuilt on every save

One process keeps everything it made in memory and on disk (``.dossier-cache/preview/``),
and after a save does only what the save changed:

1. the check (`pipeline.Rechecker`): the dossiers whose files changed, nothing else;
2. the pages (`pipeline.render` with a `RenderMemo`): the changed dossiers' documents and
   pages, and the pages that list every dossier (home, check);
3. the site (`engines.mkdocs.LiveSite`): MkDocs stays loaded; pages whose Markdown and
   menu are unchanged are neither converted, rendered nor written again (`page_cache`);
4. the browser: each page carries a small script (``/.dossier/livereload.js``, a file of
   the site's own origin, which the pages' Content-Security-Policy allows) that waits for
   the next build and reloads the page;
5. PDF and DOCX of the changed documents are made afterwards, in the background (with the
   build cache), and the pages are built again once new ones exist, so that no page links
   a file that is not there.

A dossier with errors shows its findings on its own page while the others are served as
usual (`render(..., only_ok=True)`); input that no dossier can be shown without (a broken
dossier.toml, a damaged retraction snapshot) replaces the home page by one failure page.
A build that fails (a MkDocs warning) keeps the last good site and says why in the terminal.

The preview listens on 127.0.0.1 unless told otherwise, serves only the files of its own
site folder, and answers GET and HEAD only.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tooling.build_cache import key
from tooling.config import CONFIG_NAME, Config, load_config
from tooling.diagnostics import DossierError
from tooling.documents import Document
from tooling.engines.mkdocs import MKDOCS_FILE, LiveSite
from tooling.i18n import message
from tooling.mkdocs_plugin import failure_page
from tooling.output import write_file
from tooling.pipeline import Checked, Rechecker, RenderMemo, render
from tooling.publishing import ASSETS, make_documents, open_cache
from tooling.site.paths import DOCUMENTS, HOME

PREVIEW = "preview"
"""The preview's folder below the project's cache folder: ``docs/`` and ``site/``."""
SCRIPT = "/.dossier/livereload.js"
VERSION = "/.dossier/version"
_WAIT_S = 25.0  # a browser's request for the next version is answered after at most this
_QUIET_S = 0.05  # a save is built once no further change came for this long
_SHOWN = 20  # findings printed in the terminal per build
_TRIM_EVERY = 20  # builds between two trims of the build cache

_LIVERELOAD = b"""// dossier serve: reload the page when the preview has built a newer site.
(function () {
  var seen = null;
  function wait() {
    fetch("/.dossier/version?seen=" + (seen === null ? "" : seen), { cache: "no-store" })
      .then(function (response) { return response.text(); })
      .then(function (version) {
        if (seen !== null && version !== seen) { location.reload(); return; }
        seen = version;
        wait();
      })
      .catch(function () { setTimeout(wait, 1000); });
  }
  wait();
})();
"""
_TAG = f'<script src="{SCRIPT}"></script>'.encode()

Say = Callable[[str], None]


class Versions:
    """The site's version: each build that changed it counts one up; browsers wait for it."""

    def __init__(self) -> None:
        self.number = 0
        self._changed = threading.Condition()

    def bump(self) -> None:
        with self._changed:
            self.number += 1
            self._changed.notify_all()

    def after(self, seen: int, timeout: float) -> int:
        """The version once it is not ``seen`` any more, or after ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(lambda: self.number != seen, timeout)
            return self.number


class Preview:
    """The preview's state between builds: what was checked, rendered, written and made."""

    def __init__(self, config: Config, *, cache: bool, jobs: int, say: Say) -> None:
        self.config = config
        self.jobs = jobs
        self.say = say
        folder = config.cache_dir / PREVIEW
        self.docs, self.site = folder / "docs", folder / "site"
        self.docs.mkdir(parents=True, exist_ok=True)
        self.site.mkdir(parents=True, exist_ok=True)
        self.store = open_cache(config, enabled=cache)
        self.rechecker = Rechecker(config)
        self.memo = RenderMemo()
        self.live = LiveSite(
            config.root / MKDOCS_FILE,
            self.docs,
            self.site,
            self.store.folder if self.store is not None else None,
        )
        self.versions = Versions()
        self.lock = threading.Lock()  # one writer of the docs and site folders at a time
        self.written: dict[str, str | bytes] = {}  # docs folder path -> what was written
        self.made: dict[str, tuple[Document, str]] = {}  # its files are of this document
        self._documents: _DocumentsLater | None = None
        self.wanted = threading.Event()  # set when the pages should be built again
        self.builds = 0

    def build(self, reason: str) -> bool:
        """Check, render and build what changed; False when the site could not be built."""
        started = time.perf_counter()
        with self.lock:
            try:
                pages, nav, chrome, documents, checked = self._pages()
                self._write(pages)
                said = self.live.build(nav, chrome)
            except DossierError as exc:
                self.say(f"{reason}: the site could not be built; the last good one stays:\n{exc}")
                return False
        self.versions.bump()
        self.builds += 1
        if self.store is not None and self.builds % _TRIM_EVERY == 0:
            self.store.trim()  # a long session must not outgrow [cache] size_mb
        elapsed = time.perf_counter() - started
        errors = f"; {len(checked.errors)} error(s) shown on their pages" if checked else ""
        self.say(f"{reason}: site ready in {elapsed:.2f} s ({said or 'no cache'}){errors}")
        if checked is not None:
            for finding in checked.errors[:_SHOWN]:
                self.say(f"  {finding.format()}")
        self._make_documents(documents)
        return True

    def _pages(
        self,
    ) -> tuple[dict[str, str | bytes], list[Any], Any, Sequence[Document], Checked | None]:
        """The pages and files of the docs folder, the menu, the chrome and the documents."""
        from tooling.pipeline import site_chrome_of

        assets: dict[str, str | bytes] = {}
        source = self.config.templates_dir / ASSETS
        if source.is_dir():
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    assets[path.relative_to(source).as_posix()] = path.read_bytes()
        try:
            checked = self.rechecker.check()
        except DossierError as exc:  # no dossier can be shown: say why on the home page
            chrome = site_chrome_of(self.config)
            home = {HOME: failure_page([str(exc)])}
            return (
                {**assets, **home},
                [{message("site.nav.home", self.config.language): HOME}],
                chrome,
                (),
                None,
            )
        rendered = render(checked, downloads=self._present, only_ok=True, memo=self.memo)
        pages = {**assets, **rendered.files, **rendered.pages}
        return pages, rendered.nav, rendered.site, rendered.documents, checked

    def _present(self, path: str) -> bool:
        return (self.docs / path).is_file()

    def _write(self, pages: dict[str, str | bytes]) -> None:
        """Write what changed into the docs folder and remove what is gone (the PDF and DOCX
        files are the background's: `documents_made`)."""
        for path, content in pages.items():
            if self.written.get(path) != content:
                write_file(self.docs, path, content)
        for path in set(self.written) - set(pages):
            with contextlib.suppress(FileNotFoundError):
                (self.docs / path).unlink()
        self.written = dict(pages)

    def _make_documents(self, documents: Sequence[Document]) -> None:
        """Make the changed documents' PDF and DOCX in the background (one batch at a time).

        A document of a dossier that was not rendered again is the very object of the last
        build (`RenderMemo`); only new ones are compared by their sources.
        """
        todo: list[Document] = []
        digests: dict[str, str] = {}
        for doc in documents:
            name = f"{doc.dossier}/{doc.id}"
            last = self.made.get(name)
            if last is not None and last[0] is doc:
                continue
            digest = key(
                doc.pdf_template, doc.pandoc_source(for_pdf=True), doc.pandoc_source(for_pdf=False)
            )
            if last is not None and last[1] == digest:
                self.made[name] = (doc, digest)
                continue
            todo.append(doc)
            digests[name] = digest
        if not todo:
            return
        if self._documents is not None and self._documents.is_alive():
            self._documents.more(todo, digests)
            return
        self._documents = _DocumentsLater(self, todo, digests)
        self._documents.start()

    def documents_made(
        self, files: dict[str, bytes], digests: dict[str, str], made: Sequence[Document]
    ) -> None:
        """Put documents made in the background into the docs and site folders."""
        new = False
        with self.lock:
            for path, data in files.items():
                target = self.docs / DOCUMENTS / path
                new = new or not target.is_file()
                write_file(self.docs / DOCUMENTS, path, data)
                if (self.site / DOCUMENTS / path).parent.is_dir():
                    write_file(self.site / DOCUMENTS, path, data)
            self.made.update(
                {f"{d.dossier}/{d.id}": (d, digests[f"{d.dossier}/{d.id}"]) for d in made}
            )
        if new:
            self.wanted.set()  # the pages link the new files once they are built again
        else:
            self.versions.bump()

    def wait(self) -> None:
        """Wait for the documents being made in the background (tests, and stopping)."""
        if self._documents is not None:
            self._documents.join()


class _DocumentsLater(threading.Thread):
    """Makes PDF and DOCX files after a build, and more of them as later builds ask."""

    def __init__(self, preview: Preview, todo: list[Document], digests: dict[str, str]) -> None:
        super().__init__(name="dossier-documents", daemon=True)
        self.preview = preview
        self._todo = {f"{d.dossier}/{d.id}": d for d in todo}
        self._digests = dict(digests)
        self._lock = threading.Lock()

    def more(self, todo: list[Document], digests: dict[str, str]) -> None:
        with self._lock:
            self._todo.update({f"{d.dossier}/{d.id}": d for d in todo})
            self._digests.update(digests)

    def run(self) -> None:
        while True:
            with self._lock:
                todo, self._todo = list(self._todo.values()), {}
                digests = dict(self._digests)
            if not todo:
                return
            started = time.perf_counter()
            try:
                files = make_documents(
                    todo,
                    self.preview.config,
                    jobs=self.preview.jobs,
                    progress=lambda _text: None,
                    cache=self.preview.store,
                )
            except DossierError as exc:
                self.preview.say(f"the PDF and DOCX files could not be made: {exc}")
                continue
            self.preview.documents_made(files, digests, todo)
            self.preview.say(
                f"{len(todo)} document(s) made as PDF and DOCX in "
                f"{time.perf_counter() - started:.1f} s"
            )


class _Handler(http.server.SimpleHTTPRequestHandler):
    """The site folder's files, HTML pages with the reload script, and the site's version."""

    preview: Preview  # set on the subclass made per server

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if url.path == SCRIPT:
            self._send(200, "text/javascript; charset=utf-8", _LIVERELOAD)
        elif url.path == VERSION:
            seen = urllib.parse.parse_qs(url.query).get("seen", [""])[0]
            versions = self.preview.versions
            number = versions.number if not seen.isdigit() else versions.after(int(seen), _WAIT_S)
            self._send(200, "text/plain; charset=utf-8", str(number).encode())
        elif url.path.endswith((".html", "/")):
            path = Path(self.translate_path(url.path))
            if path.is_dir():
                path = path / "index.html"
            try:
                page = path.read_bytes()
            except OSError:
                self.send_error(404)
                return
            at = page.rfind(b"</body>")
            page = page[:at] + _TAG + page[at:] if at >= 0 else page + _TAG
            self._send(200, "text/html; charset=utf-8", page)
        else:
            super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a preview is never stale
        super().end_headers()

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(ConnectionError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows builds, not requests


def _server(preview: Preview, host: str, port: int) -> http.server.ThreadingHTTPServer:
    handler = type("Handler", (_Handler,), {"preview": preview})

    def make(*args: Any, **kwargs: Any) -> _Handler:
        return handler(*args, directory=str(preview.site), **kwargs)  # type: ignore[no-any-return]

    try:
        server = http.server.ThreadingHTTPServer((host, port), make)
    except OSError as exc:
        raise DossierError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="another program may use the port: choose one with --port (0: any free one)",
        ) from None
    server.daemon_threads = True
    return server


class _Watch:
    """Sets ``changed`` when a file the site is made of changes (watchdog: no polling)."""

    def __init__(self, config: Config, changed: Callable[[str], None]) -> None:
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        self.config = config
        roots = {config.root / CONFIG_NAME, config.root / MKDOCS_FILE}
        for path in (config.retraction_db, config.retraction_ledger, config.retraction_lookup):
            if path is not None:
                roots.add(path)
        files = {str(p) for p in roots}
        cache = str(config.cache_dir) + os.sep

        folders = tuple(str(f) + os.sep for f in (config.dossiers_dir, config.templates_dir))

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                if event.is_directory or event.event_type in ("opened", "closed_no_write"):
                    return
                for raw in (event.src_path, getattr(event, "dest_path", "")):
                    path = os.fsdecode(raw)
                    if path in files or (path.startswith(folders) and not path.startswith(cache)):
                        changed(path)
                        return

        self.observer = Observer()
        for folder in (config.dossiers_dir, config.templates_dir):
            if folder.is_dir():
                self.observer.schedule(Handler(), str(folder), recursive=True)
        for folder in {p.parent for p in roots if p.parent.is_dir()}:
            self.observer.schedule(Handler(), str(folder), recursive=False)
        self.observer.daemon = True

    def __enter__(self) -> _Watch:
        self.observer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.observer.stop()
        self.observer.join(timeout=5)


def serve(
    config: Config,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    cache: bool = True,
    jobs: int = 2,
    say: Say | None = None,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> int:
    """Serve the live preview until Ctrl-C, SIGTERM or ``stop``; the exit code (0).

    ``ready`` is called with the preview's address once the first build is done.
    """
    tell = say or _stderr
    stop = stop or threading.Event()
    preview = Preview(config, cache=cache, jobs=jobs, say=tell)
    changes: list[str] = []
    taking = threading.Lock()
    arrived = threading.Event()

    def changed(path: str) -> None:
        with taking:
            changes.append(path)
        arrived.set()

    server = _server(preview, host, port)
    address = f"http://{host}:{server.server_address[1]}/"
    preview.build("first build")  # before any thread starts: MkDocs may use both cores
    with _stopping(stop), _Watch(config, changed):
        threading.Thread(target=server.serve_forever, name="dossier-http", daemon=True).start()
        tell(f"serving {address} (Ctrl-C stops)")
        if ready is not None:
            ready(address)
        try:
            while not stop.is_set():
                if not (arrived.wait(0.2) or preview.wanted.is_set()):
                    continue
                arrived.clear()
                while arrived.wait(_QUIET_S) and not stop.is_set():  # let a save finish
                    arrived.clear()
                with taking:
                    seen, changes[:] = list(changes), []
                preview.wanted.clear()
                if any(Path(p).name == CONFIG_NAME for p in seen):
                    try:
                        config = load_config(config.root)
                    except DossierError as exc:
                        tell(
                            f"{CONFIG_NAME} changed and cannot be read; still serving the last site:\n{exc}"
                        )
                        continue
                    preview.wait()
                    preview = _replace_preview(preview, server, config, cache, jobs, tell)
                reason = _reason(seen, config) if seen else "new PDF and DOCX files"
                preview.build(reason)
        finally:
            server.shutdown()
            server.server_close()
    tell("stopped")
    return 0


def _replace_preview(
    old: Preview, server: Any, config: Config, cache: bool, jobs: int, say: Say
) -> Preview:
    """A preview for a changed dossier.toml, serving from the same folder and version."""
    new = Preview(config, cache=cache, jobs=jobs, say=say)
    new.versions = old.versions
    server.RequestHandlerClass.preview = new
    return new


def _reason(paths: Sequence[str], config: Config) -> str:
    shown = sorted({config.display(Path(p)) for p in paths})
    more = f" and {len(shown) - 1} more" if len(shown) > 1 else ""
    return f"{shown[0]}{more} changed"


@contextlib.contextmanager
def _stopping(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C and SIGTERM end the preview (in the main thread; elsewhere only ``stop``)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(_signal: int, _frame: object) -> None:
        stop.set()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


def _stderr(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)

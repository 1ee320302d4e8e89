"""MkDocs' build on two cores: each process converts and renders half of the pages.

`mkdocs build` converts every page's Markdown and then renders every page's template, one
page at a time on one core, while the machine has two. `build` does what
``mkdocs.commands.build.build`` does (the same steps, plugin events and strict-mode count,
for a build that is not ``serve`` and not ``--dirty``), except that after the navigation is
made it forks a partner process, and the two take every other page:

1. each converts the Markdown of its pages (``_populate_page``: the ``pre_page``,
   ``page_markdown`` and ``page_content`` events included);
2. the partner sends what conversion gave its pages (content, table of contents, title,
   metadata, anchors and links to anchors), and gets this process's back, so that both know
   every page as a serial build would (the menu prints other pages' titles);
3. each renders the templates of its pages (``_build_page``: ``page_context`` and
   ``post_page`` included) and writes them; the partner sends back the search index entries
   its pages added (merged in page order, so the index is the one a serial build writes)
   and every warning it logged (logged again here, so strict mode counts it);
4. this process alone copies the static files, renders the theme's own templates (404,
   sitemap), validates the links to anchors and runs ``post_build``.

The output is the same files, byte for byte, as a serial build's (tests/test_site.py builds
both). A partner that fails or dies fails the build with its message; the partner dies with
this process. Pages are dealt by position, which balances well: a dossier's pages of every
kind alternate.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tooling.engines.page_cache import PageCache, add_theme_files

_MINIMUM_PAGES = 16
"""Below this, forking costs more than it saves: the serial build runs."""


def usable() -> bool:
    """Whether the two-process build can run here (Linux, two cores, no threads)."""
    import threading

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return False
    return sys.platform == "linux" and cores >= 2 and threading.active_count() == 1


class _Capture(logging.Handler):
    """Keeps what the partner logs at warning level and above, to be logged again here."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[tuple[str, int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.levelno, record.getMessage()))


class Session:
    """What the live preview (`tooling.serve`) keeps between its builds in one process.

    The configuration is set up by the plugins once (``on_config``); every page's
    conversion and rendering stay in memory by key (`PageCache`), and the site folder is
    not emptied: a page whose rendering is the one written there last time is not written
    again, and files the new build does not make are removed after it.
    """

    def __init__(self) -> None:
        self.configured = False
        self.memory: dict[str, Any] = {}  # page cache key -> its state
        self.written: dict[str, str] = {}  # page file in the site -> the key of its content


def build(
    config: Any, *, cache: Path | None = None, fork: bool = True, session: Session | None = None
) -> str:
    """``mkdocs build`` of ``config`` (strict as configured), on two processes with ``fork``.

    With ``cache`` (a `tooling.build_cache` folder), a page whose inputs are unchanged is
    taken from it (`PageCache`) instead of converted and rendered. With ``session`` (the
    live preview), ``config`` is the one of the session's earlier builds. Returns what the
    cache did, for the progress line ("" without one).

    Raises what ``mkdocs.commands.build.build`` raises (``Abort`` for warnings in strict
    mode and build errors).
    """
    from mkdocs import utils
    from mkdocs.commands import build as mkdocs_build
    from mkdocs.exceptions import Abort, BuildError
    from mkdocs.structure.files import InclusionLevel, get_files, set_exclusions
    from mkdocs.structure.nav import get_navigation
    from mkdocs.structure.pages import Page

    logger = logging.getLogger("mkdocs")
    warning_counter = utils.CountHandler()
    warning_counter.setLevel(logging.WARNING)
    if config.strict:
        logger.addHandler(warning_counter)
    inclusion = InclusionLevel.is_included
    try:
        if session is None or not session.configured:
            config = config.plugins.on_config(config)
        config.plugins.on_pre_build(config=config)
        if session is None:
            utils.clean_directory(config.site_dir)
        files = get_files(config)
        env = config.theme.get_env()
        add_theme_files(files, env, config, cache)
        files = config.plugins.on_files(files, config=config)
        set_exclusions(files, config)
        nav = get_navigation(files, config)
        nav = config.plugins.on_nav(nav, config=config, files=files)
        doc_files = files.documentation_pages(inclusion=inclusion)
        for file in doc_files:
            if file.page is None and file.inclusion.is_not_in_nav():
                Page(None, file, config)
        pages = [file.page for file in doc_files]
        kept = PageCache.open(cache, config, files, session)
        with _Partner() as partner:
            convert = [i for i, page in enumerate(pages) if not kept.restore(page)]
            if len(convert) >= _MINIMUM_PAGES and fork:
                partner.fork()
            mine = convert[partner.share :: partner.step]
            for i in mine:
                mkdocs_build._populate_page(pages[i], config, files)
            partner.exchange_pages(pages, mine, files)
            env = config.plugins.on_env(env, config=config, files=files)
            search = _search_plugin(config)
            added: dict[int, list[Any]] = {}
            render = kept.to_render(pages, nav, added)
            if len(render) >= _MINIMUM_PAGES and fork:
                partner.fork()  # (when it did not for the conversion)
            for i in render[partner.share :: partner.step]:
                before = len(search.search_index.entries) if search is not None else 0
                mkdocs_build._build_page(pages[i], config, doc_files, nav, env)
                added[i] = search.search_index.entries[before:] if search is not None else []
            added.update(partner.finish({i: added[i] for i in render if i in added}))
            if search is not None:
                search.search_index.entries = [e for i in sorted(added) for e in added[i]]
        files.copy_static_files(dirty=session is not None, inclusion=inclusion)
        for template in config.theme.static_templates:
            mkdocs_build._build_theme_template(template, env, files, config, nav)
        for template in config.extra_templates:
            mkdocs_build._build_extra_template(template, files, config, nav)
        level = config.validation.links.anchors
        for page in pages:
            page.validate_anchor_links(files=files, log_level=level)
        config.plugins.on_post_build(config=config)
        if counts := warning_counter.get_counts():
            message = ", ".join(f"{v} {k.lower()}s" for k, v in counts)
            raise Abort(f"Aborted with {message} in strict mode!")
        said = kept.keep(pages, convert, render, added)  # only a build without warnings
        kept.forget_unused()
        if session is not None:
            session.configured = True
            _remove_stale(config.site_dir, files, config)
        return said
    except Exception as exc:
        config.plugins.on_build_error(error=exc)
        if isinstance(exc, BuildError):
            logger.error(str(exc))
            raise Abort("Aborted with a BuildError!") from None
        raise
    finally:
        logger.removeHandler(warning_counter)


def _remove_stale(site: str, files: Any, config: Any) -> None:
    """Remove what an earlier build of the session wrote and this one did not make."""
    made = {os.path.normpath(file.abs_dest_path) for file in files}
    made.update(
        os.path.normpath(os.path.join(site, name))
        for name in (*config.theme.static_templates, *config.extra_templates)
    )
    made.add(os.path.normpath(os.path.join(site, "sitemap.xml.gz")))
    for folder, _, names in os.walk(site):
        for name in names:
            path = os.path.normpath(os.path.join(folder, name))
            if path not in made and not path.startswith(os.path.join(site, "search") + os.sep):
                os.unlink(path)


def _search_plugin(config: Any) -> Any:
    """The search plugin (Material's registers as ``material/search``), or None."""
    for plugin in config.plugins.values():
        if hasattr(plugin, "search_index"):
            return plugin
    return None


_CONVERTED = ("markdown", "meta", "content", "toc", "_title_from_render", "present_anchor_ids")


def _converted(page: Any) -> tuple[Any, ...]:
    """What converting a page's Markdown set on it, in a form that crosses processes."""
    links = {
        target.src_uri: dict(anchors) for target, anchors in (page.links_to_anchors or {}).items()
    }
    return (*(getattr(page, name) for name in _CONVERTED), links)


def _restore(page: Any, state: tuple[Any, ...], files: Any) -> None:
    for name, value in zip(_CONVERTED, state, strict=False):
        setattr(page, name, value)
    links = state[len(_CONVERTED)]
    page.links_to_anchors = {
        files.get_file_from_path(uri): anchors for uri, anchors in links.items()
    }


class _Partner:
    """The forked partner process, seen from either side: ``share`` 0 here, 1 there.

    Until `fork` (or without it) there is no partner: this process takes every page
    (``step`` 1). The partner is forked when there is enough work for two: before the
    conversion, or else before the rendering (it then knows every converted page already).
    """

    def __init__(self) -> None:
        self.forked = False
        self.share = 0
        self.step = 1

    def __enter__(self) -> _Partner:
        return self

    def fork(self) -> None:
        """Start the partner (once); from here on each side takes every other page."""
        import multiprocessing

        if self.forked:
            return
        self.forked = True
        self.step = 2
        self._here, self._there = multiprocessing.Pipe()
        self._pid = os.fork()
        if self._pid == 0:  # the partner
            from tooling.processes import die_with_parent

            die_with_parent(os.getppid())
            self._there.close()
            self._conn = self._here
            self.share = 1
            self._capture = _Capture()
            logging.getLogger("mkdocs").addHandler(self._capture)  # (it does not propagate)
        else:
            self._here.close()
            self._conn = self._there
            self.share = 0

    def exchange_pages(self, pages: list[Any], mine: Sequence[int], files: Any) -> None:
        """Send the converted pages of this side, take the other side's (partner first)."""
        if not self.forked:
            return
        ours = {i: _converted(pages[i]) for i in mine}
        if self.share == 1:
            self._send(("pages", ours))
            theirs = self._receive()
        else:
            theirs = self._receive()
            self._send(("pages", ours))
        for i, state in theirs.items():
            _restore(pages[i], state, files)

    def finish(self, added: dict[int, list[Any]]) -> dict[int, list[Any]]:
        """The partner sends its search entries and warnings and ends; here they are taken."""
        if not self.forked:
            return {}
        if self.share == 1:
            records = self._capture.records
            self._send(("done", (added, records)))
            os._exit(0)
        added_there, records = self._receive()
        for name, level, message in records:
            logging.getLogger(name).log(level, message)
        return added_there  # type: ignore[no-any-return]

    def _send(self, message: tuple[str, Any]) -> None:
        self._conn.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def _receive(self) -> Any:
        try:
            kind, payload = pickle.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            from mkdocs.exceptions import Abort

            raise Abort("the site build's second process ended without its pages") from None
        if kind == "error":
            from mkdocs.exceptions import Abort

            raise Abort(payload)
        return payload

    def __exit__(self, kind: object, exc: BaseException | None, tb: object) -> None:
        if not self.forked:
            return
        if self.share == 1:  # an error in the partner: say it, and end (never return)
            text = f"{type(exc).__name__}: {exc}" if exc is not None else "ended early"
            for _, _, message in self._capture.records:
                text += f"\n  {message}"
            try:
                self._send(("error", f"the site build failed: {text}"))
            finally:
                os._exit(1)
        self._conn.close()
        os.waitpid(self._pid, 0)

"""MkDocs plugin ``dossiers``: the generated pages as virtual files, for `mkdocs serve`.

A thin adapter: the pages come from `tooling.site.generate_pages`, which knows nothing of
MkDocs. `dossier build` writes those pages to disk itself and switches the pages off
(`pages_on_disk`), so they come from here only for `mkdocs serve` and a plain `mkdocs build`.
In every build the plugin sets the site's name, logo and footer (`SiteChrome`), gives the
theme's own templates (404.html) their words, sanitises the pages and adds the CSP.

While editing (`mkdocs serve`), a dossier the check finds errors in does not take the others
down: they are rendered as usual, and the failing dossier's index page shows its findings
(`pipeline.render(..., only_ok=True)`). A plain `mkdocs build` refuses a failed check.

PDF and DOCX files: rendering them on every save would hold the preview up (`dossier serve`
makes them in the background instead). So `mkdocs serve` links the ones the last
`dossier build` left in the site folder (``<site>/documenten/``) and leaves the links out
where there are none; a plain `mkdocs build` (not `serve`) renders them, as `dossier build`
does. See docs/site.md.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import jinja2
from markupsafe import Markup
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from tooling.config import Config, load_config
from tooling.diagnostics import DossierError
from tooling.html_safety import active_markup, add_csp, escape_text, sanitize_html
from tooling.i18n import message
from tooling.site.chrome import SiteChrome
from tooling.site.paths import HOME, in_released_version
from tooling.template_cache import cache_compiled_templates

LOGO = "assets/logo"
"""Where the [site] logo goes in the site (its own suffix added); Material's folder."""

log = logging.getLogger("mkdocs.plugins.dossiers")


class DossierPluginConfig(base.Config):  # type: ignore[no-untyped-call]
    """Options under ``plugins: - dossiers:`` in mkdocs.yml."""

    root = c.Type(str, default="")
    """The dossier project (the folder with dossier.toml); default: the folder of mkdocs.yml."""


class DossierPlugin(BasePlugin[DossierPluginConfig]):  # type: ignore[no-untyped-call]
    """Adds the dossier pages, the navigation and the downloads; watches the dossiers."""

    pages_on_disk = False
    """Set by `engines.mkdocs.run_mkdocs`: `dossier build` already wrote the pages."""

    chrome: SiteChrome | None = None
    """Set by `engines.mkdocs.run_mkdocs` with the pages: the site's name, logo and footer."""

    pages: Mapping[str, str] | None = None
    """Set by `engines.mkdocs.run_mkdocs`: the pages `dossier build` hands over in memory
    (writing thousands of pages to a folder for MkDocs to read back cost seconds)."""

    def __init__(self) -> None:
        self.full_menu = True  # from the site's chrome: [site] menu in dossier.toml
        self.command: str | None = None
        self.project: Config | None = None
        self._documents: tempfile.TemporaryDirectory[str] | None = None

    def on_startup(self, *, command: Literal["build", "gh-deploy", "serve"], dirty: bool) -> None:
        self.command = command

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        root = Path(self.config.root) if self.config.root else Path(config.config_file_path).parent
        try:
            self.project = load_config(root)
        except DossierError as exc:
            raise PluginError(f"dossiers: {exc}") from None
        return None

    def on_env(
        self, env: jinja2.Environment, /, *, config: MkDocsConfig, files: Files
    ) -> jinja2.Environment | None:
        """The words of the theme's own pages (404.html) come from `tooling.i18n` too."""
        language = self.project.language if self.project is not None else "nl"
        env.globals["dossier_text"] = lambda key: message(key, language)
        if self.project is not None:
            import material
            import mkdocs

            cache_compiled_templates(
                env,
                self.project.cache_dir / "jinja-theme",
                mkdocs.__version__,
                material.__version__,
            )
        return env

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        if self.pages_on_disk:
            if self.chrome is not None:
                self.full_menu = _apply_chrome(self.chrome, files, config)
            if self.pages:  # a page replaces the plain Markdown of its document
                added = [File.generated(config, p, content=t) for p, t in self.pages.items()]
                ours = [f for f in files if f.src_uri not in self.pages]
                docs = [f for f in ours if f.src_dir == config.docs_dir] + added
                docs.sort(key=_walk_order)  # where they would be had they been on disk
                return Files(docs + [f for f in ours if f.src_dir != config.docs_dir])
            return files
        from tooling import pipeline

        assert self.project is not None
        serve = self.command == "serve"
        try:
            checked = pipeline.check(self.project)
            if not checked.ok and not serve:
                raise PluginError(
                    f"dossiers: the check found {len(checked.errors)} error(s):\n"
                    + "\n".join(f.format() for f in checked.errors)
                )
            downloads = self._downloads(checked)
            # serve: a dossier with errors shows them on its page; the others render as usual
            rendered = pipeline.render(checked, downloads=downloads.__contains__, only_ok=serve)
            self._write_documents(rendered, downloads)
        except DossierError as exc:  # unusable input: no dossier can be shown
            if not serve:
                raise PluginError(f"dossiers: {exc}") from None
            log.error(f"dossiers: {exc}")  # keep serving: show the problem in the browser
            self.full_menu = _apply_chrome(pipeline.site_chrome_of(self.project), files, config)
            _replace(files, File.generated(config, HOME, content=failure_page([str(exc)])))
            return files
        if rendered.failing:  # serve only; also in the terminal, as `dossier check` says it
            log.error(
                "dossiers: the check found errors; the preview shows them on the pages of "
                + ", ".join(f.name for f in rendered.failing)
                + ":\n"
                + "\n".join(f.format() for f in checked.errors)
            )
        self.full_menu = _apply_chrome(rendered.site, files, config)
        for path, text in rendered.pages.items():
            _replace(files, File.generated(config, path, content=text))
        for path, source in downloads.items():
            if source.is_file():
                _replace(files, File.generated(config, path, abs_src_path=str(source)))
        if config.nav is None:
            config.nav = rendered.nav
        return files

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        """Rebuild when a writer edits a dossier, a template or the project configuration."""
        if self.project is not None:
            for path in (
                self.project.dossiers_dir,
                self.project.templates_dir,
                self.project.root / "dossier.toml",
                self.project.retraction_db,
            ):
                if path is not None and path.exists():
                    server.watch(str(path))
        return server

    def on_page_context(
        self, context: Any, /, *, page: Page, config: MkDocsConfig, nav: Any
    ) -> Any:
        """A released version's pages get no site menu and no links to neighbouring pages.

        Material prints the menu (the dossier's section, the other dossiers) and the previous
        and next pages on every page, so a new indication in the current dossier would change
        every earlier version's HTML. Without them, nothing outside the version's archive
        reaches its pages (docs/history.md, "What 'immutable' covers"); the header still leads
        home and to the search.
        """
        if in_released_version(page.file.src_uri):
            context["nav"] = _Menu(nav, [])
            page.previous_page = None
            page.next_page = None
        elif not self.full_menu:
            context["nav"] = _own_section(nav, page)
        return context

    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Remove scripts and active markup from a page's content (also when `pages_on_disk`).

        The search plugin reads ``page.content`` later (``on_page_context``), so the search
        index holds the cleaned content too.
        """
        return sanitize_html(html)

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        """Put the Content-Security-Policy first in the finished page's ``<head>``.

        An inline script that is not the theme's gets no hash, so the browser will not run
        it. Such a script, or an event handler, can only come from text that the theme's
        templates print unescaped (a title), so each is also logged as a warning, which fails
        a strict build.
        """
        for finding in active_markup(output):
            log.warning(f"dossiers: {page.file.src_uri} has {finding} (outside the page content)")
        return add_csp(output)

    def on_post_template(
        self, output_content: str, /, *, template_name: str, config: MkDocsConfig
    ) -> str | None:
        """The Content-Security-Policy for the theme's own pages too (``404.html``)."""
        if not template_name.endswith(".html"):
            return None  # sitemap.xml
        for finding in active_markup(output_content):
            log.warning(f"dossiers: {template_name} has {finding} (outside the page content)")
        return add_csp(output_content)

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Offline search: the search index also as a script, for a site opened from disk.

        Opened from disk (file://), Material reads ``search/search_index.js`` (a script that
        sets ``__index``) instead of fetching the JSON, which browsers refuse there. Material's
        ``offline`` plugin does the same, but also adds a script from a CDN, which the site's
        Content-Security-Policy blocks (and which would leave the site).
        """
        self._cleanup()
        index = Path(config.site_dir) / "search" / "search_index.json"
        if index.is_file():
            data = index.read_text(encoding="utf-8")
            index.with_suffix(".js").write_text(f"var __index = {data}", encoding="utf-8")

    def on_build_error(self, *, error: Exception) -> None:
        self._cleanup()

    def _downloads(self, checked: Any) -> dict[str, Path]:
        """Download path in the site -> file: made now (`mkdocs build`) or by the last build.

        `mkdocs serve` links the PDF and DOCX files that the last `dossier build` left in the
        site folder: making them costs about half a second per document, too slow for every
        save.
        """
        from tooling.documents import document_ids
        from tooling.site.paths import DOCUMENTS, download_path

        assert self.project is not None
        if self.command == "build":
            self._cleanup()
            self._documents = tempfile.TemporaryDirectory(prefix="dossier-documents-")
            source = Path(self._documents.name)
        else:
            source = self.project.site_dir / DOCUMENTS
        found: dict[str, Path] = {}
        for dossier in checked.dossiers:
            model = dossier.loaded.model
            for ident in document_ids(model) if model is not None else ():
                for extension in ("pdf", "docx"):
                    path = download_path(dossier.loaded.slug, ident, extension)
                    file = source / path.removeprefix(f"{DOCUMENTS}/")
                    if self.command == "build" or file.is_file():
                        found[path] = file
        return found

    def _write_documents(self, rendered: Any, downloads: dict[str, Path]) -> None:
        """`mkdocs build`: make every PDF and DOCX now, as `dossier build` does."""
        from tooling.publishing import write_documents

        if self.command == "build" and self._documents is not None:
            assert self.project is not None
            write_documents(
                rendered.documents,
                Path(self._documents.name),
                self.project,
                progress=lambda _text: None,
            )

    def _cleanup(self) -> None:
        if self._documents is not None:
            self._documents.cleanup()
            self._documents = None


def _walk_order(file: File) -> tuple[tuple[int, Any], ...]:
    """Where MkDocs lists a file of the docs folder (`mkdocs.structure.files.get_files`):
    folder by folder as it walks them, a folder's files (index first) before its folders."""
    *folders, name = file.src_uri.split("/")
    first = os.path.splitext(name)[0] not in ("index", "README")
    return (*((1, folder) for folder in folders), (0, (first, name)))


def _replace(files: Files, file: File) -> None:
    existing = files.get_file_from_path(file.src_uri)
    if existing is not None:
        files.remove(existing)
    files.append(file)


class _Menu:
    """A navigation with only some of the site's top-level items (none: Material prints no
    menu), which still knows the home page and every page."""

    def __init__(self, nav: Any, items: list[Any]) -> None:
        self.homepage = nav.homepage
        self.pages = nav.pages
        self.items = items

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:  # (an empty menu is false: Material prints none)
        return len(self.items)


def _own_section(nav: Any, page: Page) -> _Menu:
    """The menu of a site with many dossiers: the top-level pages and the page's own dossier.

    Material prints the menu on every page, and with ``navigation.prune`` still every
    top-level entry: one per dossier. Above ``MENU_FULL_UP_TO`` dossiers ([site] menu = auto)
    each page lists only the top-level pages (home, check) and the dossier it belongs to, so
    a page costs the same whatever the number of dossiers; the home page lists them all.
    """
    top: Any = page
    while top.parent is not None:
        top = top.parent
    return _Menu(nav, [item for item in nav.items if item is top or not item.is_section])


def _apply_chrome(chrome: SiteChrome, files: Files, config: MkDocsConfig) -> bool:
    """The site's name, footer and logo into MkDocs' configuration (and the logo's file).

    Material prints ``config.site_name`` unescaped in the header and the navigation, and
    escapes it with ``| e`` in attributes: as `Markup` of the escaped text it comes out right
    in both (``| e`` leaves Markup alone). The footer is printed escaped by the theme override
    (templates/site/overrides/partials/copyright.html).
    """
    config["site_name"] = Markup(escape_text(chrome.name))
    config["copyright"] = chrome.footer
    if chrome.logo is not None:
        target = f"{LOGO}{chrome.logo.suffix.lower()}"
        _replace(files, File.generated(config, target, abs_src_path=str(chrome.logo)))
        config.theme["logo"] = target
        config.theme["favicon"] = target
    return chrome.full_menu


def failure_page(lines: list[str]) -> str:
    """A page that shows a writer why no dossier can be shown (mkdocs serve only).

    The lines are an indented code block inside the admonition: Markdown shows a code block
    exactly as written and escapes ``<``, ``>`` and ``&`` itself, so nothing in them is read
    as Markdown or HTML.
    """
    body = "\n".join(
        f"        {part}" for line in lines for part in line.expandtabs(4).splitlines()
    )
    return (
        f"# {message('site.check_title')}\n\n"
        f'!!! failure "{message("site.preview_failed")}"\n\n{body}\n'
    )

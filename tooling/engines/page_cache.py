"""Site pages kept in the build cache, so a page whose inputs are unchanged is not built again.

MkDocs makes a page in two steps, and the result of each is kept under a digest of its
inputs (`tooling.build_cache`):

1. **Conversion** (Markdown to HTML content, table of contents, title, anchors) depends on
   the page's Markdown and path and on the site's setup (`_site_key`: mkdocs.yml, the theme
   overrides, the site's name, logo, footer and kind of menu, the tools' versions and the
   toolkit's code). A kept conversion is used only while every file its links point to is
   still in the site; otherwise the page is converted again, so that MkDocs warns of the
   broken link as in a cold build.
2. **Rendering** (the theme's template around the content: the page's HTML file, and its
   search index entries) depends on the conversion and on the navigation: every page's
   title and address in the menu's order (`_nav_key`), which the menu and the previous and
   next links print.

Nothing is kept from a build with warnings (strict mode fails it), so a kept page is one
that passed. Only a site whose plugins keep no state across pages is cached (`_PLUGINS`);
any other plugin in mkdocs.yml switches the page cache off. Entries are zlib-compressed
JSON (a conversion in two: what every build needs of every page, its title, anchors and
links; and its body, which only a page rendered again needs) and a page's HTML file as it
is; never pickle: an entry holds data only.

The output is byte-identical to a build without the cache (tests/test_build_cache.py).
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tooling.build_cache import BuildCache, folder_digest, key, toolkit_fingerprint, versions

KIND = "page"
_PLUGINS = frozenset({"search", "material/search", "dossiers"})
"""Plugins known to make each page from that page alone (the search index is replayed)."""
_TOOLS = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions", "jinja2", "babel")
_MEMORY_DROPS = frozenset({"markdown", "content", "toc"})
_BODY = "conversion body"
_HTML = "rendering html"  # a page's HTML file as it is, kept apart from its search entries
_LINK = re.compile(r'(?:href|src)="([^"]*)"')
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


class PageCache:
    """The kept pages of one build; without a store (no cache), every page is made.

    With a `Session` (the live preview), states are also kept in memory, and a page whose
    file in the site already holds its rendering is not written again.
    """

    def __init__(
        self, store: BuildCache | None, site: str, files: Any, session: Any = None
    ) -> None:
        self.store = store
        self.site = site
        self.files = files
        self.session = session
        self.memory: dict[str, Any] = session.memory if session is not None else {}
        self.addresses = {file.dest_uri for file in files} if store is not None else set()
        self.converted: dict[str, str] = {}  # page source -> conversion key
        self.rendered: dict[str, str] = {}  # page source -> rendering key
        self._used: set[str] = set()  # keys of the states this build used
        self.config: Any = None  # MkDocs' configuration (with a store)
        self._light: set[str] = set()  # pages restored without their body (yet)

    @classmethod
    def open(cls, folder: Path | None, config: Any, files: Any, session: Any = None) -> PageCache:
        """The cache for this build (after the plugins' ``on_files``: the chrome is set)."""
        if folder is None or not set(config.plugins) <= _PLUGINS:
            return cls(None, "", files)
        made = cls(BuildCache(folder, limit_bytes=0), _site_key(config), files, session)
        made.config = config
        return made

    def _state(self, digest: str, *, need: str = "") -> Any:
        """The state kept under ``digest``, or None: from memory, else from the store.

        Memory (a session's) keeps states without what is large and seldom needed again
        (`_MEMORY_DROPS`: a conversion's body); ``need`` names such a field when it is
        needed after all.
        """
        state = self.memory.get(digest)
        if state is not None and (not need or need in state):
            self._used.add(digest)
            return state
        if self.store is None or (raw := self.store.get(KIND, digest)) is None:
            return None
        state = json.loads(zlib.decompress(raw))
        self._remember(digest, state)
        return state

    def _put(self, digest: str, state: dict[str, Any]) -> None:
        assert self.store is not None
        self.store.put(KIND, digest, _pack(state))
        self._remember(digest, state)

    def _remember(self, digest: str, state: dict[str, Any]) -> None:
        if self.session is not None:
            self.memory[digest] = {k: v for k, v in state.items() if k not in _MEMORY_DROPS}
            self._used.add(digest)

    def forget_unused(self) -> None:
        """Keep in the session's memory only the states this build used."""
        if self.session is not None:
            for digest in set(self.memory) - self._used:
                del self.memory[digest]

    def restore(self, page: Any) -> bool:
        """Give ``page`` its kept conversion; False when there is none to use."""
        if self.store is None:
            return False
        digest = key("conversion", self.site, page.file.src_uri, page.file.content_bytes)
        self.converted[page.file.src_uri] = digest
        state = self._state(digest)
        if state is None or not self._links_hold(state):
            return False
        _set_converted(page, state, self.files)
        self._light.add(page.file.src_uri)
        return True

    def to_render(self, pages: Sequence[Any], nav: Any, search: dict[int, list[Any]]) -> list[int]:
        """Write the kept pages (their search entries into ``search``); the others' indexes."""
        if self.store is None:
            return list(range(len(pages)))
        navigation = key(json.dumps(list(_nav_items(nav.items)), ensure_ascii=False))
        todo = []
        for index, page in enumerate(pages):
            source = page.file.src_uri
            digest = key("rendering", self.converted[source], navigation)
            self.rendered[source] = digest
            state = self._state(digest)
            if state is None:
                todo.append(index)
                continue
            target = page.file.abs_dest_path
            written = self.session.written if self.session is not None else {}
            if written.get(target) != digest or not os.path.isfile(target):
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if not self.store.copy_to(KIND, key(_HTML, digest), target):
                    todo.append(index)  # (removed meanwhile): rendered anew
                    continue
                written[target] = digest
            search[index] = state["search"]
        for index in todo:  # to be rendered: its content too, kept apart (`_BODY`)
            page = pages[index]
            if page.file.src_uri in self._light:
                self._light.discard(page.file.src_uri)
                body = self._state(key(_BODY, self.converted[page.file.src_uri]), need="content")
                if body is None:  # (removed meanwhile): the one page is converted anew
                    from mkdocs.commands import build as mkdocs_build

                    mkdocs_build._populate_page(page, self.config, self.files)
                else:
                    _set_body(page, body)
        return todo

    def keep(
        self,
        pages: Sequence[Any],
        converted: Sequence[int],
        rendered: Sequence[int],
        search: dict[int, list[Any]],
    ) -> str:
        """Keep what this (successful) build made; say what the cache saved."""
        if self.store is None:
            return ""
        for index in converted:
            page = pages[index]
            parts = _converted_state(page, self._targets(page))
            if parts is not None:
                light, body = parts
                digest = self.converted[page.file.src_uri]
                self._put(key(_BODY, digest), body)  # first: a conversion is used with it
                self._put(digest, light)
        for index in rendered:
            page = pages[index]
            try:
                html = Path(page.file.abs_dest_path).read_bytes()
            except OSError:
                continue  # an empty page is not written: it is made every time
            digest = self.rendered[page.file.src_uri]
            self.store.put(KIND, key(_HTML, digest), html)  # first: it is used with the other
            self._put(digest, {"search": search.get(index, [])})
            if self.session is not None:
                self.session.written[page.file.abs_dest_path] = digest
        self.store.count_written()  # for the trim after the build (tooling.publishing)
        return (
            f"{len(pages) - len(rendered)} of {len(pages)} unchanged, from the cache; "
            f"{len(converted)} converted, {len(rendered)} rendered"
        )

    @staticmethod
    def _targets(page: Any) -> list[str] | None:
        """The files the page's content links to (site addresses); None for a link that
        leaves the site folder or is absolute (MkDocs warns of those: never kept)."""
        here = posixpath.dirname(page.file.dest_uri)
        found = set()
        for url in _LINK.findall(page.content or ""):
            if not url or url.startswith("#") or url.startswith("//") or _SCHEME.match(url):
                continue
            path = unquote(url.split("#", 1)[0].split("?", 1)[0])
            if not path:
                continue
            if path.startswith("/"):
                return None
            found.add(posixpath.normpath(posixpath.join(here, path)))
        return sorted(found)

    def _links_hold(self, state: dict[str, Any]) -> bool:
        """Whether every file the page links to is still in the site."""
        return all(t in self.addresses for t in state["targets"]) and all(
            self.files.get_file_from_path(uri) for uri in state["links"]
        )


def add_theme_files(files: Any, env: Any, config: Any, folder: Path | None) -> None:
    """``files.add_files_from_theme(env, config)``, with the theme's list of files kept.

    MkDocs lists every file of the theme's folders (Material's has some 14,000, mostly
    icons) and matches each against its patterns: half a second a build. The list depends
    only on the theme's folders, so it is kept in memory and in the build cache under
    MkDocs' and Material's versions, the folders and the custom folder's files.
    """
    from mkdocs.structure.files import File

    if folder is None:
        files.add_files_from_theme(env, config)
        return
    custom = config.theme.custom_dir
    digest = key(
        "theme",
        versions(*_TOOLS),
        json.dumps(list(config.theme.dirs)),
        json.dumps(list(config.theme.static_templates)),
        folder_digest(Path(custom)) if custom else "",
    )
    found = _THEME_FILES.get(digest)
    store = BuildCache(folder, limit_bytes=0)
    if found is None and (raw := store.get("theme", digest)) is not None:
        found = [tuple(item) for item in json.loads(raw)]
    if found is None:
        listed = type(files)([])
        listed.add_files_from_theme(env, config)
        found = [(f.src_uri, f.src_dir) for f in listed]
        store.put("theme", digest, json.dumps(found).encode("utf-8"))
    _THEME_FILES[digest] = found
    for path, directory in found:
        if files.get_file_from_path(path) is None:  # the docs' files come first
            files.append(File(path, directory, config.site_dir, config.use_directory_urls))


_THEME_FILES: dict[str, list[tuple[str, str]]] = {}


def _site_key(config: Any) -> str:
    """What every page depends on: the site's setup, the tools and the toolkit."""
    plugin = config.plugins.get("dossiers")
    custom = config.theme.custom_dir
    setup = (
        str(config.site_name),
        config.copyright,
        config.site_url,
        config.use_directory_urls,
        config.theme.get("logo"),
        config.theme.get("favicon"),
        getattr(plugin, "full_menu", None),
        sorted(config.plugins),
    )
    return key(
        toolkit_fingerprint(),
        versions(*_TOOLS),
        Path(config.config_file_path).read_bytes(),
        folder_digest(Path(custom)) if custom else "",
        repr(setup),
    )


def _nav_items(items: Sequence[Any]) -> Iterator[Any]:
    """The menu as data: each entry's kind, title and address, sections with their entries."""
    for item in items:
        children = list(_nav_items(item.children)) if item.children else []
        yield [type(item).__name__, str(item.title), getattr(item, "url", None), children]


def _anchor(link: Any) -> dict[str, Any]:
    return {
        "title": link.title,
        "id": link.id,
        "level": link.level,
        "children": [_anchor(child) for child in link.children],
    }


def _anchor_link(data: dict[str, Any]) -> Any:
    from mkdocs.structure.toc import AnchorLink

    link = AnchorLink(data["title"], data["id"], data["level"])
    link.children = [_anchor_link(child) for child in data["children"]]
    return link


def _converted_state(
    page: Any, targets: list[str] | None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """What converting the page set on it, as JSON data: what every build needs of every
    page (title, metadata, anchors, links), and its body, which only a page rendered
    again needs (Markdown, content, table of contents). None when JSON cannot hold it
    exactly (metadata of other types) or a link leaves the site: such a page is converted
    every time."""
    if targets is None:
        return None
    light = {
        "meta": page.meta,
        "title": page._title_from_render,
        "anchors": sorted(page.present_anchor_ids or ()),
        "anchors_none": page.present_anchor_ids is None,
        "links": {
            target.src_uri: dict(anchors)
            for target, anchors in (page.links_to_anchors or {}).items()
        },
        "links_none": page.links_to_anchors is None,
        "targets": targets,
    }
    body = {
        "markdown": page.markdown,
        "content": page.content,
        "toc": [_anchor(link) for link in page.toc],
    }
    try:
        if json.loads(json.dumps([light, body])) != [light, body]:
            return None
    except (TypeError, ValueError):
        return None
    return light, body


def _set_converted(page: Any, state: dict[str, Any], files: Any) -> None:
    """The light part of a kept conversion; the body follows when the page is rendered.

    Until then the Markdown and content are empty texts, not None: MkDocs takes a page
    without Markdown for one not yet read (no title), and one without content for one not
    yet converted (its title from the Markdown).
    """
    from mkdocs.structure.toc import TableOfContents

    page.markdown, page.content, page.toc = "", "", TableOfContents([])
    page.meta = state["meta"]
    page._title_from_render = state["title"]
    page.present_anchor_ids = None if state["anchors_none"] else set(state["anchors"])
    page.links_to_anchors = (
        None
        if state["links_none"]
        else {files.get_file_from_path(uri): anchors for uri, anchors in state["links"].items()}
    )


def _set_body(page: Any, body: dict[str, Any]) -> None:
    from mkdocs.structure.toc import TableOfContents

    page.markdown = body["markdown"]
    page.content = body["content"]
    toc = [_anchor_link(item) for item in body["toc"]]
    if toc:
        toc[0].active = True  # as mkdocs.structure.toc.get_toc marks it
    page.toc = TableOfContents(toc)


def _pack(state: dict[str, Any]) -> bytes:
    return zlib.compress(json.dumps(state, ensure_ascii=False).encode("utf-8"), 1)

"""Script injection through dossier text, tried in a real browser (Playwright + chromium).

A throwaway project carries payloads in every kind of text that reaches the site: Markdown
prose, plain YAML fields, an FAQ answer, a glossary definition, a BibTeX title, a letter body
and the retraction database's Reason column. `dossier build` publishes it; every page is
loaded, hovered and its links clicked, and ``window.__pwned`` must stay undefined. Every page
carries the Content-Security-Policy, first in its ``<head>``, and the example site runs under
it without a single violation.

Outside CI a missing chromium skips these tests with a message; in CI (``CI=true``) it is a
failure, never a skip.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest
from conftest import base_files, write_files

from tooling.html_safety import active_markup, inline_scripts, is_theme_script
from tooling.retractions import COLUMNS

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip

PWN = "window.__pwned=1"
SCRIPT = f"<script>{PWN}</script>"
IMG = f'<img src=x onerror="{PWN}">'
SVG = f'<svg onload="{PWN}"></svg>'
JS_LINK = f"[klik hier](javascript:{PWN})"
ATTR = f'{{: onclick="{PWN}" onmouseover="{PWN}" }}'
TITLE_BREAKOUT = f"&lt;/title&gt;&lt;script&gt;{PWN}&lt;/script&gt;"
"""A title written with entities: Material's ``striptags`` would turn it into markup."""

CSP_FIRST = re.compile(r'<head>\s*<meta http-equiv="Content-Security-Policy" content="[^"]+">')
VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`);
});
"""


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"chromium not found at {CHROMIUM}: install Debian's chromium (scripts/test does, as root)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# --- projects --------------------------------------------------------------------------------


def _csv_row(values: Mapping[str, str]) -> str:
    cells = [values.get(name, "") for name in COLUMNS]
    return ",".join('"' + c.replace('"', '""') + '"' if "," in c or '"' in c else c for c in cells)


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def payload_files(*, titles: bool = False) -> dict[str, str | bytes]:
    """The base fixture with payloads in its texts (and in its titles, when ``titles``)."""
    files = base_files()
    y = str(files["dossiers/base/dossier.yaml"])
    y = _replace(y, "summary: >-\n  Fictieve", f"summary: >-\n  {IMG} {SVG} {JS_LINK} Fictieve")
    y = _replace(
        y,
        "description: Een verzonnen behandeling voor de tests.",
        f"description: '{SCRIPT} Een verzonnen behandeling {IMG}'",
    )
    y = _replace(y, "population: Volwassenen met testpijn", f"population: '{IMG} Volwassenen'")
    y = _replace(
        y, "text: De patiënt is 18 jaar of ouder.", f"text: '{SVG} De patiënt is 18 of ouder.'"
    )
    y = _replace(
        y,
        "rationale: Twee verzonnen studies [@devries2019, p. 3].",
        "rationale: |-\n"
        "          Twee verzonnen studies [@devries2019, p. 3].\n\n"
        f"          Een alinea met {JS_LINK} en {SCRIPT}.\n"
        f"          {ATTR}",
    )
    y = _replace(y, "answer: Als aan", f"answer: |-\n            {SCRIPT} {IMG} Als aan")
    y = _replace(y, "body: Een verzonnen behandeling.", f"body: '{SVG} Een behandeling.'")
    y = _replace(y, "definition: Testpijn", f"definition: '{IMG} Testpijn'")
    # an indication name with entities: the page's <title> must not turn them into markup
    y = _replace(y, "name: Testpijn bij kinderen", f"name: 'Kinderen {TITLE_BREAKOUT}'")
    if titles:
        y = _replace(
            y,
            "title: Fictieve nervusstimulatie bij testpijn",
            f"title: 'Fictieve {SCRIPT} titel'",
        )
        y = _replace(y, "name: Testpijn\n", f"name: 'Testpijn {IMG}'\n")
        y = _replace(
            y,
            "title: Vragen over fictieve nervusstimulatie",
            f"title: 'Vragen {SCRIPT}'",
        )
        y = _replace(y, "title: Nervusstimulatie bij testpijn", f"title: 'Folder {SVG}'")
    files["dossiers/base/dossier.yaml"] = y
    files["dossiers/base/references.bib"] = _replace(
        str(files["dossiers/base/references.bib"]),
        "title = {Een tweede verzonnen studie}",
        f"title = {{Een tweede {IMG} studie}}",
    )
    files["dossiers/base/brief.md"] = (
        str(files["dossiers/base/brief.md"])
        + f"\n{SCRIPT}\n\n{SVG}\n\nEen alinea met {JS_LINK}.\n{ATTR}\n"
    )
    header = ",".join(COLUMNS)
    row = _csv_row(
        {
            "Record ID": "1",
            "Title": "Een tweede studie",
            "RetractionDate": "1/2/2023 0:00",
            "RetractionDOI": "10.5555/notice.1",
            "OriginalPaperDOI": "10.5555/fictief.2019.002",  # devries2019, cited as evidence
            "RetractionNature": "Correction",
            "Reason": f"+{SCRIPT};+{IMG};+{SVG};",
        }
    )
    files["data/rw.csv"] = f"{header}\n{row}\n"
    files["dossier.toml"] = (
        '[retractions]\ndatabase = "data/rw.csv"\nsnapshot_date = "2026-01-01"\n'
    )
    return files


def copy_site_files(root: Path) -> None:
    """The templates and MkDocs configuration of this repository."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")


def build(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``dossier --root root build -o out`` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "tooling", "--root", str(root), "build", "--quiet", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def built(root: Path, out: Path) -> Path:
    result = build(root, out)
    assert result.returncode == 0, f"dossier build failed:\n{result.stdout}{result.stderr}"
    return out


@pytest.fixture(scope="module")
def payload_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("payloads") / "project"
    write_files(root, payload_files())
    copy_site_files(root)
    return built(root, root.parent / "site")


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example") / "project"
    root.mkdir()
    for part in ("dossiers", "data", "dossier.toml"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, root / part)
        else:
            shutil.copy2(source, root / part)
    copy_site_files(root)
    return built(root, root.parent / "site")


# --- browser ---------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the browser dropped a connection it no longer needed


@contextlib.contextmanager
def serve(site: Path) -> Iterator[str]:
    """Serve ``site`` on 127.0.0.1 (a free port) for as long as the block runs."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = _QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def site_pages(site: Path) -> list[str]:
    """Every HTML page of a site, as a URL path relative to its root."""
    pages = []
    for html in sorted(site.rglob("*.html")):
        relative = html.relative_to(site).as_posix()
        pages.append(relative.removesuffix("index.html"))
    return pages


# Fire every event a payload might hang on, on every element of the page.
EXERCISE = """
() => {
  for (const el of document.querySelectorAll("body *")) {
    for (const type of ["mouseover", "mouseenter", "mousemove", "focus", "focusin", "click",
                        "animationstart", "transitionend", "toggle", "load", "error"]) {
      if (type === "click" && el.closest("a[href], button, label, input")) continue;
      el.dispatchEvent(new Event(type, {bubbles: true}));
    }
    if (el.tagName === "DETAILS") el.open = !el.open;
  }
}
"""


class Visitor:
    """One browser tab that visits pages and reports what went wrong on them."""

    def __init__(self, browser: Any, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.add_init_script(VIOLATIONS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"{self.page.url}: {exc}"))
        self.page.on("dialog", lambda dialog: self._dialog(dialog))
        self.problems: list[str] = []
        self.clicked: set[str] = set()

    def _console(self, message: Any) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.errors.append(f"{self.page.url}: {message.text}")

    def _dialog(self, dialog: Any) -> None:
        self.problems.append(f"{self.page.url}: a dialog opened: {dialog.message!r}")
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()

    def check(self, where: str) -> None:
        """Record a problem when a payload ran or the page broke its policy."""
        state = self.page.evaluate(
            "() => [typeof window.__pwned, window.__violations || [], "
            "document.head.firstElementChild ? document.head.firstElementChild.outerHTML : '']"
        )
        pwned, violations, first = state
        if pwned != "undefined":
            self.problems.append(f"{where}: a payload ran (window.__pwned is {pwned})")
        for violation in violations:
            self.problems.append(f"{where}: CSP violation: {violation}")
        if not first.startswith('<meta http-equiv="Content-Security-Policy"'):
            self.problems.append(f"{where}: the CSP meta is not first in <head>: {first[:80]}")

    def visit(self, path: str, *, click_links: bool = False) -> None:
        url = urljoin(self.base, path)
        self.page.goto(url, wait_until="load")
        self.check(path)
        self.page.evaluate(EXERCISE)
        self.check(f"{path} (events)")
        if click_links:
            self._click_links(url, path)

    def _click_links(self, url: str, path: str) -> None:
        links = self.page.locator("article a")
        for index in range(links.count()):
            link = links.nth(index)
            href = link.get_attribute("href")
            key = f"{url} {index}"  # a link without href, or to a place on this page
            if href is not None:
                target = urlparse(urljoin(url, href))
                if target.netloc != urlparse(self.base).netloc:
                    continue  # external (a DOI): offline, and not ours
                if target.path.endswith((".pdf", ".docx")):
                    continue  # a download
                if target._replace(fragment="").geturl() != url:
                    key = target.geturl()  # another page: once is enough
            if key in self.clicked:
                continue
            self.clicked.add(key)
            link.click(force=True, timeout=5_000)
            self.page.wait_for_load_state("load")
            self.check(f"{path} -> link {index} ({href})")
            if self.page.url.split("#")[0] != url:
                self.page.goto(url, wait_until="load")
                links = self.page.locator("article a")

    def search(self, text: str) -> list[str]:
        """Type ``text`` into Material's search; the result links (retries while it loads)."""
        self.page.goto(self.base, wait_until="load")
        results = self.page.locator(".md-search-result__item")
        for _ in range(20):
            self.page.locator(".md-search__input").first.click()
            self.page.fill(".md-search__input", "")
            self.page.locator(".md-search__input").first.type(text)
            try:
                results.first.wait_for(timeout=1_000)
                break
            except Exception:
                continue
        results.first.wait_for(timeout=5_000)
        self.check(f"search for {text!r}")
        return [
            results.nth(i).locator("a").first.get_attribute("href") or ""
            for i in range(results.count())
        ]


@pytest.fixture
def visitor_for(browser: Any) -> Iterator[Callable[[Path], Visitor]]:
    """Factory: a `Visitor` on a local server for a built site."""
    with contextlib.ExitStack() as stack:

        def make(site: Path) -> Visitor:
            base = stack.enter_context(serve(site))
            visitor = Visitor(browser, base)
            stack.callback(visitor.close)
            return visitor

        yield make


# --- the payload site ------------------------------------------------------------------------


def test_payloads_reach_the_site_only_as_harmless_text(payload_site: Path) -> None:
    """The payloads were really published (as text), so the browser tests below mean something."""
    pages = {p: p.read_text(encoding="utf-8") for p in payload_site.rglob("*.html")}
    everything = "\n".join(pages.values())
    assert "Een verzonnen behandeling" in everything  # description
    assert "Een alinea met" in everything  # rationale and letter body
    assert "Een tweede" in everything and "studie" in everything  # BibTeX title
    assert "&lt;script&gt;" in everything  # the reason, shown as text on the check page
    for path, text in pages.items():
        assert CSP_FIRST.search(text), path
        assert 0 < text.find("<meta charset") < 1024 - 30, path  # declared in the first 1024 bytes
        assert active_markup(text) == [], path
        assert all(is_theme_script(s) for s in inline_scripts(text)), path
        assert "javascript:" not in text.replace("javascript:void", ""), path
        assert "onerror" not in re.sub(r"&lt;.*?&gt;", "", text), path


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "iframe", "object", "embed", "svg", "style", "form"}:
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}")


def test_search_index_holds_no_markup_that_runs(payload_site: Path) -> None:
    """Material shows search results as HTML: the index must hold the cleaned content."""
    index = json.loads((payload_site / "search" / "search_index.json").read_text("utf-8"))
    assert index["docs"]
    for doc in index["docs"]:
        for field in ("title", "text"):
            parser = _Markup()
            parser.feed(doc[field])
            assert parser.found == [], (doc["location"], field, doc[field][:200])


def test_no_payload_runs_in_the_browser(
    payload_site: Path, visitor_for: Callable[[Path], Visitor]
) -> None:
    visitor = visitor_for(payload_site)
    pages = site_pages(payload_site)
    assert len(pages) >= 10
    for path in pages:
        visitor.visit(path, click_links=True)
    assert visitor.problems == []
    assert visitor.errors == []


def test_searching_for_a_payload_runs_nothing(
    payload_site: Path, visitor_for: Callable[[Path], Visitor]
) -> None:
    visitor = visitor_for(payload_site)
    links = visitor.search("correctie")  # the check page quotes the reasons
    assert links
    visitor.page.locator(".md-search-result__item a").first.click()
    visitor.page.wait_for_load_state("load")
    visitor.check("the first search result")
    assert visitor.problems == []
    assert visitor.errors == []


def test_payloads_in_titles_run_nothing(
    tmp_path: Path, visitor_for: Callable[[Path], Visitor]
) -> None:
    """Titles reach the navigation, the header and <title>, which Material prints unescaped.

    The navigation escapes them (tooling/site), the theme override escapes <title>; should
    either fail, the build stops (`active_markup`) and the CSP blocks the script anyway.
    """
    root = tmp_path / "project"
    write_files(root, payload_files(titles=True))
    copy_site_files(root)
    site = built(root, tmp_path / "site")
    visitor = visitor_for(site)
    for path in site_pages(site):
        visitor.visit(path)
    assert visitor.problems == []
    visitor.visit("base/testpijn.html")
    # shown as text, once escaped; the site's name is the dossier's issuer (no [site] name)
    assert visitor.page.title() == f"Testpijn {IMG} - Instituut Voorbeeldzorg"
    for html in site.rglob("*.html"):
        assert active_markup(html.read_text(encoding="utf-8")) == [], html


# --- the example site under its policy -------------------------------------------------------


def test_the_example_site_runs_under_its_policy(
    example_site: Path, visitor_for: Callable[[Path], Visitor]
) -> None:
    """No CSP violation and no console error on any page; search (a web worker) still works."""
    visitor = visitor_for(example_site)
    pages = site_pages(example_site)
    assert "404.html" in pages
    for path in pages:
        visitor.visit(path)
    links = visitor.search("DRGS")
    assert any("neuromodulatie-chronische-pijn" in link for link in links), links
    assert visitor.problems == []
    assert visitor.errors == []

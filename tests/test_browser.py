"""The built site in a real browser: Playwright driving Debian's chromium on 127.0.0.1.

The site is built once (`dossier build` into a temporary folder) and served by a local
HTTP server. Outside CI a missing chromium skips these tests with a message; in CI
(`CI=true`) it is a failure, never a skip.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from tooling.config import load_config
from tooling.facts import conclusion_stands, walk_indications
from tooling.pipeline import Checked, check

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
IMSR = "imsr-chronische-pijn"
NEURO = "neuromodulatie-chronische-pijn"
# Flags that keep chromium off the network and quiet on a machine with no outside access.
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


def _require_browser() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"chromium not found at {CHROMIUM}: install Debian's chromium (scripts/test does, as root)"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def checked() -> Checked:
    return check(load_config(REPO))


@pytest.fixture(scope="module")
def site(built_site: Path) -> Path:
    """The example project's site, built once for the whole run (conftest.built_site)."""
    return built_site


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.console_errors = errors
    yield page
    context.close()


def test_home_page_lists_every_dossier(page: object, server: str, checked: Checked) -> None:
    page.goto(server)  # type: ignore[attr-defined]
    text = page.inner_text("article")  # type: ignore[attr-defined]
    for dossier in checked.loaded:
        assert dossier.model is not None
        assert dossier.model.title in text, dossier.slug
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_imsr_page_warns_that_the_conclusion_no_longer_stands(
    page: object, server: str, checked: Checked
) -> None:
    imsr = next(d.model for d in checked.loaded if d.slug == IMSR)
    assert imsr is not None
    withdrawn = [
        c for _, ind in walk_indications(imsr) for c in ind.conclusions if not conclusion_stands(c)
    ]
    assert withdrawn
    page.goto(urljoin(server, f"{IMSR}/"))  # type: ignore[attr-defined]
    warning = page.locator(".admonition.danger").first  # type: ignore[attr-defined]
    assert warning.is_visible()
    text = warning.inner_text()
    assert withdrawn[0].revision is not None
    assert withdrawn[0].revision.reason.split(",")[0] in text
    # Above everything else in the article: the first admonition comes before the first table.
    box = warning.bounding_box()
    table = page.locator("article table").first  # type: ignore[attr-defined]
    assert box["y"] < table.bounding_box()["y"]
    shot = REPO / "docs" / "imsr-site.png"
    page.set_viewport_size({"width": 1280, "height": 1300})  # type: ignore[attr-defined]
    page.screenshot(path=str(shot), full_page=False)  # type: ignore[attr-defined]
    assert shot.stat().st_size > 10_000
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_search_for_drgs_finds_the_neuromodulation_dossier(page: object, server: str) -> None:
    page.goto(server)  # type: ignore[attr-defined]
    results = page.locator(".md-search-result__item")  # type: ignore[attr-defined]
    # Material loads its search index in a worker and ignores what is typed before it is
    # ready, so type again until results appear (bounded: about 20 s).
    for _ in range(20):
        page.locator(".md-search__input").first.click()  # type: ignore[attr-defined]
        page.fill(".md-search__input", "")  # type: ignore[attr-defined]
        page.locator(".md-search__input").first.type("DRGS")  # type: ignore[attr-defined]
        try:
            results.first.wait_for(timeout=1_000)
            break
        except Exception:
            continue
    results.first.wait_for(timeout=5_000)
    links = [
        results.nth(i).locator("a").first.get_attribute("href") or ""
        for i in range(results.count())
    ]
    assert any(NEURO in link for link in links), links
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_imsr_letter_pdf_link_answers_with_a_pdf(
    page: object, server: str, checked: Checked
) -> None:
    imsr = next(d.model for d in checked.loaded if d.slug == IMSR)
    assert imsr is not None
    letter = imsr.letters[0]
    page.goto(urljoin(server, f"{IMSR}/"))  # type: ignore[attr-defined]
    link = page.locator(f"a[href$='{letter.id}.pdf']").first  # type: ignore[attr-defined]
    href = link.get_attribute("href")
    assert href
    response = page.request.get(urljoin(page.url, href))  # type: ignore[attr-defined]
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        for name in ("href", "src"):
            value = values.get(name)
            if value and not (
                tag == "link" and values.get("rel") in ("preconnect", "dns-prefetch")
            ):
                self.links.append(value)


def test_no_broken_internal_links(site: Path) -> None:
    """Every href/src of every built page resolves to a file (and anchor) of the site."""
    parsed: dict[Path, _Links] = {}
    for html in site.rglob("*.html"):
        parser = _Links()
        parser.feed(html.read_text(encoding="utf-8"))
        parsed[html] = parser
    broken: list[str] = []
    checked_links = 0
    for html, parser in parsed.items():
        base = "/" + html.relative_to(site).as_posix()
        for link in parser.links:
            url = urlparse(urljoin(f"http://site{base}", link))
            if url.scheme not in ("http", "https") or url.netloc != "site":
                continue  # external links are not ours to check offline
            checked_links += 1
            target = site / unquote(url.path).lstrip("/")
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{html.relative_to(site)}: {link}")
            elif url.fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else set()
                if url.fragment not in ids and not re.fullmatch(r"__\w+", url.fragment):
                    broken.append(f"{html.relative_to(site)}: {link} (no anchor)")
    assert checked_links > 100
    assert not broken, "\n".join(broken[:20])

"""The version history in a real browser: the versions page, the notice on an earlier version
and the changes view (Playwright driving Debian's chromium, as tests/test_browser.py)."""

from __future__ import annotations

from urllib.parse import urljoin

# the browser, its pages and the server of tests/test_browser.py, serving this module's `site`
from test_browser import browser, page, server  # noqa: F401
from test_versions import SLUG, project, site  # noqa: F401  (module fixtures: the released project)


def test_the_dossier_links_to_its_versions(page: object, server: str) -> None:  # noqa: F811
    page.goto(urljoin(server, f"{SLUG}/index.html"))  # type: ignore[attr-defined]
    page.locator("article").get_by_role("link", name="Versies", exact=True).click()  # type: ignore[attr-defined]
    page.wait_for_url(f"**/{SLUG}/versies/index.html")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]  # the click returns at the commit
    article = page.locator("article")  # type: ignore[attr-defined]
    assert article.get_by_role("heading", name="Definitieve versies").is_visible()
    drafts = page.locator(".admonition.warning")  # type: ignore[attr-defined]
    assert drafts.first.is_visible()
    assert "gelden niet als standpunt" in drafts.first.inner_text()
    # the consultation version stands below the concept heading, not among the definitive ones
    definitive = article.locator("table").first.inner_text()
    assert "15 januari 2021" not in definitive and "12 november 2019" in definitive
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_an_earlier_version_says_so_and_leads_to_the_current_one(page: object, server: str) -> None:  # noqa: F811
    page.goto(urljoin(server, f"{SLUG}/versies/standpunt-2019-11-12/index.html"))  # type: ignore[attr-defined]
    notice = page.locator(".admonition.warning").first  # type: ignore[attr-defined]
    assert notice.is_visible()
    assert "Niet de actuele versie" in notice.inner_text()
    table = page.locator("article table").first  # type: ignore[attr-defined]
    assert notice.bounding_box()["y"] < table.bounding_box()["y"]
    notice.get_by_role("link").click()
    page.wait_for_url(f"**/{SLUG}/versies/addendum-2020-09-02/index.html")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    assert "Actuele versie" in page.locator(".admonition.note").first.inner_text()  # type: ignore[attr-defined]
    assert page.console_errors == []  # type: ignore[attr-defined]


def test_the_changes_view(page: object, server: str) -> None:  # noqa: F811
    page.goto(urljoin(server, f"{SLUG}/versies/addendum-2020-09-02/index.html"))  # type: ignore[attr-defined]
    page.get_by_role(
        "link", name="Wat is er gewijzigd sinds de versie van 12 november 2019?"
    ).click()  # type: ignore[attr-defined]
    page.wait_for_url("**/addendum-2020-09-02/wijzigingen.html")  # type: ignore[attr-defined]
    page.wait_for_load_state()  # type: ignore[attr-defined]
    text = page.locator("article").inner_text()  # type: ignore[attr-defined]
    assert "Addenda" in text and "pagina 264" in text
    # the archived PDF of a document of the version is served at its permanent address
    page.goto(urljoin(server, f"{SLUG}/versies/addendum-2020-09-02/index.html"))  # type: ignore[attr-defined]
    href = page.locator("article").get_by_role("link", name="PDF").first.get_attribute("href")  # type: ignore[attr-defined]
    response = page.request.get(urljoin(page.url, href))  # type: ignore[attr-defined]
    assert response.ok and response.body().startswith(b"%PDF")
    assert page.console_errors == []  # type: ignore[attr-defined]

"""Every word a reader sees around the pages is the site's own, in Dutch; the site opens from disk.

- [site] in dossier.toml (name, logo, footer) and its default: the issuer of the dossiers
  when they share one, else a neutral Dutch name;
- the header, <title>, footer, logo and favicon of a built site; no "Made with Material for
  MkDocs", no English 404 page; a name with markup is shown as text;
- the public check page: the snapshot's date and SHA-256 without its path, no warnings;
- the example site opened as file://…/index.html in chromium: pages load, links lead to
  pages, no console errors (the Content-Security-Policy allows the site's own files there).
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, base_files, write_files

from tooling.cli import main
from tooling.config import load_config
from tooling.diagnostics import DossierError
from tooling.html_safety import active_markup
from tooling.i18n import message
from tooling.site.views import site_chrome

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2"><rect width="2" height="2"/></svg>'
)
NAME = "Zorg & <b>Co</b>"
ENGLISH = ("Made with", "Material for MkDocs", "squidfunk", "404 - Not found", 'alt="logo"')


# --- configuration and defaults ---------------------------------------------------------------


def test_site_section_is_read_and_checked(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        {
            "dossier.toml": '[site]\nname = " Zorginstituut "\nlogo = "beeld/logo.svg"\n'
            'footer = "© Zorginstituut"\n',
            "beeld/logo.svg": LOGO,
        },
    )
    config = load_config(tmp_path)
    assert config.site_name == "Zorginstituut" and config.site_footer == "© Zorginstituut"
    assert config.site_logo == tmp_path / "beeld" / "logo.svg"
    assert load_config(tmp_path / "beeld").root == tmp_path.resolve()


@pytest.mark.parametrize(
    ("logo", "files"),
    [
        ("ontbreekt.svg", {}),  # missing
        ("../buiten.svg", {}),  # outside the project
        ("logo.txt", {"logo.txt": "geen beeld"}),  # not an image
    ],
)
def test_a_logo_must_be_an_image_inside_the_project(
    tmp_path: Path, logo: str, files: dict[str, str]
) -> None:
    (tmp_path / "buiten.svg").write_text(LOGO, encoding="utf-8")
    project = tmp_path / "project"
    write_files(project, {"dossier.toml": f'[site]\nlogo = "{logo}"\n', **files})
    with pytest.raises(DossierError, match="not an image file inside the project") as caught:
        load_config(project)
    assert str(caught.value.location) == "dossier.toml"


def test_the_name_defaults_to_the_one_issuer_else_a_neutral_name() -> None:
    one = site_chrome("", None, "", ["Zorginstituut Nederland"] * 2, "nl")
    assert one.name == "Zorginstituut Nederland" and one.footer == "Zorginstituut Nederland"
    two = site_chrome("", None, "", ["Zorginstituut Nederland", "RIZIV"], "nl")
    assert two.name == message("site.default_name") == "Standpunten en dossiers"
    assert site_chrome("", None, "", [], "nl").name == "Standpunten en dossiers"
    chosen = site_chrome("Eigen naam", None, "Voettekst", ["RIZIV"], "nl")
    assert (chosen.name, chosen.footer) == ("Eigen naam", "Voettekst")


# --- a built site -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chrome_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The base dossier built with a [site] name (with markup), a logo and a footer."""
    root = tmp_path_factory.mktemp("chrome") / "project"
    write_files(
        root,
        {
            **base_files(),
            "dossier.toml": f'[site]\nname = "{NAME}"\nlogo = "logo.svg"\nfooter = "© {NAME}"\n',
            "logo.svg": LOGO,
        },
    )
    (root / "mkdocs.yml").write_bytes((REPO / "mkdocs.yml").read_bytes())
    shutil.copytree(REPO / "templates", root / "templates")
    assert main(["--root", str(root), "build", "--quiet", "-o", str(root / "site")]) == 0
    return root / "site"


def test_name_logo_and_footer_are_the_configured_ones_shown_as_text(chrome_site: Path) -> None:
    page = (chrome_site / "base" / "index.html").read_text(encoding="utf-8")
    shown = html.escape(NAME, quote=True)
    assert f"<title>Fictieve nervusstimulatie bij testpijn - {shown}</title>" in page
    header = page.split('<div class="md-header__topic">', 1)[1].split("</div>", 1)[0]
    assert shown in header and "<b>" not in header
    footer = page.split('<div class="md-copyright">', 1)[1].split("</div>\n</div>", 1)[0]
    assert f"© {shown}" in footer and "<b>" not in footer
    assert '<img src="../assets/logo.svg" alt="">' in page
    assert '<link rel="icon" href="../assets/logo.svg">' in page
    assert (chrome_site / "assets" / "logo.svg").read_text(encoding="utf-8") == LOGO
    for built in chrome_site.rglob("*.html"):
        text = built.read_text(encoding="utf-8")
        assert active_markup(text) == [], built
        assert not [word for word in ENGLISH if word in text], built


def test_the_404_page_is_dutch(chrome_site: Path) -> None:
    page = (chrome_site / "404.html").read_text(encoding="utf-8")
    assert f"<h1>{message('site.not_found_title')}</h1>" in page
    assert message("site.not_found_home") in page and "Not found" not in page
    assert (
        page.split("<head>", 1)[1].lstrip().startswith('<meta http-equiv="Content-Security-Policy"')
    )


def test_the_example_site_has_no_words_of_the_theme_and_a_neutral_name(built_site: Path) -> None:
    name = message("site.default_name")  # the example dossiers have different issuers
    pages = sorted(built_site.rglob("*.html"))
    assert len(pages) > 20
    for built in pages:
        text = built.read_text(encoding="utf-8")
        assert not [word for word in ENGLISH if word in text], built
        assert f'<div class="md-copyright__highlight">{name}</div>' in text, built
    assert '<link rel="icon" href="assets/images/dossier.svg">' in (
        built_site / "index.html"
    ).read_text(encoding="utf-8")


def test_the_public_check_page_names_the_snapshot_but_no_path_and_no_warnings(
    built_site: Path,
) -> None:
    config = load_config(built_site.parent)
    assert config.retraction_db is not None
    page = (built_site / "controle.html").read_text(encoding="utf-8")
    article = page.split('<article class="md-content__inner', 1)[1].split("</article>", 1)[0]
    text = html.unescape(re.sub(r"<[^>]+>", " ", article))
    assert config.display(config.retraction_db) not in text and ".csv" not in text
    assert re.search(r"SHA-256:\s+[0-9a-f]{64}", text)
    assert config.retraction_snapshot_date in text
    assert "dossier check" not in text and "warning" not in text.lower()
    assert "Waarschuwingen" not in text


# --- the site opened from disk ----------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        text = f"chromium not found at {CHROMIUM}: install Debian's chromium (scripts/test does)"
        if os.environ.get("CI") == "true":
            pytest.fail(text)
        pytest.skip(text)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_the_site_works_opened_from_disk(browser: Any, built_site: Path) -> None:
    """file://…/index.html: every link of the home page, and of a dossier page, leads to a page
    that loads without console errors; the search box is left out there (no worker on file://)."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto((built_site / "index.html").as_uri())
        assert page.title() == message("site.default_name")
        assert errors == []
        visited = 0
        for start in ("index.html", "imsr-chronische-pijn/index.html"):
            page.goto((built_site / start).as_uri())
            hrefs = page.eval_on_selector_all(
                "a[href]", "els => els.map(e => e.getAttribute('href'))"
            )
            local = sorted({h.split("#")[0] for h in hrefs if not h.startswith(("#", "http"))})
            assert local and all(h.endswith((".html", ".pdf", ".docx")) for h in local), local
            for href in (h for h in local if h.endswith(".html")):
                page.goto((built_site / start).as_uri())
                page.locator(f'a[href="{href}"]').first.click()
                page.wait_for_load_state("load")
                assert page.url.startswith("file://") and page.url.split("#")[0].endswith(".html")
                assert page.locator("article h1").count() == 1, page.url
                visited += 1
        assert visited > 10
        assert errors == [], errors
    finally:
        context.close()


def _menu(page: Path) -> str:
    """The primary sidebar (the site's menu) of a built page."""
    text = page.read_text(encoding="utf-8")
    start = text.index('data-md-type="navigation"')
    return text[start : text.index('data-md-type="toc"', start)]


def test_the_menu_shows_every_dossier_or_the_pages_own(tmp_path: Path, built_site: Path) -> None:
    """[site] menu: every dossier in every menu (up to 100 dossiers by default), or only the
    page's own dossier, which keeps a page's cost the same however many dossiers there are."""
    from conftest import copy_project

    imsr, neuro = "IMSR bij chronische pijn", "Neuromodulatie bij chronische pijn"
    full = _menu(built_site / "imsr-chronische-pijn" / "index.html")
    assert imsr in full and neuro in full  # the example project: 4 dossiers, auto

    project = copy_project(tmp_path / "project")
    toml = project / "dossier.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[site]\nmenu = "dossier"\n', "utf-8")
    site = tmp_path / "site"
    assert main(["--root", str(project), "build", "--quiet", "-o", str(site)]) == 0
    own = _menu(site / "imsr-chronische-pijn" / "index.html")
    assert imsr in own and neuro not in own
    assert "Controle" in own  # top-level pages stay
    home = (site / "index.html").read_text(encoding="utf-8")
    assert neuro in home  # the home page still lists every dossier


def test_an_unknown_menu_setting_is_refused(tmp_path: Path) -> None:
    write_files(tmp_path, {**base_files(), "dossier.toml": '[site]\nmenu = "alles"\n'})
    with pytest.raises(DossierError, match="menu = 'alles' is not one of: auto, full, dossier"):
        load_config(tmp_path)

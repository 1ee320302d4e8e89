"""Tests for the static site: page generation (fast, no MkDocs) and one `dossier build` end to end."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tooling.cli import main
from tooling.config import Config, load_config
from tooling.diagnostics import DossierError
from tooling.engines.mkdocs import run_mkdocs
from tooling.i18n import message
from tooling.pipeline import Rendered, check, render

ROOT = Path(__file__).resolve().parents[1]
IMSR = "imsr-chronische-pijn"
LETTER = "brief-vra-2025-05-07"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT)


@pytest.fixture(scope="module")
def result(config: Config) -> Rendered:
    return render(check(config))


@pytest.fixture(scope="module")
def pages(result: Rendered) -> dict[str, str]:
    return dict(result.pages)


# -- page generation ----------------------------------------------------------------------------


def test_home_lists_every_dossier(result: Rendered, pages: dict[str, str]) -> None:
    home = pages["index.md"]
    for loaded in result.checked.loaded:
        assert loaded.model is not None
        assert f"]({loaded.slug}/index.md)" in home
        assert loaded.model.title in home
    imsr_row = next(line for line in home.splitlines() if f"({IMSR}/index.md)" in line)
    assert "dossier-alert" in imsr_row  # a conclusion of this dossier no longer stands
    assert "7 mei 2025" in imsr_row  # date of the latest letter and last change


def test_imsr_page_warns_that_the_conclusion_fell(pages: dict[str, str]) -> None:
    page = pages[f"{IMSR}/index.md"]
    warning = page.split("!!! danger", 1)[1].split("\n## ", 1)[0]
    assert "Chronische pijn" in warning
    # The letter of 7 May 2025 records it; no source gives a decision date (issue: no guesses).
    assert "vervallen (vastgelegd op 7 mei 2025)" in warning
    assert "De artikelen waarop deze conclusie was gebaseerd zijn teruggetrokken" in warning
    assert page.index("!!! danger") < page.index("## ")  # on top, before the first section


def test_imsr_indication_table_has_badges(pages: dict[str, str]) -> None:
    page = pages[f"{IMSR}/index.md"]
    table = page.split("## Indicaties", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in table.splitlines() if "(chronische-pijn.md)" in line)
    assert 'class="dossier-badge dossier-badge--meets"' in row
    assert 'class="dossier-badge dossier-badge--invalidated"' in row
    assert 'class="dossier-badge dossier-badge--insured"' in row
    for subgroup in ("last-resort.md", "geen-last-resort.md"):
        assert f"({subgroup})" in table
        assert f"{IMSR}/{subgroup}" in pages


def test_references_carry_retraction_badges(pages: dict[str, str]) -> None:
    references = pages[f"{IMSR}/index.md"].split("{ #literatuur }", 1)[1]
    items = [line for line in references.splitlines() if line.startswith("- ")]
    assert len(items) == 2
    for item in items:
        assert 'dossier-badge--retracted">Teruggetrokken' in item
    evidence = pages[f"{IMSR}/chronische-pijn.md"]
    assert evidence.count('dossier-badge--retracted">Teruggetrokken') == 2
    assert "Alle literatuur waarop deze conclusie rust, is teruggetrokken." in evidence


def test_indication_page_has_pico_conclusion_and_timeline(pages: dict[str, str]) -> None:
    page = pages[f"{IMSR}/chronische-pijn.md"]
    assert "!!! danger" in page
    assert "{ #imsr-2022 }" in page
    assert "## Vergoeding door de tijd" in page
    assert f"](../documenten/{IMSR}/{LETTER}.md)" in page  # where the revision was recorded
    subgroup = pages[f"{IMSR}/last-resort.md"]
    assert "## PICO" in subgroup and "Populatie\n:   " in subgroup
    assert "!!! danger" not in subgroup  # its own conclusion still stands


def test_document_pages_link_pdf_and_docx_and_warn(pages: dict[str, str]) -> None:
    letter = pages[f"documenten/{IMSR}/{LETTER}.md"]
    assert f"[PDF]({LETTER}.pdf)" in letter and f"[DOCX]({LETTER}.docx)" in letter
    assert "!!! danger" in letter  # the letter names the indication whose conclusion fell
    assert "Geachte mevrouw Goossens" in letter


def test_downloads_that_do_not_exist_are_not_linked(result: Rendered) -> None:
    pages = render(result.checked, downloads=lambda _path: False).pages
    assert ".pdf)" not in "".join(pages.values())
    assert "dossier build" in pages[f"documenten/{IMSR}/{LETTER}.md"]


def test_check_page_names_the_snapshot_and_what_it_found_for_readers(
    result: Rendered, pages: dict[str, str]
) -> None:
    """The public check page: snapshot date and SHA-256, per dossier the references and the
    flagged ones with their notice; no file paths, no warnings (those are for writers)."""
    page = pages["controle.md"]
    snapshot = result.checked.snapshot
    assert snapshot.path and snapshot.sha256 in page and snapshot.date in page
    assert snapshot.path not in page and "data/" not in page and "dossier check" not in page
    for finding in result.checked.warnings:
        assert finding.code not in page and str(finding.location) not in page
    for dossier in result.dossiers:
        loaded, title = dossier.loaded, dossier.model.title
        assert f"### {title}" in page
        section = page.split(f"### {title}")[1].split("### ")[0]
        total = len(loaded.references)
        assert f"| {total} | {len(loaded.flags)} |" in page  # the dossier's row of the table
        assert "referentie" in section if total else "geen literatuur" in section
        for key, notice in loaded.flags.items():
            assert f"**[{dossier.numbers[key]}]**" in section
            assert message(f"ref.flag.{notice.nature.value}") in section


def test_generation_is_pure_and_nav_targets_exist(result: Rendered, pages: dict[str, str]) -> None:
    assert render(result.checked).pages == pages

    def targets(nav: Any) -> Iterator[str]:
        if isinstance(nav, str):
            yield nav
        elif isinstance(nav, list):
            for item in nav:
                yield from targets(item)
        else:
            for value in nav.values():
                yield from targets(value)

    listed = list(targets(result.nav))
    assert sorted(listed) == sorted(pages)  # every page in the nav, once


def test_mkdocs_warnings_fail_the_build_with_a_message(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("# Start\n\n[kapot](bestaat-niet.md)\n", encoding="utf-8")
    with pytest.raises(DossierError) as caught:
        run_mkdocs(ROOT / "mkdocs.yml", docs, tmp_path / "site", [{"Start": "index.md"}])
    text = str(caught.value)
    assert "strict mode" in text and "bestaat-niet.md" in text
    assert "Traceback" not in text


# -- `dossier build` end to end ---------------------------------------------------------------


def run(args: list[str]) -> tuple[int, str]:
    """`dossier <args>` in-process; returns the exit code and stderr."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def built(built_site: Path) -> Path:
    """The project that the shared `built_site` fixture built (its site in ``site/``)."""
    return built_site.parent


def test_build_writes_the_site(built: Path) -> None:
    site = built / "site"
    assert (site / "index.html").is_file()
    assert (site / IMSR / "index.html").is_file()
    assert (site / "controle.html").is_file()  # use_directory_urls: false (file:// works)
    assert (site / "stylesheets" / "dossier.css").is_file()
    pdf = site / "documenten" / IMSR / f"{LETTER}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert (site / "documenten" / IMSR / f"{LETTER}.docx").is_file()
    html = (site / IMSR / "index.html").read_text(encoding="utf-8")
    assert 'class="admonition danger"' in html and "7 mei 2025" in html
    assert '<html lang="nl"' in (site / "index.html").read_text(encoding="utf-8")
    assert not list(built.glob(".*docs*")) and not list(built.glob(".site*"))  # no leftovers


def test_site_links_are_relative_and_offline(built: Path) -> None:
    """Served by `python -m http.server` from any folder: no root-absolute links, no CDN.

    MkDocs' 404.html is the exception: a web server shows it for any missing path, so its links
    start at the site root (http.server never shows it).
    """
    for page in (built / "site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if page.name != "404.html":
            assert not re.search(r'(?:href|src)="/(?!/)', html), page
        assert "fonts.googleapis.com" not in html and "cdn.jsdelivr" not in html, page


def test_failed_build_keeps_the_previous_site(built: Path, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(built, root)
    before = (root / "site" / "index.html").read_bytes()
    dossier = root / "dossiers" / IMSR / "dossier.yaml"
    dossier.write_text(dossier.read_text(encoding="utf-8") + "onbekend: 1\n", encoding="utf-8")
    code, err = run(["--root", str(root), "build", "--quiet"])
    assert code == 1
    assert "unknown key 'onbekend'" in err and "nothing was written" in err
    assert (root / "site" / "index.html").read_bytes() == before


def test_a_failed_mkdocs_build_is_reported_and_keeps_the_previous_site(
    built: Path, tmp_path: Path
) -> None:
    """MkDocs runs in a process of its own (tooling.engines.mkdocs); its failure comes back."""
    root = tmp_path / "project"
    shutil.copytree(built, root)
    before = (root / "site" / "index.html").read_bytes()
    mkdocs_yml = root / "mkdocs.yml"
    mkdocs_yml.write_text(
        mkdocs_yml.read_text(encoding="utf-8").replace(
            "  - def_list\n", "  - def_list\n  - geen_bestaande_extensie\n"
        ),
        encoding="utf-8",
    )
    code, err = run(["--root", str(root), "build", "--quiet"])
    assert code == 2, err
    assert "the site build failed (MkDocs, strict mode)" in err
    assert "geen_bestaande_extensie" in err and "Traceback" not in err
    assert (root / "site" / "index.html").read_bytes() == before


def test_mkdocs_process_builds_like_mkdocs_in_this_process(built: Path, tmp_path: Path) -> None:
    from tooling.engines import mkdocs as engine

    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "index.md").write_text("# Start\n\n[Verder](sub/verder.md)\n", encoding="utf-8")
    (docs / "sub" / "verder.md").write_text("# Verder\n", encoding="utf-8")
    nav = [{"Start": "index.md"}, {"Verder": "sub/verder.md"}]
    with engine.warm_up(built / "mkdocs.yml"):
        assert engine._warm is not None and engine._warm._process is not None
        assert engine._warm._process.is_alive()
        engine.build(built / "mkdocs.yml", docs, tmp_path / "there", nav)
    run_mkdocs(built / "mkdocs.yml", docs, tmp_path / "here", nav)
    for page in ("index.html", "sub/verder.html"):
        assert (tmp_path / "there" / page).read_bytes() == (tmp_path / "here" / page).read_bytes()


def test_a_concept_is_marked_on_every_page_of_it(pages: dict[str, str]) -> None:
    """IMSR is a concept dossier: each of its pages says so; its letter, sent, does not.

    A released version's pages (``<dossier>/versies/<id>/``) are frozen: they carry their
    version's own status (tests/test_versions.py), not the dossier's of today.
    """
    own = {
        path: text
        for path, text in pages.items()
        if (path.startswith(f"{IMSR}/") and not path.startswith(f"{IMSR}/versies/"))
        or path == f"{IMSR}/versies/index.md"
    }
    assert own
    for path, text in own.items():
        assert '!!! warning "Concept"' in text, path
    assert '!!! warning "Concept"' not in pages[f"documenten/{IMSR}/{LETTER}.md"]
    assert '!!! warning "Concept"' not in pages["neuromodulatie-chronische-pijn/index.md"]

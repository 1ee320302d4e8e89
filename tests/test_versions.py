"""Released versions: `dossier release`, their archives and manifests, and the site's history.

One copy of the example project gets three released versions of the neuromodulation dossier
(the position of 2019-11-12, the addendum of 2020-09-02, and a consultation version made up
for this test only) and is built once; the tests read the archives, the PDFs and the site.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from conftest import RunCli, copy_project
from pypdf import PdfReader

from tooling.cli import main

SLUG = "neuromodulatie-chronische-pijn"
RELEASED = ("standpunt-2019-11-12", "addendum-2020-09-02", "consultatie-2021")
CONSULTATION = """  - id: consultatie-2021
    date: 2021-01-15
    status: consultation
    consultation_until: 2021-02-15
    documents: [standpunt]
"""


def pdf_text(data: bytes) -> str:
    return " ".join((p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages)


def normal(text: str) -> str:
    return " ".join(text.split())


def build(project: Path, out: Path) -> Path:
    assert main(["--root", str(project), "build", "--quiet", "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project with three released versions of the neuromodulation dossier."""
    root = copy_project(tmp_path_factory.mktemp("versions") / "project")
    shutil.rmtree(root / "dossiers" / SLUG / "versies", ignore_errors=True)  # released anew
    yaml_file = root / "dossiers" / SLUG / "dossier.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    yaml_file.write_text(text.rstrip("\n") + "\n" + CONSULTATION, encoding="utf-8")
    for version in RELEASED:
        assert main(["--root", str(root), "release", SLUG, version, "--quiet"]) == 0
    return root


@pytest.fixture(scope="module")
def site(project: Path) -> Path:
    return build(project, project / "site")


def copy_without_site(project: Path, copy: Path) -> None:
    """The project with its archives, without the built site (templates/site stays)."""
    shutil.copytree(project, copy, ignore=lambda d, _: ["site"] if Path(d) == project else [])


def archive(project: Path, version: str) -> Path:
    return project / "dossiers" / SLUG / "versies" / version


# -- the archives ----------------------------------------------------------------------------------


def test_an_archive_holds_sources_documents_and_manifest(project: Path) -> None:
    folder = archive(project, "standpunt-2019-11-12")
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    for name in (
        "manifest.json",
        "dossier.yaml",
        "references.bib",
        "documenten/standpunt.md",
        "documenten/standpunt.pdf",
        "documenten/standpunt.docx",
    ):
        assert name in names
    assert main(["--root", str(project), "check", "--quiet"]) == 0


def test_a_version_is_rendered_as_of_its_date(project: Path) -> None:
    """The 2019 position without the 2020 addendum; the addendum's version has it."""
    position = pdf_text(
        (archive(project, "standpunt-2019-11-12") / "documenten/standpunt.pdf").read_bytes()
    )
    assert "neuromodulatie" in position.lower()
    assert "pagina 264" not in normal(position)
    addendum = pdf_text(
        (
            archive(project, "addendum-2020-09-02") / "documenten/addendum-2020-09-02.pdf"
        ).read_bytes()
    )
    assert "pagina 264" in normal(addendum)


def test_a_consultation_version_has_the_concept_watermark(project: Path) -> None:
    concept = pdf_text(
        (archive(project, "consultatie-2021") / "documenten/standpunt.pdf").read_bytes()
    )
    definitive = pdf_text(
        (archive(project, "standpunt-2019-11-12") / "documenten/standpunt.pdf").read_bytes()
    )
    assert "CONCEPT" in concept
    assert "CONCEPT" not in definitive


def test_a_released_version_is_never_replaced(project: Path, run_cli: RunCli) -> None:
    before = (archive(project, "standpunt-2019-11-12") / "manifest.json").read_bytes()
    code, _, err = run_cli(["release", SLUG, "standpunt-2019-11-12"], cwd=project)
    assert code == 2 and "already released" in err
    assert (archive(project, "standpunt-2019-11-12") / "manifest.json").read_bytes() == before
    code, _, err = run_cli(["release", SLUG, "nergens-2030"], cwd=project)
    assert code == 2 and "lists no version 'nergens-2030'" in err
    code, _, err = run_cli(["release", "geen-dossier", "v1"], cwd=project)
    assert code == 2 and "no dossier 'geen-dossier'" in err


def test_a_released_version_is_not_a_dossier_to_check(project: Path, run_cli: RunCli) -> None:
    code, _, err = run_cli(["check", str(archive(project, "standpunt-2019-11-12"))], cwd=project)
    assert code == 2 and "released version of dossier" in err


@pytest.mark.parametrize("damage", ["changed", "missing", "extra", "manifest"])
def test_a_damaged_archive_fails_the_check(
    damage: str, project: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    """Changed, missing or extra file: `dossier check` exits 1 and names the file."""
    copy = tmp_path / "project"
    copy_without_site(project, copy)
    folder = archive(copy, "standpunt-2019-11-12")
    shown = f"dossiers/{SLUG}/versies/standpunt-2019-11-12"
    if damage == "changed":
        pdf = folder / "documenten/standpunt.pdf"
        pdf.write_bytes(pdf.read_bytes() + b"\n%")
        expected = f"{shown}/documenten/standpunt.pdf: version-archive error: file 'documenten/standpunt.pdf'"
    elif damage == "missing":
        (folder / "references.bib").unlink()
        expected = f"{shown}/references.bib: version-archive error: file 'references.bib'"
    elif damage == "extra":
        (folder / "documenten" / "notities.txt").write_text("x", encoding="utf-8")
        expected = f"{shown}/documenten/notities.txt: version-archive error: file 'documenten/notities.txt' in released version"
    else:
        (folder / "manifest.json").write_text("{", encoding="utf-8")
        expected = f"{shown}/manifest.json: version-archive error: manifest.json is not valid JSON"
    code, out, _ = run_cli(["check"], cwd=copy)
    assert code == 1
    assert expected in out, out


def test_a_version_changed_in_dossier_yaml_no_longer_matches_its_archive(
    project: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    copy = tmp_path / "project"
    copy_without_site(project, copy)
    yaml_file = copy / "dossiers" / SLUG / "dossier.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    old = "  - id: standpunt-2019-11-12\n    date: 2019-11-12\n"
    assert old in text
    yaml_file.write_text(text.replace(old, "  - id: standpunt-2019-11-12\n    date: 2019-11-13\n"))
    code, out, _ = run_cli(["check"], cwd=copy)
    assert code == 1
    assert "released with date '2019-11-12', but dossier.yaml now says '2019-11-13'" in out


# -- the site ----------------------------------------------------------------------------------------


def test_every_released_version_has_a_stable_address(project: Path, site: Path) -> None:
    for version in RELEASED:
        base = site / SLUG / "versies" / version
        assert (base / "index.html").is_file(), version
        folder = archive(project, version)
        for pdf in (folder / "documenten").glob("*.pdf"):
            for extension in ("pdf", "docx"):
                name = f"documenten/{pdf.stem}.{extension}"
                assert (base / name).read_bytes() == (folder / name).read_bytes(), name
            assert (base / "documenten" / f"{pdf.stem}.html").is_file()
    assert (site / SLUG / "versies" / "addendum-2020-09-02" / "wijzigingen.html").is_file()


def page_text(path: Path) -> str:
    import html
    import re

    text = path.read_text(encoding="utf-8")
    article = re.search(r"<article.*?</article>", text, re.S)
    assert article is not None
    return normal(html.unescape(re.sub(r"<[^>]+>", " ", article.group(0))))


def test_an_earlier_version_says_it_is_not_the_current_one(site: Path) -> None:
    old = site / SLUG / "versies" / "standpunt-2019-11-12" / "index.html"
    text = page_text(old)
    assert "Niet de actuele versie" in text
    assert 'href="../addendum-2020-09-02/index.html"' in old.read_text(encoding="utf-8")
    current = page_text(site / SLUG / "versies" / "addendum-2020-09-02" / "index.html")
    assert "Niet de actuele versie" not in current and "Actuele versie" in current


def test_concept_versions_stand_apart_from_the_current_positions(site: Path) -> None:
    text = page_text(site / SLUG / "versies" / "index.html")
    definitive, _, drafts = text.partition("Concept- en consultatieversies")
    assert drafts, "the concept and consultation versions have a section of their own"
    assert "15 januari 2021" in drafts and "15 januari 2021" not in definitive
    assert "Reageren kan tot en met 15 februari 2021" in drafts
    assert "12 november 2019" in definitive
    page = page_text(site / SLUG / "versies" / "consultatie-2021" / "index.html")
    assert "consultatieversie" in page and "15 februari 2021" in page
    assert "Niet de actuele versie" not in page
    home = page_text(site / "index.html")
    assert "consultatie" not in home.lower()


def test_superseded_positions_are_linked_both_ways(site: Path) -> None:
    versions = page_text(site / SLUG / "versies" / "index.html")
    assert versions.count("Vervallen sinds 12 november 2019, vervangen door") == 2
    assert "Standpunt neuromodulatie bij chronische pijn (Zorginstituut Nederland)" in versions
    dossier = (site / SLUG / "index.html").read_text(encoding="utf-8")
    position = (site / "documenten" / SLUG / "standpunt.html").read_text(encoding="utf-8")
    for old in ("standpunt-2007-a", "standpunt-2007-b"):
        assert f'href="versies/index.html#vervallen-{old}"' in dossier
        assert f'href="../../{SLUG}/versies/index.html#vervallen-{old}"' in position
        assert f'id="vervallen-{old}"' in (site / SLUG / "versies" / "index.html").read_text(
            encoding="utf-8"
        )


def test_the_changes_page_lists_what_changed(site: Path) -> None:
    text = page_text(site / SLUG / "versies" / "addendum-2020-09-02" / "wijzigingen.html")
    assert "12 november 2019" in text and "2 september 2020" in text
    assert "pagina 264" in text


def test_earlier_versions_stay_byte_identical_when_the_dossier_changes(
    project: Path, site: Path, tmp_path: Path
) -> None:
    """Change the current dossier (its prose, its title, an indication's name: what the site's
    menu shows), rebuild: every file under every released version's address is byte for
    byte what it was."""
    copy = tmp_path / "project"
    copy_without_site(project, copy)
    yaml_file = copy / "dossiers" / SLUG / "dossier.yaml"
    text = yaml_file.read_text(encoding="utf-8")
    edits = {
        "Dit standpunt is tot stand gekomen in nauwe samenwerking": "Dit standpunt kwam tot "
        "stand in samenwerking",
        "\ntitle: Neuromodulatie bij chronische pijn\n": "\ntitle: Neuromodulatie (hernoemd)\n",
        "    name: Failed back surgery syndroom\n": "    name: Failed back surgery (hernoemd)\n",
    }
    for old, new in edits.items():
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    yaml_file.write_text(text, encoding="utf-8")
    again = build(copy, copy / "site")
    position = Path("documenten") / SLUG / "standpunt.html"
    changed = (again / position).read_bytes() != (site / position).read_bytes()
    assert changed, "the current position's page shows the change"
    home = (again / "index.html").read_text(encoding="utf-8")
    assert "Neuromodulatie (hernoemd)" in home and "Failed back surgery (hernoemd)" in (
        again / SLUG / "index.html"
    ).read_text(encoding="utf-8")
    for version in RELEASED:
        before = site / SLUG / "versies" / version
        after = again / SLUG / "versies" / version
        files = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
        assert files and files == sorted(
            p.relative_to(after) for p in after.rglob("*") if p.is_file()
        )
        for name in files:
            assert (before / name).read_bytes() == (after / name).read_bytes(), f"{version}/{name}"


def test_a_released_versions_pages_show_no_site_menu(site: Path) -> None:
    """The menu and the previous/next links come from the whole site, so a version's pages
    leave them out (docs/history.md); the header still leads home."""
    current = (site / SLUG / "index.html").read_text(encoding="utf-8")
    assert 'data-md-type="navigation"' in current
    for page in (site / SLUG / "versies").glob("*/**/*.html"):
        html = page.read_text(encoding="utf-8")
        assert 'data-md-type="navigation"' not in html, page
        assert 'rel="prev"' not in html and 'rel="next"' not in html, page
        assert "md-header__button md-logo" in html, page
    listing = (site / SLUG / "versies" / "index.html").read_text(encoding="utf-8")
    assert 'data-md-type="navigation"' in listing  # the history itself is a page of the site

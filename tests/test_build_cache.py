"""The build cache (tooling/build_cache.py, tooling/engines/page_cache.py): a rebuild redoes
only what changed, and its output is a cold build's, byte for byte.

Every test here builds twice or more with the cache and holds the result to a build without
it (`--no-cache`) of the same inputs; what was taken from the cache is read from the build's
progress lines ("1 PDF (5 unchanged, from the cache)", "pages: 90 of 96 unchanged").
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, RunCli, base_files, copy_project, write_files

import tooling
from tooling import build_cache
from tooling.build_cache import BuildCache
from tooling.config import load_config
from tooling.pipeline import Published, build


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def _build(project: Path, out: Path, *, cache: bool = True) -> list[str]:
    """Build the project's site into ``out``; its progress lines."""
    lines: list[str] = []
    result = build(load_config(project), (), out, progress=lines.append, cache=cache)
    assert isinstance(result, Published), result
    return lines


def _counts(lines: list[str]) -> dict[str, tuple[int, int]]:
    """What each kind of output made anew and took from the cache: kind -> (made, kept)."""
    found: dict[str, tuple[int, int]] = {}
    for line in lines:
        for made, kind, kept in re.findall(
            r"(\d+) (PDF|DOCX)(?: \((\d+) unchanged, from the cache\))?", line
        ):
            found[kind] = (int(made), int(kept or 0))
        if match := re.match(r"pages: (\d+) of (\d+) unchanged, from the cache", line):
            kept, total = int(match[1]), int(match[2])
            found["pages"] = (total - kept, kept)
    return found


def _same(one: Path, two: Path) -> None:
    first, second = _tree(one), _tree(two)
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_rebuild_after_an_edit_remakes_only_that_and_is_the_cold_build(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    first = _counts(_build(project, tmp_path / "first"))
    assert first["PDF"][1] == first["pages"][1] == 0  # an empty cache: everything made
    again = _counts(_build(project, tmp_path / "again"))
    assert again["PDF"][0] == again["DOCX"][0] == again["pages"][0] == 0  # nothing changed
    _same(tmp_path / "first", tmp_path / "again")

    dossier = project / "dossiers" / "imsr-chronische-pijn" / "dossier.yaml"
    _edit(dossier, "summary: >-\n", "summary: >-\n  Gewijzigd voor de test.\n")
    edited = _counts(_build(project, tmp_path / "edited"))
    _build(project, tmp_path / "cold", cache=False)
    _same(tmp_path / "edited", tmp_path / "cold")
    # only what shows the edited dossier was made again
    assert 0 < edited["pages"][0] < edited["pages"][1]
    assert edited["PDF"][1] > 0 and edited["DOCX"][1] > 0


def _small_project(root: Path) -> Path:
    """Two small dossiers (``base`` and ``tweede``, citing a reference of its own), with the
    repository's templates and mkdocs.yml and an empty retraction snapshot."""
    files = {**base_files("dossiers/base"), **base_files("dossiers/tweede")}
    bib = "dossiers/tweede/references.bib"
    files[bib] = str(files[bib]).replace("10.5555/fictief.2018.003", "10.5555/tweede.2018.003")
    files["data/rw.csv"] = CSV_HEADER
    files["dossier.toml"] = '[retractions]\ndatabase = "data/rw.csv"\n'
    write_files(root, files)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


CSV_HEADER = (
    "Record ID,Title,Subject,Institution,Journal,Publisher,Country,Author,URLS,ArticleType,"
    "RetractionDate,RetractionDOI,RetractionPubMedID,OriginalPaperDate,OriginalPaperDOI,"
    "OriginalPaperPubMedID,RetractionNature,Reason,Paywalled,Notes\n"
)
CONCERN = (  # fictitious: an expression of concern about the reference only `tweede` cites
    '7001,"Fictief artikel",(HSC) Medicine,Fictief Instituut,Tijdschrift,Uitgever,'
    "Netherlands,A. Auteur,,Research Article;,3/1/2024 0:00,10.5555/notice.7001,0,"
    "1/1/2018 0:00,10.5555/tweede.2018.003,0,Expression of concern,+Concerns/Issues About Data;,"
    "No,\n"
)


def test_a_template_change_remakes_exactly_what_uses_it(tmp_path: Path) -> None:
    project = _small_project(tmp_path / "project")
    full = _counts(_build(project, tmp_path / "a"))
    documents, pages = sum(full["PDF"]), sum(full["pages"])

    with (project / "templates" / "pdf" / "letter.typst").open("a", encoding="utf-8") as file:
        file.write("\n// a comment: the PDF template changed\n")
    after_pdf = _counts(_build(project, tmp_path / "b"))
    assert after_pdf["PDF"] == (documents, 0)  # every PDF depends on the templates folder
    assert after_pdf["pages"] == (0, pages)  # no page does

    _edit(project / "templates" / "letter.md.j2", "{{ body }}", "Gewijzigd.\n\n{{ body }}")
    after_letter = _counts(_build(project, tmp_path / "c"))
    # the letter of each dossier as a page and a DOCX; its PDF lays the letter out itself
    assert after_letter["DOCX"] == (2, documents - 2)
    assert after_letter["PDF"] == (0, documents)
    assert 0 < after_letter["pages"][0] < pages

    override = project / "templates" / "site" / "overrides" / "main.html"
    with override.open("a", encoding="utf-8") as file:
        file.write("\n{# the theme override changed #}\n")
    after_theme = _counts(_build(project, tmp_path / "d"))
    assert after_theme["pages"] == (pages, 0)
    assert after_theme["PDF"] == (0, documents)

    _build(project, tmp_path / "cold", cache=False)
    _same(tmp_path / "d", tmp_path / "cold")


def test_a_new_retraction_snapshot_remakes_the_outputs_it_changes(tmp_path: Path) -> None:
    project = _small_project(tmp_path / "project")
    before = _counts(_build(project, tmp_path / "before"))
    documents = sum(before["PDF"])
    with (project / "data" / "rw.csv").open("a", encoding="utf-8") as file:
        file.write(CONCERN)
    after = _counts(_build(project, tmp_path / "after"))
    _build(project, tmp_path / "cold", cache=False)
    _same(tmp_path / "after", tmp_path / "cold")
    old, new = _tree(tmp_path / "before"), _tree(tmp_path / "after")
    changed = {name for name in new if old.get(name) != new[name]}
    assert "tweede/index.html" in changed and "documenten/tweede/standpunt.pdf" in changed
    assert {n for n in changed if "base/" in n} == set()  # base cites none of it
    made, kept = after["PDF"]
    assert 0 < made < documents and kept >= documents // 2  # base's documents were kept
    assert 0 < after["pages"][0] < sum(after["pages"])


def test_a_new_toolkit_remakes_everything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _small_project(tmp_path / "project")
    first = _counts(_build(project, tmp_path / "a"))
    build_cache.toolkit_fingerprint.cache_clear()
    monkeypatch.setattr(tooling, "__version__", "999.0")
    try:
        later = _counts(_build(project, tmp_path / "b"))
    finally:
        build_cache.toolkit_fingerprint.cache_clear()
    assert later["PDF"] == (sum(first["PDF"]), 0)
    assert later["DOCX"] == (sum(first["DOCX"]), 0)
    assert later["pages"] == (sum(first["pages"]), 0)


def test_the_cache_keeps_to_its_limit_dropping_what_was_used_longest_ago(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache", limit_bytes=3_500)
    for number in range(6):
        cache.put("pdf", f"{number:064x}", bytes(1_000))
        os.utime(cache._path("pdf", f"{number:064x}"), (1_000 + number, 1_000 + number))
    assert cache.get("pdf", f"{0:064x}") == bytes(1_000)  # used now: the newest
    assert cache.trim() == 3_000
    assert cache.size() == 3_000
    kept = [n for n in range(6) if cache.get("pdf", f"{n:064x}") is not None]
    assert kept == [0, 4, 5]


def test_no_cache_builds_without_one_and_clean_removes_it(run_cli: RunCli, tmp_path: Path) -> None:
    project = _small_project(tmp_path / "project")
    code, _, err = run_cli(["build", "--no-cache", "-o", "site"], cwd=project)
    assert code == 0, err
    assert not (project / ".dossier-cache" / "build").exists()
    code, _, err = run_cli(["build", "-o", "site"], cwd=project)
    assert code == 0, err
    assert any((project / ".dossier-cache" / "build").rglob("*"))
    code, out, _ = run_cli(["clean"], cwd=project)
    assert code == 0
    assert re.fullmatch(r"removed \.dossier-cache \(\d+\.\d MB\)\n", out)
    assert not (project / ".dossier-cache").exists()
    assert (project / "site" / "index.html").is_file()  # the site is not the cache's


def test_a_cache_folder_that_leads_outside_the_project_is_refused(
    run_cli: RunCli, tmp_path: Path
) -> None:
    project = _small_project(tmp_path / "project")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / ".dossier-cache").symlink_to(elsewhere)
    code, _, err = run_cli(["build", "-o", "site"], cwd=project)
    assert code == 2
    assert ".dossier-cache: error: the cache folder .dossier-cache is a link" in err
    assert "Traceback" not in err
    for verb in (["check"], ["build", "--no-cache", "-o", "site"]):  # no cache at all
        assert run_cli(verb, cwd=project)[0] == 2
    assert list(elsewhere.iterdir()) == []
    assert run_cli(["clean"], cwd=project)[0] == 0
    assert not (project / ".dossier-cache").exists() and elsewhere.is_dir()


def test_a_cache_that_cannot_be_written_is_no_cache(tmp_path: Path) -> None:
    project = _small_project(tmp_path / "project")
    (project / ".dossier-cache").mkdir()
    (project / ".dossier-cache" / "build").write_text("not a folder", encoding="utf-8")
    _build(project, tmp_path / "a")
    _build(project, tmp_path / "cold", cache=False)
    _same(tmp_path / "a", tmp_path / "cold")


def _mkdocs_project(root: Path, plugins: str = "  - search\n") -> Path:
    """Twenty pages that each link to the next one's heading."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    for i in range(20):
        text = (
            f"# Titel {i}\n\nZie [de volgende](page-{(i + 1) % 20:02}.md#titel-{(i + 1) % 20}).\n"
        )
        (docs / f"page-{i:02}.md").write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        f"site_name: Proef\ntheme:\n  name: material\nplugins:\n{plugins}", encoding="utf-8"
    )
    return root / "mkdocs.yml"


def _mkdocs(config_file: Path, site: Path, cache: Path) -> str:
    from mkdocs.config import load_config as load_mkdocs

    from tooling.engines import mkdocs_parallel

    config = load_mkdocs(config_file=str(config_file), site_dir=str(site), strict=True)
    return mkdocs_parallel.build(config, cache=cache, fork=False)


def test_a_kept_page_whose_link_target_is_gone_warns_as_in_a_cold_build(tmp_path: Path) -> None:
    from mkdocs.exceptions import Abort

    config_file = _mkdocs_project(tmp_path)
    cache = tmp_path / "cache"
    assert _mkdocs(config_file, tmp_path / "a", cache).startswith("0 of 20 unchanged")
    assert _mkdocs(config_file, tmp_path / "b", cache).startswith("20 of 20 unchanged")
    (tmp_path / "docs" / "page-05.md").unlink()
    with pytest.raises(Abort, match="strict mode"):
        _mkdocs(config_file, tmp_path / "c", cache)  # page-04 links to it: not found


def test_a_plugin_the_cache_does_not_know_switches_the_page_cache_off(tmp_path: Path) -> None:
    config_file = _mkdocs_project(tmp_path, "  - search\n  - tags\n")
    cache = tmp_path / "cache"
    assert _mkdocs(config_file, tmp_path / "a", cache) == ""
    assert _mkdocs(config_file, tmp_path / "b", cache) == ""
    assert not cache.exists()


def test_the_limit_holds_for_what_another_process_wrote(tmp_path: Path) -> None:
    # The site build keeps pages from MkDocs' process; the trim after it must count them.
    folder = tmp_path / "cache"
    first = BuildCache(folder, limit_bytes=10_000)
    first.put("pdf", f"{1:064x}", bytes(1_000))
    assert first.trim() == 0  # counted: 1,000 bytes noted
    pages = BuildCache(folder, limit_bytes=0)  # as engines.page_cache opens it
    for number in range(2, 12):
        pages.put("page", f"{number:064x}", bytes(1_000))
    pages.count_written()
    later = BuildCache(folder, limit_bytes=10_000)
    assert later.trim() == 1_000  # 11,000 bytes noted: counted, and the oldest removed
    assert later.size() == 10_000


def test_a_cache_well_within_its_limit_is_not_counted_every_time(tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache", limit_bytes=100_000)
    cache.put("pdf", f"{1:064x}", bytes(1_000))
    cache.trim()
    counted: list[int] = []
    real = cache._entries
    cache._entries = lambda: counted.append(1) or real()  # type: ignore[method-assign]
    cache.put("pdf", f"{2:064x}", bytes(1_000))
    assert cache.trim() == 0 and counted == []  # 2,000 of 75,000 allowed without counting
    cache.put("pdf", f"{3:064x}", bytes(80_000))
    cache.trim()
    assert counted == [1]  # past three quarters of the limit: counted again

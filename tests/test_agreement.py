"""Every output of a dossier agrees: the same citation numbers and the same notices everywhere.

One dossier (the base fixture, its 2021 conclusion invalidated) is built once with
`dossier build`; its Markdown, PDF and DOCX documents and its site pages are read back and
compared. The rule for notices (tooling.facts.NOTICE_IN_TEXT): the position carries the notice
in its own text, in every output; a letter stays as it was sent (no notice in its Markdown,
PDF or DOCX) and its site page shows the notice beside it.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import BASE_DIR, REPO, base_files
from pypdf import PdfReader

from tooling.citations import format_authors
from tooling.cli import main
from tooling.config import load_config
from tooling.i18n import message
from tooling.pipeline import Rendered, check, render

Y = f"{BASE_DIR}/dossier.yaml"
NOTICE = message("notice.fallen_title")  # "Let op: een conclusie staat niet meer"
REVISION = (
    "        revision:\n"
    "          kind: invalidated\n"
    "          date: 2024-01-10\n"
    "          reason: De onderliggende studies zijn teruggetrokken.\n"
)


def squash(text: str) -> str:
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text)


def pdf_text(path: Path) -> str:
    return squash("".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages))


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    return squash(html.unescape(re.sub(r"<[^>]+>", "", xml)))


def page_text(path: Path) -> str:
    """The article of a site page as text (the navigation repeats titles of other pages)."""
    page = path.read_text(encoding="utf-8")
    article = page.split('<article class="md-content__inner', 1)[1].split("</article>", 1)[0]
    return squash(html.unescape(re.sub(r"<[^>]+>", "", article)))


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Rendered]:
    files = base_files()
    text = files[Y]
    assert isinstance(text, str)
    anchor = "        rationale: Twee verzonnen studies [@devries2019, p. 3].\n"
    files[Y] = text.replace(anchor, anchor + REVISION)
    root = tmp_path_factory.mktemp("agreement")
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(str(content), encoding="utf-8")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")  # the site, as in the repository
    shutil.copytree(REPO / "templates", root / "templates")
    assert main(["--root", str(root), "build", "--quiet", "-o", str(root / "site")]) == 0
    checked = check(load_config(root))
    return root, render(checked)


def outputs(root: Path, doc_id: str) -> dict[str, str]:
    folder = root / "site" / "documenten" / "base"
    return {
        "markdown": squash((folder / f"{doc_id}.md").read_text(encoding="utf-8"))
        if (folder / f"{doc_id}.md").exists()
        else "",
        "pdf": pdf_text(folder / f"{doc_id}.pdf"),
        "docx": docx_text(folder / f"{doc_id}.docx"),
        "site page": page_text(folder / f"{doc_id}.html"),  # use_directory_urls: false
    }


def test_position_carries_the_notice_in_every_output(project: tuple[Path, Rendered]) -> None:
    root, rendered = project
    (dossier,) = rendered.dossiers
    position = next(d for d in dossier.documents if d.kind == "position")
    assert squash(NOTICE) in squash(position.markdown)
    for name, text in outputs(root, position.id).items():
        if name == "markdown":
            continue  # the site's document page replaces the plain Markdown file
        assert text.count(squash(NOTICE)) == 1, name  # once: not again beside it on the page


def test_a_letter_stays_as_sent_and_its_page_shows_the_notice(
    project: tuple[Path, Rendered],
) -> None:
    root, rendered = project
    (dossier,) = rendered.dossiers
    letter = next(d for d in dossier.documents if d.kind == "letter")
    assert squash(NOTICE) not in squash(letter.markdown)
    found = outputs(root, letter.id)
    assert squash(NOTICE) not in found["pdf"] and squash(NOTICE) not in found["docx"]
    assert found["site page"].count(squash(NOTICE)) == 1


def test_every_output_numbers_each_reference_the_same(project: tuple[Path, Rendered]) -> None:
    root, rendered = project
    (dossier,) = rendered.dossiers
    loaded = dossier.loaded
    assert sorted(dossier.numbers.values()) == list(range(1, len(dossier.numbers) + 1))
    for doc in dossier.documents:
        cited = [k for k in dossier.numbers if f"[{dossier.numbers[k]}" in doc.markdown]
        for name, text in outputs(root, doc.id).items():
            if name == "markdown":
                continue
            for key in cited:
                authors = format_authors(loaded.references[key].fields["author"])
                entry = squash(f"[{dossier.numbers[key]}] {authors}")[:12]
                assert entry in text, (doc.id, name, key)
    dossier_page = page_text(root / "site" / "base" / "index.html")
    for key, number in dossier.numbers.items():
        title = squash(loaded.references[key].title)[:30]
        assert f"[{number}]" in dossier_page.split(title)[0][-400:], key


def test_the_position_numbers_citations_in_order_of_first_appearance(
    project: tuple[Path, Rendered],
) -> None:
    _, rendered = project
    (dossier,) = rendered.dossiers
    position = next(d for d in dossier.documents if d.kind == "position")
    body = position.markdown.split(f"## {message('doc.references')}")[0]
    first_seen: list[int] = []
    for group in re.findall(r"\[(\d+(?:[^\]]*?,\s*\d+)*)[^\]]*\]", body):
        for number in re.findall(r"\d+", group):
            if int(number) not in first_seen:
                first_seen.append(int(number))
    assert first_seen == sorted(first_seen) and first_seen[0] == 1, first_seen


def test_one_reference_one_number_across_the_dossier(project: tuple[Path, Rendered]) -> None:
    """The letter cites bakker2018 apart; it keeps the number the position gave it."""
    _, rendered = project
    (dossier,) = rendered.dossiers
    number = dossier.numbers["bakker2018"]
    for doc in dossier.documents:
        if "bakker" in doc.markdown.lower():
            assert f"\\[{number}\\] Bakker D." in doc.markdown, doc.id

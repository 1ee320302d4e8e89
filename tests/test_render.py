"""Rendering the example dossiers: every kind of document, read back from PDF and DOCX.

Expected values come from the dossier model (so these tests prove the pipeline carries the
facts through); `test_seed_fidelity.py` proves the model holds the seeds' facts.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from conftest import REPO, copy_project
from pypdf import PdfReader

from tooling.config import load_config
from tooling.documents import Document
from tooling.facts import indication_index
from tooling.model import Dossier
from tooling.pdf import render_pdf
from tooling.pipeline import Rendered, check, render
from tooling.publishing import write_documents
from tooling.templating import format_partial_date

IMSR = "imsr-chronische-pijn"
NEURO = "neuromodulatie-chronische-pijn"
IMSR_PATH = f"dossiers/{IMSR}"


def render_project(root: Path) -> Rendered:
    checked = check(load_config(root))
    assert checked.ok, [f.format() for f in checked.errors]
    return render(checked)


def squash(text: str) -> str:
    """Text without whitespace, hyphens or soft hyphens: typst breaks and hyphenates lines."""
    return re.sub(r"[\s\-\u00ad\u2010\u2011]+", "", text)


def pdf_pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("project"))


@pytest.fixture(scope="module")
def rendered(project: Path) -> Rendered:
    return render_project(project)


@pytest.fixture(scope="module")
def written(project: Path, rendered: Rendered) -> Path:
    out = project / "build"
    write_documents(rendered.documents, out, load_config(project), jobs=2, progress=print)
    return out


def model(result: Rendered, slug: str) -> Dossier:
    return next(d.model for d in result.dossiers if d.slug == slug)


def document(result: Rendered, slug: str, kind: str) -> Document:
    return next(d for d in result.documents if d.dossier == slug and d.kind == kind)


def test_every_kind_of_document_renders(rendered: Rendered) -> None:
    kinds = {(d.dossier, d.kind) for d in rendered.documents}
    dossiers = {d.dossier for d in rendered.documents}
    assert {"position", "addendum", "letter", "faq", "leaflet"} <= {kind for _, kind in kinds}
    assert {IMSR, NEURO} <= dossiers
    for doc in rendered.documents:
        assert doc.markdown.strip(), f"{doc.dossier}/{doc.id} rendered empty"
        assert "{{" not in doc.markdown and "{%" not in doc.markdown, (
            f"unrendered template in {doc.id}"
        )


def test_every_document_is_written_as_markdown_pdf_and_docx(
    rendered: Rendered, written: Path
) -> None:
    for doc in rendered.documents:
        for suffix in (".md", ".pdf", ".docx"):
            path = written / doc.dossier / f"{doc.id}{suffix}"
            assert path.is_file() and path.stat().st_size > 0, path
        assert (written / doc.dossier / f"{doc.id}.pdf").read_bytes().startswith(b"%PDF-")


def test_imsr_letter_pdf_carries_the_letters_facts(rendered: Rendered, written: Path) -> None:
    letter = model(rendered, IMSR).letters[0]
    pages = pdf_pages((written / IMSR / f"{letter.id}.pdf").read_bytes())
    text = squash("\n".join(pages))
    expected = [
        letter.recipient.organisation,
        f"T.a.v. {letter.recipient.attention}",
        *letter.cc,
        format_partial_date(letter.date),
        letter.subject,
        format_partial_date(letter.in_reply_to.date) if letter.in_reply_to else "",
        format_partial_date(letter.reply_deadline, "weekday"),
        letter.signatory.name,
        letter.signatory.role or "",
    ]
    for fact in expected:
        assert squash(fact) in text, fact
    for meeting in letter.meetings:
        assert squash(format_partial_date(meeting.date, "day_month")) in text, meeting.id


def test_imsr_letter_pdf_has_footnotes_and_court_rulings(rendered: Rendered, written: Path) -> None:
    letter = model(rendered, IMSR).letters[0]
    loaded = next(d.loaded for d in rendered.dossiers if d.slug == IMSR)
    body = loaded.prose[letter.body_file].text
    footnotes = re.findall(r"^\[\^[^\]]+\]: (.+)$", body, flags=re.MULTILINE)
    assert len(footnotes) >= 4
    text = squash("\n".join(pdf_pages((written / IMSR / f"{letter.id}.pdf").read_bytes())))
    for footnote in footnotes:
        plain = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", footnote)  # link text only
        assert squash(plain)[:60] in text, footnote[:60]
    for ecli in re.findall(r"ECLI:[A-Z]{2}:[A-Z]+:\d{4}:\d+", body):
        assert squash(ecli) in text, ecli


def test_letter_pages_are_numbered_after_the_first(rendered: Rendered, written: Path) -> None:
    letter = model(rendered, IMSR).letters[0]
    pages = pdf_pages((written / IMSR / f"{letter.id}.pdf").read_bytes())
    assert len(pages) >= 2
    assert "Pagina" not in pages[0]
    for number, page in enumerate(pages[1:], start=2):
        assert f"Pagina {number} van {len(pages)}" in page


def test_pdfs_are_byte_identical_across_renders(rendered: Rendered) -> None:
    doc = document(rendered, IMSR, "letter")
    template = REPO / "templates" / "pdf" / "letter.typst"
    first = render_pdf(doc.pandoc_source(for_pdf=True), template=template)
    second = render_pdf(doc.pandoc_source(for_pdf=True), template=template)
    assert first == second


def test_docx_has_the_letterhead_and_body(rendered: Rendered, written: Path) -> None:
    letter = model(rendered, IMSR).letters[0]
    with zipfile.ZipFile(written / IMSR / f"{letter.id}.docx") as docx:
        xml = docx.read("word/document.xml").decode()
    text = squash(re.sub(r"<[^>]+>", "", xml))
    for fact in (letter.recipient.organisation, letter.subject, letter.signatory.name, "Geachte"):
        assert squash(fact) in text, fact


def test_withdrawn_conclusion_is_stated_with_date_and_reason(rendered: Rendered) -> None:
    imsr = model(rendered, IMSR)
    conclusion = indication_index(imsr)["chronische-pijn"].conclusions[0]
    assert conclusion.revision is not None
    letter = document(rendered, IMSR, "letter")
    assert conclusion.revision.reason in letter.markdown


def test_retracted_references_are_marked_where_listed() -> None:
    from tooling.bibliography import parse_bibliography
    from tooling.citations import number_citations, reference_list
    from tooling.retractions import Nature, Notice

    refs, findings = parse_bibliography(
        "@article{a, author = {Doe, Jane}, title = {T}, journal = {J}, year = {2020}, doi = {10.5555/x}}\n",
        "refs.bib",
    )
    assert not findings
    flags = {"a": Notice(Nature.RETRACTION, None, ("Error in Data",))}
    cited = number_citations("See [@a].", flags)
    assert cited.markdown == "See [1 (teruggetrokken)]."
    listing = reference_list({"a": 1}, cited.order, refs, flags)
    assert listing.startswith("\\[1\\] Doe J.")
    assert "**Teruggetrokken**: Error in Data" in listing
    assert "doi:[10.5555/x](https://doi.org/10.5555/x)" in listing


def test_letter_to_parliament_lists_the_indications_from_the_dossier(
    rendered: Rendered, written: Path
) -> None:
    neuro = model(rendered, NEURO)
    letter = neuro.letters[0]
    index = indication_index(neuro)
    text = squash("\n".join(pdf_pages((written / NEURO / f"{letter.id}.pdf").read_bytes())))
    for ident in letter.indications:
        assert squash(index[ident].name.lower()) in text.lower(), ident


def test_position_pdf_lists_what_is_and_is_not_reimbursed(
    rendered: Rendered, written: Path
) -> None:
    from tooling import facts

    neuro = model(rendered, NEURO)
    text = squash("\n".join(pdf_pages((written / NEURO / "standpunt.pdf").read_bytes())))
    covered, uncovered, _ = facts.split_by_coverage(facts.assessed(neuro))
    assert covered and uncovered
    for unit in covered + uncovered:
        assert squash(unit.name) in text, unit.id
    assert neuro.position is not None
    assert squash(format_partial_date(neuro.position.date)) in text
    for addendum in neuro.position.addenda:
        assert squash(format_partial_date(addendum.date)) in text


def test_leaflet_takes_its_dates_from_the_coverage_timeline(rendered: Rendered) -> None:
    slug = "injectie-denervatie-lage-rug"
    leaflet = document(rendered, slug, "leaflet")
    (indication,) = model(rendered, slug).indications
    for period in indication.coverage:
        for day in (period.start, period.agreed_until):
            if day is not None:
                assert format_partial_date(day) in leaflet.markdown, day
        if period.centres and period.centres.count:
            assert str(period.centres.count) in leaflet.markdown


def test_faq_answers_quote_the_rules(rendered: Rendered) -> None:
    from tooling.templating import format_rule

    faq_model = model(rendered, "neuro-pain-faq")
    faq = document(rendered, "neuro-pain-faq", "faq")
    for rule in faq_model.rules:
        assert format_rule(rule) in faq.markdown, rule.id
    for entry in faq_model.glossary:
        assert entry.term in faq.markdown


def test_renaming_an_indication_changes_every_document(tmp_path: Path) -> None:
    project = copy_project(tmp_path)
    path = project / "dossiers" / NEURO / "dossier.yaml"
    text = path.read_text(encoding="utf-8")
    old = "Postherpetische neuralgie"
    new = "Postherpetische zenuwpijn (hernoemd)"
    assert text.count(f"name: {old}") == 1
    path.write_text(text.replace(f"name: {old}", f"name: {new}"), encoding="utf-8")
    result = render_project(project)
    position = document(result, NEURO, "position")
    letter = document(result, NEURO, "letter")
    for doc in (position, letter):
        assert new in doc.markdown or new.lower() in doc.markdown, doc.id
        # The PICO's population is another fact, typed by the writer in its own words.
        named = "\n".join(line for line in doc.markdown.splitlines() if "Populatie: " not in line)
        assert old not in named and old.lower() not in named, doc.id
    pages = result.pages
    site_pages = {path: text for path, text in pages.items() if path.startswith(f"{NEURO}/")}
    dossier_page = site_pages[f"{NEURO}/index.md"]
    assert new in dossier_page, "the dossier's site page lists the new name"
    indication_pages = [text for text in site_pages.values() if text.startswith(f"# {new}")]
    assert len(indication_pages) == 1, "the indication's own page is titled with the new name"
    # The old words stay only where the writer typed them as other facts: the glossary's
    # definition of PHN and the population's description; and in released versions
    # (<dossier>/versies/<id>/), which keep the words they were released with.
    frozen = re.compile(rf"{NEURO}/versies/[^/]+/")
    leftovers = [
        line
        for path, text in pages.items()
        if not frozen.match(path)
        for line in text.splitlines()
        if old in line
    ]
    assert all(
        "**PHN**" in line or "(aanhoudende zenuwpijn" in line or "Populatie: " in line
        for line in leftovers
    ), leftovers


def _cli(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from tooling.cli import main

    code = main(["--root", str(project), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def test_failed_render_leaves_the_previous_output_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    code, output = _cli(
        project, capsys, "render", str(project / IMSR_PATH), "-o", str(project / "out")
    )
    assert code == 0, output
    before = {
        p.relative_to(project / "out"): p.read_bytes()
        for p in (project / "out").rglob("*")
        if p.is_file()
    }
    assert any(p.suffix == ".pdf" for p in before)
    dossier_yaml = project / IMSR_PATH / "dossier.yaml"
    dossier_yaml.write_text(
        dossier_yaml.read_text(encoding="utf-8") + "typo_key: 1\n", encoding="utf-8"
    )

    code, output = _cli(
        project, capsys, "render", str(project / IMSR_PATH), "-o", str(project / "out")
    )

    assert code == 1
    assert "unknown-key" in output and "typo_key" in output
    after = {
        p.relative_to(project / "out"): p.read_bytes()
        for p in (project / "out").rglob("*")
        if p.is_file()
    }
    assert after == before


def test_broken_template_is_reported_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    template = project / "templates" / "letter.md.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    lines[4] = "{% if %}"
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")

    code, output = _cli(
        project, capsys, "render", str(project / IMSR_PATH), "-o", str(project / "out")
    )

    assert code == 2
    assert "letter.md.j2:5" in output and "template syntax" in output
    assert not (project / "out").exists()


def test_broken_letter_body_is_reported_in_its_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = copy_project(tmp_path)
    body = project / IMSR_PATH / "brief-vra-2025-05-07.md"
    body.write_text(
        body.read_text(encoding="utf-8") + "\n{{ meeting('no-such-meeting').date }}\n",
        encoding="utf-8",
    )

    code, output = _cli(
        project, capsys, "render", str(project / IMSR_PATH), "-o", str(project / "out")
    )

    assert code == 1  # the check renders the prose, so the mistake is a finding
    line = len(body.read_text(encoding="utf-8").splitlines())
    assert f"{IMSR_PATH}/brief-vra-2025-05-07.md:{line}" in output
    assert "no-such-meeting" in output

"""Tests for tooling.pdf: letter content, reproducibility, errors, DOCX, batching, untrusted text."""

from __future__ import annotations

import functools
import io
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tooling import pdf as pdf_module
from tooling.diagnostics import DossierError
from tooling.pdf import PdfError, check_tools, render_docx, render_many, render_pdf

ROOT = Path(__file__).resolve().parents[1]
LETTER = ROOT / "templates" / "pdf" / "letter.typst"
DOCUMENT = ROOT / "templates" / "pdf" / "document.typst"
REFERENCE = ROOT / "templates" / "pdf" / "reference.docx"

FRONT_MATTER = """\
---
lang: nl
title: "IMSR bij chronische pijn"
date: "2025-05-07"
date_text: "7 mei 2025"
sender:
  name: "Zorginstituut Nederland"
  address: ["Postbus 320", "1110 AH Diemen"]
  website: "www.zorginstituutnederland.nl"
recipient:
  organisation: "Nederlandse Vereniging van Revalidatieartsen"
  attention: "mevrouw P. Goossens"
  address: []
cc: ["Revalidatie Nederland"]
subject: "IMSR bij chronische pijn"
their_letter: "uw brief van 24 april 2025"
reference: "2025-0042"
signatory: {name: "K.C. Timm-van Ruitenburg", role: "Lid Raad van Bestuur"}
closing: "Hoogachtend,"
labels: {date: "Datum", subject: "Betreft", attention: "T.a.v.", cc: "Cc",
  their_letter: "Uw brief", reference: "Ons kenmerk", page: "Pagina", of: "van"}
%s---
"""

PARAGRAPH = (
    "Wij hebben de literatuur opnieuw doorzocht en vonden drie nieuwe systematische "
    "reviews en twaalf nieuwe gerandomiseerde studies. De effecten op pijn en "
    "functioneren waren klein tot matig, maar consistent en klinisch relevant.\n\n"
)
BODY = (
    "Geachte mevrouw Goossens,\n\n"
    "In uw brief vraagt u ons standpunt opnieuw te bezien.[^1] Zie ook "
    "<https://example.org/imsr>.\n\n"
    "## Onze beoordeling\n\n" + PARAGRAPH * 9 + "- eerste punt\n- **tweede** punt\n\n"
    "[^1]: Voetnoottekst met een [link](https://example.org/bron).\n"
)


def letter(extra_meta: str = "", body: str = BODY) -> str:
    """Return the example letter, optionally with extra metadata lines."""
    return FRONT_MATTER % extra_meta + "\n" + body


@pytest.fixture(scope="module")
def letter_pdf() -> bytes:
    return render_pdf(letter(), template=LETTER)


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_check_tools_passes() -> None:
    check_tools()


def test_letter_contains_blocks_footnote_and_signature(letter_pdf: bytes) -> None:
    pages = page_texts(letter_pdf)
    assert len(pages) >= 2, "body should be long enough for two pages"
    first, everything = pages[0], "\n".join(pages)
    for expected in (
        "Nederlandse Vereniging van Revalidatieartsen",
        "T.a.v. mevrouw P. Goossens",
        "Revalidatie Nederland",
        "7 mei 2025",
        "Betreft",
        "IMSR bij chronische pijn",
        "Ons kenmerk",
        "2025-0042",
        "Postbus 320",
    ):
        assert expected in first, expected
    assert "Voetnoottekst met een" in everything
    assert "K.C. Timm-van Ruitenburg" in pages[-1]
    assert "Lid Raad van Bestuur" in pages[-1]


def test_page_numbers_only_after_first_page(letter_pdf: bytes) -> None:
    pages = page_texts(letter_pdf)
    assert "Pagina" not in pages[0]
    assert f"Pagina 2 van {len(pages)}" in pages[1]


def test_pdf_metadata_uses_letter_date(letter_pdf: bytes) -> None:
    meta = PdfReader(io.BytesIO(letter_pdf)).metadata
    assert meta is not None
    assert meta.title == "IMSR bij chronische pijn"
    assert str(meta.get("/CreationDate", "")).startswith("D:20250507")


@pytest.mark.parametrize("template", [LETTER, LETTER.with_name("document.typst")])
def test_a_concept_carries_its_watermark_on_every_page(template: Path) -> None:
    body = "\n\n".join(f"Alinea {i}. " + "Tekst van een concept. " * 40 for i in range(12))
    pages = page_texts(render_pdf(letter('watermark: "CONCEPT"\n', body), template=template))
    assert len(pages) >= 2
    assert all("CONCEPT" in page for page in pages)
    assert not any(
        "CONCEPT" in p for p in page_texts(render_pdf(letter("", body), template=template))
    )


def test_no_invented_date_in_the_properties() -> None:
    """A document known only to the year carries no date in its PDF properties."""
    from pypdf import PdfReader

    dated = PdfReader(io.BytesIO(render_pdf(letter(), template=LETTER))).metadata
    undated = PdfReader(
        io.BytesIO(render_pdf(letter().replace('date: "2025-05-07"', 'date: ""'), template=LETTER))
    ).metadata
    assert dated is not None and dated.get("/CreationDate", "").startswith("D:20250507")
    assert undated is None or "/CreationDate" not in undated


def test_same_input_gives_identical_bytes(letter_pdf: bytes) -> None:
    assert render_pdf(letter(), template=LETTER) == letter_pdf


def test_identical_bytes_in_other_process_timezone_and_epoch(letter_pdf: bytes) -> None:
    # A fresh process with another time zone and a stray SOURCE_DATE_EPOCH must
    # produce the same bytes: nothing time-dependent may leak into the PDF.
    script = (
        "import sys; from pathlib import Path; from tooling.pdf import render_pdf; "
        "sys.stdout.buffer.write(render_pdf(sys.stdin.read(), template=Path(sys.argv[1])))"
    )
    env = dict(os.environ, TZ="Pacific/Auckland", SOURCE_DATE_EPOCH="1", PYTHONPATH=str(ROOT))
    out = subprocess.run(
        [sys.executable, "-c", script, str(LETTER)],
        input=letter().encode("utf-8"),
        capture_output=True,
        env=env,
        check=True,
    ).stdout
    assert out == letter_pdf


def test_typst_syntax_error_names_template(tmp_path: Path) -> None:
    broken = tmp_path / "broken-letter.typst"
    broken.write_text(LETTER.read_text(encoding="utf-8") + "\n#let oops = (\n", encoding="utf-8")
    with pytest.raises(PdfError) as info:
        render_pdf(letter(), template=broken)
    message = str(info.value)
    assert "broken-letter.typst" in message
    assert "typst" in message
    assert "\n" not in message


def test_pandoc_template_error_names_template(tmp_path: Path) -> None:
    broken = tmp_path / "bad-pandoc.typst"
    broken.write_text("$if(title)$ never closed\n", encoding="utf-8")
    with pytest.raises(PdfError, match=r"bad-pandoc\.typst.*pandoc"):
        render_pdf(letter(), template=broken)


def test_missing_template_names_file(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match=r"nope\.typst"):
        render_pdf(letter(), template=tmp_path / "nope.typst")


def test_missing_pandoc_raises_pdf_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pdf_module, "_pandoc_path", lambda: str(tmp_path / "pandoc"))
    with pytest.raises(PdfError, match="pip install pypandoc-binary"):
        check_tools()
    with pytest.raises(PdfError, match=r"letter\.typst"):
        render_pdf(letter(), template=LETTER)


def test_document_template_has_title_and_numbers_every_page() -> None:
    markdown = (
        "---\nlang: nl\ntitle: Veelgestelde vragen\ndate: '2025-05-07'\n"
        "date_text: 7 mei 2025\nsender: {name: Zorginstituut Nederland}\n"
        "labels: {date: Datum, page: Pagina, of: van}\n---\n\n"
        "# Wat is IMSR?\n\nEen behandeling.[^1]\n\n"
        "| Groep | Aantal |\n|---|--:|\n| Volwassenen | 120 |\n\n"
        "[^1]: Een voetnoot.\n"
    )
    pages = page_texts(render_pdf(markdown, template=DOCUMENT))
    assert "Veelgestelde vragen" in pages[0]
    assert "Volwassenen" in pages[0]
    assert "Pagina 1 van 1" in pages[0]


@pytest.mark.parametrize("template", [LETTER, DOCUMENT], ids=["letter", "document"])
def test_footnote_number_hangs_in_the_margin_of_its_text(template: Path) -> None:
    # The number is set at the left margin, every paragraph of the note 1.1 em to its
    # right, the number on the baseline of the note's first line.
    body = (
        "Tekst met een noot.[^1]\n\n[^1]: Eerste alinea van de noot.\n\n"
        "    Tweede alinea van de noot.\n"
    )
    placed: dict[str, tuple[float, float, float]] = {}

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip() and size < 10:  # the footnote area (8.5 pt), not the body's marker
            x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
            placed.setdefault(text.strip().split()[0], (x, y, size))

    data = render_pdf(letter(body=body), template=template)
    PdfReader(io.BytesIO(data)).pages[-1].extract_text(visitor_text=visit)
    number, first, second = placed["1"], placed["Eerste"], placed["Tweede"]
    margin = 25 / 25.4 * 72
    assert number[0] == pytest.approx(margin, abs=0.1)
    assert first[0] == pytest.approx(margin + 1.1 * first[2], abs=0.1)
    assert second[0] == pytest.approx(first[0], abs=0.1)
    assert number[1] == pytest.approx(first[1], abs=0.1)
    assert second[1] < first[1]


def _words(count: int) -> str:
    return " ".join(f"woord{i}" for i in range(count))


# Text longer than a page in every place that takes text of any length. An unbreakable
# block or a footer that grows with it would run off the page, silently: pypdf still finds
# the words, below the page.
_LONG = {
    "cc": (
        'cc: ["Revalidatie Nederland"]',
        "cc: [" + ", ".join([f'"Organisatie {i}"' for i in range(400)]) + "]",
        "",
    ),
    "subject": ('subject: "IMSR bij chronische pijn"', f'subject: "{_words(1500)}"', ""),
    "heading": ("", "", f"## {_words(900)}\n\n"),
    "definition": ("", "", f"Term\n:   {_words(1500)}\n\n"),
    "closing": ('closing: "Hoogachtend,"', f'closing: "{_words(1500)}"', ""),
    "title": ('title: "IMSR bij chronische pijn"', f'title: "{_words(900)}"', ""),
}


def _record_baseline(
    into: list[tuple[float, str]], text: str, cm: list[float], tm: list[float], *_: object
) -> None:
    into.append((tm[5] * cm[3] + cm[5], text.strip()))


def _off_page(data: bytes) -> list[tuple[int, str]]:
    """The text items of a PDF whose baseline lies outside their page, with the page number."""
    outside: list[tuple[int, str]] = []
    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, 1):
        baselines: list[tuple[float, str]] = []
        page.extract_text(visitor_text=functools.partial(_record_baseline, baselines))
        top = float(page.mediabox.top)
        outside += [(number, text[:30]) for y, text in baselines if text and not 0 <= y <= top]
    return outside


@pytest.mark.parametrize("template", [LETTER, DOCUMENT], ids=["letter", "document"])
@pytest.mark.parametrize("case", sorted(_LONG))
def test_text_longer_than_a_page_stays_on_the_pages(template: Path, case: str) -> None:
    old, new, body = _LONG[case]
    markdown = letter(body=body + "Tekst.\n").replace(old, new, 1)
    assert _off_page(render_pdf(markdown, template=template)) == []


def test_closing_stays_with_the_signature_at_a_page_end() -> None:
    # Bodies of growing length move the closing from page 1 to page 2; at no length may
    # the closing end page 1 while the name begins page 2.
    turns = set()
    for count in range(196, 216, 2):
        words = [f"woord{i}" for i in range(count)]
        body = "\n\n".join(" ".join(words[i : i + 60]) for i in range(0, count, 60))
        pages = page_texts(render_pdf(letter(body=body + "\n"), template=LETTER))
        closing = next(n for n, text in enumerate(pages) if "Hoogachtend" in text)
        name = next(n for n, text in enumerate(pages) if "Timm-van Ruitenburg" in text)
        assert closing == name, count
        turns.add(closing)
    assert turns == {0, 1}, "the bodies should put the closing on both pages"


def test_docx_contains_subject_and_is_reproducible() -> None:
    first = render_docx(letter(), reference_doc=REFERENCE)
    with zipfile.ZipFile(io.BytesIO(first)) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
        core = docx.read("docProps/core.xml").decode("utf-8")
    assert "IMSR bij chronische pijn" in document
    assert "7 mei 2025" in document
    assert "2025-05-07T00:00:00Z" in core
    assert render_docx(letter(), reference_doc=REFERENCE) == first


def test_missing_reference_doc(tmp_path: Path) -> None:
    with pytest.raises(PdfError, match=r"missing\.docx"):
        render_docx(letter(), reference_doc=tmp_path / "missing.docx")


def test_render_many_keeps_order_across_workers() -> None:
    bodies = [f"Brief nummer {n}.\n" for n in range(3)]
    jobs = [(letter(body=body), LETTER) for body in bodies]
    results = render_many(jobs, workers=2)
    assert len(results) == 3
    for n, data in enumerate(results):
        assert f"Brief nummer {n}." in page_texts(data)[0]
    assert results[0] == render_pdf(jobs[0][0], template=LETTER)


# --- Untrusted text, errors as diagnostics, time limits ------------------------------------

INCLUDETEXT = (
    "```{=openxml}\n"
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> INCLUDETEXT "/etc/passwd" </w:instrText></w:r>'
    '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>\n'
    "```\n\n"
    'Inline <w:r><w:instrText>INCLUDETEXT "x"</w:instrText></w:r>`<w:p/>`{=openxml} tekst.\n'
)


def test_raw_openxml_does_not_reach_the_docx() -> None:
    data = render_docx(letter(body=INCLUDETEXT), reference_doc=REFERENCE)
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        document = docx.read("word/document.xml").decode("utf-8")
    # The text may show up escaped, as words; never as a field or field instruction.
    assert "<w:instrText" not in document
    assert "<w:fldChar" not in document
    assert "w:fldSimple" not in document
    assert "INCLUDETEXT" in document  # typeset literally: the reader sees what was written


def test_images_do_not_make_pandoc_read_files_into_the_docx(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"geheim" * 20)
    body = f"Zie ![het logo]({secret}) en ![extern](http://127.0.0.1:9/x.png).\n"
    data = render_docx(letter(body=body), reference_doc=REFERENCE)
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        assert not [name for name in docx.namelist() if name.startswith("word/media/")]
        document = docx.read("word/document.xml").decode("utf-8")
    assert "het logo" in document  # the alt text stands in for the image


def test_raw_typst_is_typeset_as_text_not_run() -> None:
    body = (
        '```{=typst}\n#panic("ingevoegd")\n```\n\n'
        'En inline: `#read("/etc/passwd")`{=typst} en \\newpage en <b>vet</b>.\n'
    )
    text = "\n".join(page_texts(render_pdf(letter(body=body), template=LETTER)))
    assert "ingevoegd" in text  # printed, not executed (a panic would fail the render)
    assert "root:" not in text


def test_pdf_error_is_a_located_dossier_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.typst"
    broken.write_text("#let x = (\n", encoding="utf-8")
    with pytest.raises(PdfError) as info:
        render_pdf(letter(), template=broken)
    error = info.value
    assert isinstance(error, DossierError)
    assert error.location is not None and error.location.path.endswith("broken.typst")
    assert str(error).startswith(f"{error.location.path}: error: typst error:")
    copy = pickle.loads(pickle.dumps(error))  # crosses worker processes intact
    assert (copy.message, copy.location, copy.hint) == (error.message, error.location, error.hint)


@pytest.mark.parametrize(
    ("template_line", "body"),
    [
        ('#read("/etc/passwd")', ""),
        ('#read("../../../../../../etc/passwd")', ""),
        ("", "![x](../../../../../../etc/hostname)\n"),
        ("", "![x](/etc/hostname)\n"),
    ],
)
def test_typst_outside_its_root_is_a_one_line_error(
    tmp_path: Path, template_line: str, body: str
) -> None:
    template = tmp_path / "letter.typst"
    template.write_text(LETTER.read_text(encoding="utf-8") + template_line + "\n", "utf-8")
    with pytest.raises(PdfError) as info:
        render_pdf(letter(body=body or BODY), template=template)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    assert "typst error" in message
    location = info.value.location
    assert location is not None and location.path.endswith("letter.typst")


# 10^10 loop turns over small arrays: endless for a test, without eating memory.
SLOW_TEMPLATE = "#for i in range(100000) { for j in range(100000) { } }\n$body$\n"


def test_render_many_stops_a_document_that_takes_too_long(tmp_path: Path) -> None:
    slow = tmp_path / "slow.typst"
    slow.write_text(SLOW_TEMPLATE, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(PdfError) as info:
        # One document on one worker: still a worker process, or Typst could not be stopped.
        render_many([(letter(), slow)], workers=1, timeout=0.5)
    assert time.monotonic() - started < 5
    message = str(info.value)
    assert "slow.typst" in message
    assert "document 1 of 1 ('IMSR bij chronische pijn')" in message
    assert "longer than 0.5 s" in message
    assert not multiprocessing.active_children()  # the stuck worker was killed


def test_render_many_names_the_document(tmp_path: Path) -> None:
    broken = tmp_path / "broken.typst"
    broken.write_text("#let x = (\n$body$\n", encoding="utf-8")
    jobs = [(letter(), LETTER), (letter(), broken)]
    with pytest.raises(PdfError) as info:
        render_many(jobs, workers=2, names=["a/brief.md", "b/kapot.md"])
    assert info.value.location is not None and info.value.location.path == "b/kapot.md"
    assert "typst error" in info.value.message and "broken.typst" in info.value.message


def test_render_many_reports_a_worker_that_died(tmp_path: Path) -> None:
    slow = tmp_path / "slow.typst"
    slow.write_text(SLOW_TEMPLATE, encoding="utf-8")

    def kill_worker() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            children = multiprocessing.active_children()
            if children and children[0].pid:
                time.sleep(0.3)  # let it take the job
                os.kill(children[0].pid, signal.SIGKILL)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_worker)
    killer.start()
    try:
        with pytest.raises(PdfError, match=r"worker process died.*exit code -9"):
            render_many([(letter(), slow)], workers=1, timeout=30)
    finally:
        killer.join()
    assert not multiprocessing.active_children()


def test_render_many_error_in_worker_is_the_first_in_job_order(tmp_path: Path) -> None:
    broken = tmp_path / "broken.typst"
    broken.write_text("#let x = (\n$body$\n", encoding="utf-8")
    jobs = [(letter(), LETTER), (letter(), broken), (letter(), broken)]
    with pytest.raises(PdfError) as info:
        render_many(jobs, workers=2)
    assert str(info.value).startswith(f"{info.value.location}: error: document 2 of 3")


def test_docx_documents_are_made_two_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each DOCX is a pandoc process: with two jobs, two run at once (a barrier of two would
    time out otherwise), and every file still lands under its own name."""
    import threading

    from conftest import copy_project

    import tooling.pdf
    import tooling.publishing
    from tooling.config import load_config
    from tooling.pipeline import check, render

    config = load_config(copy_project(tmp_path / "project"))
    documents = render(check(config)).documents
    assert len(documents) >= 2
    together = threading.Barrier(2, timeout=10)

    def docx(markdown: str, **_: object) -> bytes:
        together.wait()  # raises BrokenBarrierError unless another DOCX is being made
        return markdown.encode("utf-8")

    monkeypatch.setattr(tooling.pdf, "render_many", lambda jobs, **_: [b"%PDF" for _ in jobs])
    monkeypatch.setattr(tooling.pdf, "render_docx", docx)
    if len(documents) % 2:
        documents = documents[:-1]
    out = tmp_path / "out"
    tooling.publishing.write_documents(documents, out, config, jobs=2, progress=lambda _: None)
    for doc in documents:
        made = (out / doc.dossier / f"{doc.id}.docx").read_text(encoding="utf-8")
        assert made == doc.pandoc_source(for_pdf=False)

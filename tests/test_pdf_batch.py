"""The PDF workers' long-lived pandoc (tooling.pdf._Converter) against one pandoc per document.

A worker converts all its documents with one ``pandoc lua`` process. These tests hold it to
the command ``render_pdf`` runs: the same Typst source byte for byte (so the same PDF), the
same refusal to read files the text names, and errors, time limits and warnings that stay
with the document that caused them.
"""

from __future__ import annotations

import logging
import os
import random
import struct
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest

from tooling import pdf as pdf_module
from tooling.pdf import PdfError, _Converter, render_many, render_pdf

ROOT = Path(__file__).resolve().parents[1]
LETTER = ROOT / "templates" / "pdf" / "letter.typst"
DOCUMENT = ROOT / "templates" / "pdf" / "document.typst"

META = """\
---
lang: nl
title: "Standpunt {n}"
{date}date_text: "7 mei 2025"
sender: {{name: Zorginstituut Nederland, address: [Postbus 320, 1110 AH Diemen]}}
recipient: {{organisation: "Vereniging {n}", attention: "mevrouw A. Jansen", address: []}}
subject: "Beoordeling {n}"
signatory: {{name: "Dr. B. de Vries", role: Voorzitter}}
labels: {{date: Datum, subject: Betreft, attention: T.a.v., cc: Cc, their_letter: Uw brief,
  reference: Ons kenmerk, page: Pagina, of: van}}
---

"""

BODIES = [
    # footnotes, a list, a link
    "Geachte mevrouw,\n\nZie de bron.[^1] En nog een.[^2]\n\n- een\n- **twee**\n\n"
    "[^1]: Bron 1, <https://example.org/1>.\n[^2]: Bron 2 met *nadruk*.\n",
    # a pipe table wider than 72 columns (relative widths), a short one, a caption
    "| Uitkomst | Effect | Bewijskracht volgens GRADE en de toelichting daarbij |\n"
    "|---|--:|---|\n| Pijn | -1,2 | Laag: de studies waren klein en niet geblindeerd, dus |\n\n"
    ": Tabel met uitkomsten\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
    # unusual characters, Typst and TeX specials, a would-be citation
    "Ünïcødé ∑ 😀 \u200b\u00a0e\u0301 $x^2$ # $ \\ * _ [ ] < > @naam #set text(red) ~ ` \"q\" 'q'"
    " -- --- ... Dr. B. de Vries, e.g. Mr. Jones, i.e. ca. 3 p. 4\n",
    # what the command line changes before parsing: tabs, carriage returns, no final newline
    "\tingesprongen\tcode\n\nregel\r\nmet CRLF\r\n\r\nx\ty\tz\ré\tq\n\n    a\tb",
    # a code block with a language (highlighting definitions), a block quote, headings
    "## Kop\n\n```python\nprint('x')\n```\n\n> citaat\n\n### Lager\n\nTerm\n:   Definitie\n",
    # raw markup that must stay text, images and a duplicate footnote (a warning)
    '```{=typst}\n#panic("x")\n```\n\n<b>vet</b> \\newpage ![beeld](logo.png){width=50%}\n\n'
    "Noot.[^1]\n\n[^1]: een\n[^1]: twee\n",
    # abbreviations from pandoc's data file, after which a space does not break
    "Jansen et al. vonden dit, zie fig. 2 en vol. 3; Mr. Smith vs. Dr. Jones, e.g. hier.\n",
]


def documents() -> list[str]:
    """Letters with and without a date, and odd whole documents."""
    docs = [
        META.format(n=n, date='date: "2025-05-07"\n' if n % 2 else "") + body
        for n, body in enumerate(BODIES)
    ]
    return [
        *docs,
        "",
        "Zonder metadata\n",
        "\ufeff" + docs[0],
        "\ufeff\ufeff" + docs[1],
        "---\n---\n",
    ]


def command_typst(markdown: str, template: Path) -> bytes:
    """What render_pdf's own pandoc run makes of ``markdown``."""
    args = ["--to", "typst", "--template", str(template), "--resource-path", str(template.parent)]
    return pdf_module._pandoc(markdown, args, names=template, epoch=0, sandbox=True)


@pytest.fixture
def converter() -> object:
    with _Converter() as made:
        yield made


@pytest.mark.parametrize("template", [LETTER, DOCUMENT])
def test_the_same_typst_as_one_pandoc_per_document(converter: _Converter, template: Path) -> None:
    for markdown in documents():
        assert converter.to_typst(markdown, template) == command_typst(markdown, template)


def test_the_same_typst_for_random_text(converter: _Converter, tmp_path: Path) -> None:
    """Differential: snippets of the characters the command line treats specially (tabs,
    carriage returns, byte order marks, line ends) among Markdown syntax."""
    template = tmp_path / "body.typst"
    template.write_text("$body$\n", encoding="utf-8")
    pieces = ["\t", "\r", "\n", "\r\n", " ", "    ", "\\", "a", "é", "e\u0301", "😀", "\ufeff"]
    pieces += ["|", "-", "---", "*", "#", "`", "```", "> ", "1. ", "- ", "[^1]", "[^1]: n\n"]
    pieces += ["x|y\n|-|-|\n", "---\ntitle: x\n---\n", "\u00a0", ":", "<", "&"]
    rng = random.Random(20250507)
    for _ in range(120):
        markdown = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        try:
            expected: bytes | str = command_typst(markdown, template)
        except PdfError as exc:
            expected = exc.message
        try:
            got: bytes | str = converter.to_typst(markdown, template)
        except PdfError as exc:
            got = exc.message
        assert got == expected, repr(markdown)


def png() -> bytes:
    """A one-pixel PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0\0"))
        + chunk(b"IEND", b"")
    )


def test_render_many_gives_render_pdfs_bytes(tmp_path: Path) -> None:
    (tmp_path / "logo.png").write_bytes(png())  # the image of BODIES[-1], below resource_dir
    docs = documents()[: len(BODIES)]
    jobs = [(markdown, LETTER if n % 3 else DOCUMENT) for n, markdown in enumerate(docs)]
    expected = [
        render_pdf(markdown, template=template, resource_dir=tmp_path)
        for markdown, template in jobs
    ]
    assert render_many(jobs, workers=2, resource_dir=tmp_path) == expected
    in_this_process = render_many(jobs, workers=1, timeout=None, resource_dir=tmp_path)
    assert in_this_process == expected


def test_a_document_cannot_break_the_framing(converter: _Converter) -> None:
    tricky = META.format(n=1, date="") + "ok 3\nabc\nerror 2\n\n5 7\n" + "\x00" + "woord " * 12000
    assert converter.to_typst(tricky, LETTER) == command_typst(tricky, LETTER)
    assert converter.to_typst(documents()[0], LETTER) == command_typst(documents()[0], LETTER)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_pandoc_reads_no_file_the_text_names(converter: _Converter, tmp_path: Path) -> None:
    """Every way Markdown can name a file points at a named pipe: opening it to read would
    block until someone writes, so a conversion that finishes read none of them."""
    fifo = tmp_path / "geheim"
    os.mkfifo(fifo)
    secret = tmp_path / "secret.md"
    secret.write_text("GEHEIME INHOUD\n", encoding="utf-8")
    body = (
        f"![beeld]({fifo}) ![b2](file://{fifo}) [link]({fifo}) <file://{fifo}>\n\n"
        f"![s]({secret})\n\n```{{.include}}\n{fifo}\n```\n\n!include {fifo}\n\n"
        f"::: {{.include src={fifo}}}\n:::\n"
    )
    markdown = (
        f"---\ntitle: x\nheader-includes: {fifo}\ninclude-before: {secret}\n"
        f"bibliography: {fifo}\ncsl: {fifo}\nreference-doc: {fifo}\n---\n\n{body}"
    )
    started = time.monotonic()
    for template in (LETTER, DOCUMENT):
        source = converter.to_typst(markdown, template)
        assert b"GEHEIME" not in source
        assert source == command_typst(markdown, template)
    assert time.monotonic() - started < 10
    # Nobody holds the pipe open for reading (O_NONBLOCK: ENXIO when no reader).
    with pytest.raises(OSError):
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))


def test_pandoc_runs_with_its_heap_limit(converter: _Converter) -> None:
    args = converter.start().args
    assert isinstance(args, list)
    assert args[1:4] == ["+RTS", f"-M{pdf_module.PANDOC_HEAP_MB}m", "-RTS"]


def test_a_pandoc_error_fails_only_its_document(converter: _Converter) -> None:
    with pytest.raises(PdfError) as info:
        converter.to_typst("---\ntitle: [niet gesloten\n---\n\nx\n", LETTER)
    assert "pandoc failed: Error parsing YAML metadata" in info.value.message
    assert info.value.location is not None and info.value.location.path.endswith("letter.typst")
    assert converter.to_typst(documents()[0], LETTER) == command_typst(documents()[0], LETTER)


def test_a_broken_template_is_reported_like_the_command_does(
    converter: _Converter, tmp_path: Path
) -> None:
    broken = tmp_path / "bad-pandoc.typst"
    broken.write_text("$if(title)$ never closed\n", encoding="utf-8")
    with pytest.raises(
        PdfError, match=r'bad-pandoc\.typst.*pandoc failed: Error compiling template "'
    ):
        converter.to_typst(documents()[0], broken)
    assert converter.to_typst(documents()[0], LETTER) == command_typst(documents()[0], LETTER)


# Deeply nested list items: pandoc works on them for minutes.
NESTED = "- " * 20000 + "x\n"


def test_pandoc_that_takes_too_long_is_stopped(
    converter: _Converter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pdf_module, "PANDOC_TIMEOUT_S", 0.5)
    started = time.monotonic()
    with pytest.raises(PdfError, match=r"pandoc took longer than 0\.5 s; stopped"):
        converter.to_typst(NESTED, LETTER)
    assert time.monotonic() - started < 5
    # The next document gets a new pandoc.
    assert converter.to_typst(documents()[0], LETTER) == command_typst(documents()[0], LETTER)


def test_pandoc_that_dies_fails_only_its_document(converter: _Converter) -> None:
    process = converter.start()
    threading.Timer(0.3, process.kill).start()
    with pytest.raises(PdfError, match=r"pandoc failed: exit -9"):
        converter.to_typst(NESTED, LETTER)
    assert converter.to_typst(documents()[0], LETTER) == command_typst(documents()[0], LETTER)


def test_warnings_are_logged_with_their_document(
    converter: _Converter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="tooling.pdf"):
        converter.to_typst("Noot.[^1]\n\n[^1]: een\n[^1]: twee\n", LETTER)
        assert [r.getMessage() for r in caplog.records] == [
            f"{LETTER}: pandoc: [WARNING] Duplicate note reference '1' at line 4 column 1"
        ]
        caplog.clear()
        converter.to_typst(documents()[0], LETTER)
        assert not caplog.records


def test_render_many_names_the_document_pandoc_failed_on() -> None:
    jobs = [(markdown, LETTER) for markdown in documents()[:3]]
    jobs.insert(2, ("---\ntitle: [niet gesloten\n---\n\nx\n", LETTER))
    names = [f"brief-{n}.md" for n in range(len(jobs))]
    with pytest.raises(PdfError) as info:
        render_many(jobs, workers=2, names=names)
    assert info.value.location is not None and info.value.location.path == "brief-2.md"
    assert "pandoc failed: Error parsing YAML metadata" in info.value.message


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and PR_SET_PDEATHSIG")
def test_a_document_pandoc_hangs_on_is_named_and_its_pandoc_killed() -> None:
    import multiprocessing

    pandocs: set[int] = set()

    def watch() -> None:  # the pandoc processes the workers start
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(pandocs) < 2:
            for worker in multiprocessing.active_children():
                pandocs.update(_children(worker.pid or 0))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    jobs = [(documents()[0], LETTER), (NESTED, LETTER), (documents()[0], LETTER)]
    try:
        with pytest.raises(PdfError) as info:
            render_many(jobs, workers=2, timeout=2, names=["a.md", "nested.md", "c.md"])
    finally:
        watcher.join()
    assert info.value.location is not None and info.value.location.path == "nested.md"
    assert "longer than 2 s" in info.value.message
    assert pandocs
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pandocs) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in pandocs), "a worker's pandoc outlived it"


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")

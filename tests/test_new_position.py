"""A new position written from docs/dossier-format.md alone: every fact in a field of its own,
shown in the position's PDF and on the site.

The position takes effect before it is published (retroactive coverage), names who asked for
the assessment, the parties with their guarantees document, the expected number of patients
and the two centres where the care is given. The YAML is the example of the docs page, so
the docs and the toolkit cannot drift apart.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import textwrap
from pathlib import Path

from conftest import BASE_DIR, REPO, base_files, write_files
from pypdf import PdfReader

from tooling.cli import main

FORMAT_MD = REPO / "docs" / "dossier-format.md"
Y = f"{BASE_DIR}/dossier.yaml"


def docs_examples() -> tuple[str, str]:
    """The two YAML blocks of the docs section about parties, patients and centres."""
    text = FORMAT_MD.read_text(encoding="utf-8")
    section = text.split("(`Party`, `DocumentProvided`, `PatientVolume`)", 1)[1].split("\n## ")[0]
    position, coverage = re.findall(r"```yaml\n(.*?)```", section, flags=re.DOTALL)
    return position, coverage


def squash(text: str) -> str:
    return re.sub(r"[\s\-\u00ad]+", "", text).lower()


def test_a_position_with_every_new_fact_is_written_and_shown(tmp_path: Path) -> None:
    position, coverage = docs_examples()
    files = base_files()
    text = str(files[Y])
    start = text.index("position:\n")
    end = text.index("  conditions:\n", start)
    # The docs' position replaces the fixture's head (title, status, dates, summary).
    text = text[:start] + position.rstrip("\n") + "\n" + text[end:]
    # The docs' coverage (from before the publication, in two named centres) for testpijn.
    old = text[text.index("    coverage:\n") : text.index("    subgroups:\n")]
    text = text.replace(old, textwrap.indent(coverage, "    ").replace("    \n", "\n"), 1)
    # The fixture's addendum follows the position it corrects.
    files[Y] = text.replace("      date: 2023-02-15\n", "      date: 2024-06-01\n", 1)
    root = tmp_path / "project"
    write_files(root, files)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    out = tmp_path / "site"
    assert main(["--root", str(root), "build", "--quiet", "-o", str(out)]) == 0

    pdf = squash(
        "".join(
            page.extract_text()
            for page in PdfReader(
                io.BytesIO((out / "documenten" / "base" / "standpunt.pdf").read_bytes())
            ).pages
        )
    )
    page_html = (out / "documenten" / "base" / "standpunt.html").read_text(encoding="utf-8")
    site = squash(html.unescape(re.sub(r"<[^>]+>", " ", page_html)))
    facts = [
        "Gepubliceerd: 15 maart 2024",
        "Ingangsdatum: 1 januari 2024",
        "Aangevraagd door: Zorgverzekeraars Nederland",
        "Nederlandse Vereniging voor Voorbeeldgeneeskunde (beroepsvereniging)",
        "waarborgendocument Waarborgendocument fictieve stimulatie (1 februari 2024)",
        "Verwacht aantal patiënten: 120 per jaar",
        "volwassenen met voorbeeldpijn die aan de voorwaarden voldoen",
        "Centra: Voorbeeldziekenhuis Noord en Voorbeeldziekenhuis Zuid",
    ]
    for fact in facts:
        assert squash(fact) in pdf, f"position PDF: {fact}"
        assert squash(fact) in site, f"position's site page: {fact}"

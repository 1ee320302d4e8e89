"""Regenerate the committed preview images under docs/ (review them in the diff).

Run: .venv/bin/python scripts/update_previews.py
- docs/imsr-letter-preview.png: first page of the IMSR letter PDF, rendered by pypdfium2.
The site screenshot (docs/imsr-site.png) is written by the browser tests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pypdfium2

from tooling.config import load_config
from tooling.pdf import render_pdf
from tooling.pipeline import check, render

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    config = load_config(ROOT)
    result = render(check(config))
    letter = next(
        d for d in result.documents if d.dossier == "imsr-chronische-pijn" and d.kind == "letter"
    )
    data = render_pdf(
        letter.pandoc_source(for_pdf=True), template=config.templates_dir / "pdf" / "letter.typst"
    )
    pdf = pypdfium2.PdfDocument(data)
    target = ROOT / "docs" / "imsr-letter-preview.png"
    pdf[0].render(scale=110 / 72).to_pil().save(target, optimize=True)
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Regenerate ``reference.docx`` from pandoc's default with a few house-style tweaks.

Run: ``.venv/bin/python templates/pdf/make_reference_docx.py``. python-docx is
not a dependency, so the styles are edited as XML inside the ZIP. Entry times
are fixed so the file itself is byte-identical on every run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tooling.pdf import _pandoc_path

HERE = Path(__file__).resolve().parent
ACCENT = "154273"  # the accent colour of the Typst templates
# A4 with the margins of letter.typst (1 mm = 56.7 twips).
SECTION = (
    '<w:pgSz w:w="11906" w:h="16838" />'
    '<w:pgMar w:top="1247" w:right="1247" w:bottom="1361" w:left="1418"'
    ' w:header="709" w:footer="709" w:gutter="0" />'
)


def _styles(xml: str) -> str:
    """Apply body size 11 pt, Dutch proofing language and accent-coloured headings."""
    xml = xml.replace(
        '<w:sz w:val="24" />\n        <w:szCs w:val="24" />\n        <w:lang',
        '<w:sz w:val="22" />\n        <w:szCs w:val="22" />\n        <w:lang',
        1,
    )
    xml = xml.replace('<w:lang w:val="en-US"', '<w:lang w:val="nl-NL"', 1)
    return re.sub(
        r'w:val="0F4761"\s+w:themeColor="accent1"\s+w:themeShade="BF"', f'w:val="{ACCENT}"', xml
    )


def _document(xml: str) -> str:
    """Give the section an A4 page; pandoc copies this section into its output."""
    return xml.replace("<w:sectPr>", "<w:sectPr>" + SECTION, 1)


def main() -> None:
    """Write ``reference.docx`` next to this script."""
    default = subprocess.run(
        [_pandoc_path(), "--print-default-data-file", "reference.docx"],
        capture_output=True,
        check=True,
    ).stdout
    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(default)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/styles.xml":
                data = _styles(data.decode("utf-8")).encode("utf-8")
            elif info.filename == "word/document.xml":
                data = _document(data.decode("utf-8")).encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    (HERE / "reference.docx").write_bytes(out.getvalue())


if __name__ == "__main__":
    main()

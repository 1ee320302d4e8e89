"""What `dossier check` passes, the build publishes: check ⊇ build for dossier prose.

The prose of a letter is mutated with fragments a writer might type, right or wrong. Whenever
the check finds no error, rendering every document and page, and making the letter's PDF and
DOCX, must succeed; whenever rendering would fail, the check must already have said so, at
the line of the mistake. A few mutations are also built end to end with `dossier build`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import BASE_DIR, REPO, base_files, write_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tooling import pdf
from tooling.config import load_config
from tooling.pipeline import check, render

L = f"{BASE_DIR}/brief.md"

FRAGMENTS = [
    # right
    "{{ rules['garantie'] }}",
    "{{ since('testpijn', 'insured') | date }}",
    "{{ until('testpijn', 'conditional') | date('month') }}",
    "{{ meeting('overleg-maart').date | date('weekday') }}",
    "{{ indication('testpijn').name }}",
    "{% for i in indications %}- {{ i.name }}\n{% endfor %}",
    "{{ dossier.issuer.name | upper }}",
    "{{ letter.reply_deadline | date }}",
    "[@jansen2020]",
    "*nadruk* en **vet**",
    "[^voetnoot]\n\n[^voetnoot]: Een voetnoot.",
    # wrong
    "{{ rules['patients'] }}",
    "{{ since('onbekend', 'insured') }}",
    "{{ since('testpijn', 'insured') | date('nooit') }}",
    "{{ meeting('geen') }}",
    "{{ letter.bestaat_niet }}",
    "{% if %}",
    "{{ 1 // 0 }}",
    "{{ rules['garantie'] }",
    "{% for x in indications %}",
    "[@onbekend2099]",
    "```{=openxml}\n<w:p/>\n```",
    '`#read("/etc/passwd")`{=typst}',
    "![beeld](plaatje.png)",
    "<script>alert(1)</script>",
    "{{ '%s' % dossier }}",
]


def make(root: Path, body: str) -> Path:
    files = base_files()
    files[L] = body
    write_files(root, files)
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3),
    st.integers(min_value=0, max_value=7),
)
def test_a_clean_check_means_the_documents_render(fragments: list[str], line: int) -> None:
    text = base_files()[L]
    assert isinstance(text, str)
    lines = text.splitlines()
    lines.insert(min(line, len(lines)), " ".join(fragments))
    with tempfile.TemporaryDirectory() as tmp:
        root = make(Path(tmp), "\n".join(lines) + "\n")
        checked = check(load_config(root))
        if not checked.ok:
            for finding in checked.errors:
                assert finding.location.path and finding.location.line, finding.format()
            return
        rendered = render(checked)  # raises on anything the check let through
        letter = next(d for d in rendered.documents if d.kind == "letter")
        templates = root / "templates" / "pdf"
        assert pdf.render_pdf(
            letter.pandoc_source(for_pdf=True), template=templates / "letter.typst"
        ).startswith(b"%PDF")
        assert pdf.render_docx(
            letter.pandoc_source(for_pdf=False), reference_doc=templates / "reference.docx"
        ).startswith(b"PK")


@pytest.mark.parametrize(
    ("fragment", "exit_code"),
    [
        ("{{ rules['garantie'] }} en {{ since('testpijn', 'insured') | date }}", 0),
        ("<script>alert(1)</script> [@jansen2020]", 0),
        ("{{ rules['patients'] }}", 1),
        ("```{=openxml}\n<w:p/>\n```", 1),
    ],
)
def test_check_and_build_agree_end_to_end(fragment: str, exit_code: int, tmp_path: Path) -> None:
    """`dossier check` and `dossier build` give the same answer, as commands."""
    text = base_files()[L]
    assert isinstance(text, str)
    root = make(tmp_path / "project", text + "\n" + fragment + "\n")
    results = []
    for args in (["check"], ["build", "--quiet", "-o", str(tmp_path / "out")]):
        done = subprocess.run(
            [sys.executable, "-m", "tooling", "--root", str(root), *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert "Traceback" not in done.stderr + done.stdout
        results.append((done.returncode, done.stdout + done.stderr))
    (check_code, check_out), (build_code, build_out) = results
    assert check_code == build_code == exit_code, (check_out, build_out)
    if exit_code:
        first = next(line for line in check_out.splitlines() if " error: " in line)
        assert first in build_out  # the build stops with the check's own finding

"""The error edge: every failure of the toolkit is a message with a place and an exit code.

Run as a user runs it, `dossier` in a subprocess: exit 0 clean, 1 the check found errors, 2
unusable input or a failing tool (typst, pandoc, a broken toolkit template, MkDocs), and
never a Python traceback. A failed command leaves the previous output as it was.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_project

IMSR = "dossiers/imsr-chronische-pijn"


def dossier(root: Path, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "--root", str(root), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    return done.returncode, output


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "project")


def test_a_broken_typst_template_is_a_located_error(project: Path) -> None:
    letterhead = project / "templates" / "pdf" / "letter.typst"
    letterhead.write_text(letterhead.read_text(encoding="utf-8") + "\n#geen_functie(1)\n")
    code, output = dossier(project, "render", IMSR, "-o", str(project / "out"))
    assert code == 2, output
    assert "letter.typst" in output and "typst" in output
    assert not (project / "out").exists()


def test_a_broken_toolkit_template_names_its_file_and_line(project: Path) -> None:
    template = project / "templates" / "letter.md.j2"
    lines = template.read_text(encoding="utf-8").splitlines()
    lines.append("{{ letter.geen_veld.verder }}")  # last, outside every block of the template
    template.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = dossier(project, "render", IMSR, "-o", str(project / "out"))
    assert code == 2, output
    assert f"letter.md.j2:{len(lines)}" in output and "geen_veld" in output


def test_a_failed_mkdocs_build_keeps_the_previous_site(project: Path) -> None:
    code, output = dossier(project, "build", "--quiet", "-o", str(project / "site"))
    assert code == 0, output
    before = (project / "site" / "index.html").read_bytes()
    edit(project / "mkdocs.yml", "  - def_list\n", "  - def_list\n  - geen_extensie\n")
    code, output = dossier(project, "build", "--quiet", "-o", str(project / "site"))
    assert code == 2, output
    assert "mkdocs.yml" in output and "geen_extensie" in output
    assert (project / "site" / "index.html").read_bytes() == before


def test_findings_exit_1_and_name_the_place(project: Path) -> None:
    edit(project / IMSR / "dossier.yaml", "\n", "\nonbekende_sleutel: 1\n")
    for verb in ("check", "render", "build"):
        code, output = dossier(project, verb)
        assert code == 1, (verb, output)
        assert f"{IMSR}/dossier.yaml:2:1: unknown-key error" in output, verb


@pytest.mark.parametrize("target", [".", "dossiers", "templates", "dossier.toml"])
def test_an_output_inside_the_project_is_refused(project: Path, target: str) -> None:
    listing = sorted(str(p.relative_to(project)) for p in project.rglob("*"))
    code, output = dossier(project, "build", "-o", str(project / target))
    assert code == 2, output
    assert "error:" in output
    assert sorted(str(p.relative_to(project)) for p in project.rglob("*")) == listing


def test_the_template_cache_lives_in_the_project_and_never_fails_a_build(project: Path) -> None:
    code, output = dossier(project, "render", IMSR, "-o", str(project / "out"))
    assert code == 0, output
    assert list((project / ".dossier-cache" / "jinja").iterdir())  # compiled templates
    shutil.rmtree(project / ".dossier-cache")
    (project / ".dossier-cache").write_text("not a folder\n", encoding="utf-8")  # unusable
    code, output = dossier(project, "render", IMSR, "-o", str(project / "out"))
    assert code == 0, output

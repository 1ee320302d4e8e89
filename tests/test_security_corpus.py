"""Hostile input that tries to publish what lies outside the project: every attempt is refused.

A canary file outside the project and a canary environment variable stand for the secrets a
CI build has around it. Each case plants a way to reach them (an absolute or `..` path, a
symbolic link, an include, raw Typst or Word markup, an image) and runs `dossier build` as a
command. Each must end with a clear error (exit 1 or 2, a place, no traceback) or a
neutralised output, and no canary may appear in anything written: HTML, Markdown, the search
index, PDF text or DOCX XML. Nothing outside the output folder may change.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE_DIR, REPO, base_files, write_files
from pypdf import PdfReader

CANARY_FILE_TEXT = "KANARIE-BESTAND-7f3a9c"
CANARY_ENV_TEXT = "KANARIE-OMGEVING-51d2e8"
D = BASE_DIR
Y = f"{D}/dossier.yaml"
L = f"{D}/brief.md"

Setup = Callable[[Path, Path], None]  # (project root, canary file)


def sub(path: str, old: str, new: str) -> Setup:
    def setup(root: Path, canary: Path) -> None:
        target = root / path
        text = target.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {path}"
        target.write_text(text.replace(old, new.format(canary=canary), 1), encoding="utf-8")

    return setup


def link(path: str, to: str) -> Setup:
    def setup(root: Path, canary: Path) -> None:
        target = root / path
        if target.exists() or target.is_symlink():
            target.unlink()
        target.symlink_to(to.format(canary=canary))

    return setup


def link_folder(path: str) -> Setup:
    """A dossier folder that is a link to the folder holding the canary."""

    def setup(root: Path, canary: Path) -> None:
        (root / path).symlink_to(canary.parent, target_is_directory=True)

    return setup


def append(path: str, text: str) -> Setup:
    def setup(root: Path, canary: Path) -> None:
        target = root / path
        target.write_text(
            target.read_text(encoding="utf-8") + text.format(canary=canary), encoding="utf-8"
        )

    return setup


CASES: dict[str, tuple[tuple[Setup, ...], str]] = {
    # (what the writer did, the code or message the refusal must name)
    "absolute-body-file": ((sub(Y, "body_file: brief.md", "body_file: {canary}"),), "outside"),
    "parent-body-file": (
        (sub(Y, "body_file: brief.md", "body_file: ../../../kanarie.txt"),),
        "outside",
    ),
    "body-file-symlink-out": ((link(L, "{canary}"),), "outside"),
    "body-file-symlink-environ": ((link(L, "/proc/self/environ"),), "outside"),
    "bibliography-symlink-out": ((link(f"{D}/references.bib", "{canary}"),), "outside"),
    "dossier-yaml-symlink-out": ((link(Y, "{canary}"),), "outside"),
    "dossier-folder-symlink": ((link_folder("dossiers/tweede"),), "stray-entry"),
    "jinja-include": ((append(L, '\n{{% include "{canary}" %}}\n'),), "prose-template"),
    "jinja-import": ((append(L, '\n{{% import "{canary}" as x %}}\n'),), "prose-template"),
    "typst-read": ((append(L, '\n`#read("{canary}")`{{=typst}}\n'),), "raw-markup"),
    "typst-block": (
        (append(L, '\n```{{=typst}}\n#read("/proc/self/environ")\n```\n'),),
        "raw-markup",
    ),
    "openxml-includetext": (
        (append(L, '\n```{{=openxml}}\n<w:fldSimple w:instr="INCLUDETEXT {canary}"/>\n```\n'),),
        "raw-markup",
    ),
    "latex-input": ((append(L, "\n```{{=latex}}\n\\input{{{canary}}}\n```\n"),), "raw-markup"),
    "image-outside": ((append(L, "\n![kanarie]({canary})\n"),), "raw-markup"),
    "image-in-yaml-prose": (
        (sub(Y, "summary: >-\n", "summary: >-\n  ![x](/proc/self/environ)\n"),),
        "raw-markup",
    ),
    "environment-in-prose": (
        (append(L, "\n{{{{ dossier.__class__.__init__.__globals__ }}}}\n"),),
        "prose-template",
    ),
    "os-environ-in-prose": (
        (append(L, "\n{{{{ cycler.__init__.__globals__.os.environ }}}}\n"),),
        "prose-template",
    ),
}


def scan(folder: Path) -> str:
    """Everything a reader could get from the output folder, as text."""
    parts: list[str] = []
    for path in folder.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        if path.suffix == ".pdf":
            parts.extend(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
        elif path.suffix == ".docx":
            with zipfile.ZipFile(path) as docx:
                parts.extend(docx.read(n).decode("utf-8", "replace") for n in docx.namelist())
        parts.append(data.decode("utf-8", "replace"))
    return "\n".join(parts)


def snapshot(root: Path, out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file()
        and not p.is_symlink()
        and out not in p.parents
        and p != out
        and ".dossier-cache" not in p.parts
    }


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_nothing_outside_the_project_is_published(case: str, tmp_path: Path) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    canary = secrets / "kanarie.txt"
    canary.write_text(CANARY_FILE_TEXT + "\n", encoding="utf-8")
    root = tmp_path / "project"
    write_files(root, base_files())
    for name in ("templates", "mkdocs.yml"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name)
        else:
            (root / name).write_bytes(source.read_bytes())
    # `..` from the dossier folder three times is tmp_path: the canary's folder beside it.
    (tmp_path / "kanarie.txt").write_text(CANARY_FILE_TEXT + "\n", encoding="utf-8")
    setups, expected = CASES[case]
    for setup in setups:
        setup(root, canary)
    out = tmp_path / "out"
    before = snapshot(root, out)
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "--root", str(root), "build", "--quiet", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "KANARIE_GEHEIM": CANARY_ENV_TEXT},
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    assert CANARY_FILE_TEXT not in output and CANARY_ENV_TEXT not in output
    assert done.returncode in (1, 2), output
    assert expected in output, output
    assert ":" in output.split(expected)[0].splitlines()[-1], "the finding names its place"
    if out.exists():
        text = scan(out)
        assert CANARY_FILE_TEXT not in text and CANARY_ENV_TEXT not in text
    assert snapshot(root, out) == before, "a failed build changed the project"


def test_plain_fields_are_text_in_every_output(tmp_path: Path) -> None:
    """A plain YAML field is text: markup in it is shown as typed, in the site, PDF and DOCX."""
    root = tmp_path / "project"
    files = base_files()
    name = "Testpijn <b>vet</b> & 'zo' <img src=x onerror=alert(1)>"
    files[Y] = str(files[Y]).replace("    name: Testpijn\n", f'    name: "{name}"\n', 1)
    write_files(root, files)
    shutil.copytree(REPO / "templates", root / "templates")
    (root / "mkdocs.yml").write_bytes((REPO / "mkdocs.yml").read_bytes())
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "--root", str(root), "build", "--quiet", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    page = (out / "base" / "testpijn.html").read_text(encoding="utf-8")
    assert "Testpijn &lt;b&gt;vet&lt;/b&gt; &amp;" in page
    assert "<b>vet</b>" not in page and "<img src=x" not in page
    position = out / "documenten" / "base" / "standpunt"
    pdf = "".join(p.extract_text() for p in PdfReader(position.with_suffix(".pdf")).pages)
    assert "Testpijn <b>vet</b> & 'zo'" in pdf
    with zipfile.ZipFile(position.with_suffix(".docx")) as docx:
        xml = docx.read("word/document.xml").decode("utf-8")
    assert "Testpijn &lt;b&gt;vet&lt;/b&gt; &amp;" in xml

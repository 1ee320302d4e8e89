"""MkDocs' build on two cores (tooling/engines/mkdocs_parallel.py): the serial build's files.

Each process converts and renders every other page; these tests hold the result to a serial
`mkdocs build` of the same project, byte for byte, and check that what the partner process
finds (warnings, failures) is not lost.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from conftest import copy_project

from tooling.cli import main
from tooling.engines import mkdocs_parallel

pytestmark = pytest.mark.skipif(not mkdocs_parallel.usable(), reason="needs Linux, 2 cores")


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_example_site_is_the_serial_builds_byte_for_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = copy_project(tmp_path / "project")
    build = ["--root", str(project), "build", "--quiet", "--no-cache", "-o"]
    assert main([*build, str(tmp_path / "two")]) == 0
    monkeypatch.setattr(mkdocs_parallel, "usable", lambda: False)
    assert main([*build, str(tmp_path / "one")]) == 0
    two, one = _tree(tmp_path / "two"), _tree(tmp_path / "one")
    assert sorted(two) == sorted(one)
    assert len(two) > 100
    assert [name for name in one if one[name] != two[name]] == []


def _project(root: Path, pages: int, broken: dict[int, str]) -> Path:
    """A small MkDocs project: ``pages`` pages linking to the next one, some links broken."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    for i in range(pages):
        link = broken.get(i, f"page-{(i + 1) % pages:02}.md#titel-{(i + 1) % pages}")
        text = f"# Titel {i}\n\nPagina {i}, zie [de volgende]({link}).\n"
        (docs / f"page-{i:02}.md").write_text(text, encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        "site_name: Proef\ntheme:\n  name: material\nplugins:\n  - search\n"
        "validation:\n  links:\n    anchors: warn\n",
        encoding="utf-8",
    )
    return root / "mkdocs.yml"


def _build(config_file: Path, site: Path) -> tuple[list[str], str]:
    """Build with mkdocs_parallel in strict mode: the warnings logged here, and how it ended
    ('' when it succeeded, else the message of MkDocs' Abort)."""
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort

    messages: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            messages.append(record.getMessage())

    handler = Keep(logging.WARNING)
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        config = load_config(config_file=str(config_file), site_dir=str(site), strict=True)
        mkdocs_parallel.build(config)
    except Abort as exc:
        return messages, str(exc)
    finally:
        logger.removeHandler(handler)
    return messages, ""


def test_a_small_project_builds_the_same_files(tmp_path: Path) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config_file = _project(tmp_path, 24, {})
    assert _build(config_file, tmp_path / "two") == ([], "")
    build(load_config(config_file=str(config_file), site_dir=str(tmp_path / "one"), strict=True))
    one, two = _tree(tmp_path / "one"), _tree(tmp_path / "two")
    assert sorted(one) == sorted(two)
    assert [name for name in one if one[name] != two[name]] == []


@pytest.mark.parametrize("page", [6, 7])  # one on each side
@pytest.mark.parametrize(
    ("link", "says"),
    [
        ("nergens.md", "not found among documentation files"),  # found while converting
        ("page-00.md#geen-anker", "does not contain an anchor '#geen-anker'"),  # validated after
    ],
)
def test_a_warning_on_either_side_fails_the_strict_build(
    tmp_path: Path, page: int, link: str, says: str
) -> None:
    config_file = _project(tmp_path, 24, {page: link})
    messages, ended = _build(config_file, tmp_path / "site")
    assert "in strict mode" in ended
    # the warning itself was logged here, once, wherever it was found
    assert len([m for m in messages if says in m and f"page-{page:02}.md" in m]) == 1, messages


def test_a_partner_that_fails_fails_the_build_with_its_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs.commands import build as mkdocs_build

    here = os.getpid()
    original = mkdocs_build._populate_page

    def failing_in_the_partner(page: object, *args: object, **kwargs: object) -> None:
        if os.getpid() != here:
            raise RuntimeError("schijf vol")
        original(page, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mkdocs_build, "_populate_page", failing_in_the_partner)
    config_file = _project(tmp_path, 24, {})
    _, ended = _build(config_file, tmp_path / "site")
    assert "RuntimeError: schijf vol" in ended


def test_a_partner_that_dies_fails_the_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs.commands import build as mkdocs_build

    here = os.getpid()
    original = mkdocs_build._build_page

    def dying_in_the_partner(page: object, *args: object, **kwargs: object) -> None:
        if os.getpid() != here:
            os._exit(9)  # as when the kernel kills it
        original(page, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mkdocs_build, "_build_page", dying_in_the_partner)
    config_file = _project(tmp_path, 24, {})
    _, ended = _build(config_file, tmp_path / "site")
    assert "second process ended" in ended

"""The preview while editing (`mkdocs serve`): one broken dossier does not take the others down.

The `dossiers` plugin checks every dossier; those without errors are rendered as usual, and a
dossier with errors gets its index page (at its usual address) showing its findings, file and
line first, in an admonition, as text; the home page lists it as failing. A plain
`mkdocs build` still refuses a failed check, and so does `pipeline.render` unless asked.

Driven in-process through the plugin's hooks, then once through a real `mkdocs serve` on
127.0.0.1 (bounded: it must answer within 60 seconds, and is stopped by its process id).
"""

from __future__ import annotations

import html
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from conftest import REPO, base_files, write_files
from mkdocs.commands.build import build as mkdocs_build
from mkdocs.config import load_config as load_mkdocs_config
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files

from tooling.config import load_config
from tooling.i18n import message
from tooling.mkdocs_plugin import DossierPlugin
from tooling.pipeline import check, render

BROKEN_LINE = "title: [Kapotte titel\n"  # an unclosed flow sequence: a YAML syntax error
HOSTILE_KEY = '"<img src=x onerror=alert(1)>": 1\n'  # an unknown key: a schema error


def make_project(root: Path, broken: str = BROKEN_LINE) -> Path:
    """A project with a valid dossier (``base``) and one with a mistake (``kapot``)."""
    files = base_files("dossiers/base")
    kapot = base_files("dossiers/kapot")
    text = str(kapot["dossiers/kapot/dossier.yaml"])
    kapot["dossiers/kapot/dossier.yaml"] = text.replace(
        "title: Fictieve nervusstimulatie bij testpijn\n", broken, 1
    )
    write_files(root, {**files, **kapot})
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(REPO / "templates", root / "templates")
    return root


def plugin_for(root: Path, command: str) -> tuple[DossierPlugin, MkDocsConfig]:
    """The project's MkDocs configuration and its `dossiers` plugin, after startup and config.

    The hooks run through MkDocs' own plugin collection, as `mkdocs serve` runs them.
    """
    cfg = load_mkdocs_config(config_file=str(root / "mkdocs.yml"), site_dir=str(root / "site"))
    plugin = cfg.plugins["dossiers"]
    assert isinstance(plugin, DossierPlugin)
    cfg.plugins.on_startup(command=command, dirty=False)  # type: ignore[arg-type]
    cfg = cfg.plugins.on_config(cfg)
    return plugin, cfg


def on_files(cfg: MkDocsConfig) -> Files:
    files = cfg.plugins.on_files(Files([]), config=cfg)
    assert files is not None
    return files


def page(files: Files, path: str) -> str:
    file = files.get_file_from_path(path)
    assert file is not None, path
    return file.content_string


def test_a_broken_dossier_shows_its_error_and_the_others_are_served(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    _, cfg = plugin_for(root, "serve")
    files = on_files(cfg)
    # the good dossier is rendered as usual, every page of it
    good = page(files, "base/index.md")
    assert good.startswith("# Fictieve nervusstimulatie bij testpijn")
    assert files.get_file_from_path("base/testpijn.md") is not None
    # the broken one: its own address, the finding with file and line, in an admonition
    broken = page(files, "kapot/index.md")
    assert f'!!! failure "{message("site.failing_page_title")}"' in broken
    assert "        dossiers/kapot/dossier.yaml:2:" in broken  # a code block in the box
    assert "yaml-syntax error" in broken
    assert files.get_file_from_path("kapot/testpijn.md") is None
    # the home page lists it as failing, with a link, and still lists the good one
    home = page(files, "index.md")
    assert message("site.failing_home_title_one") in home
    assert "[kapot](kapot/index.md): 1 fout" in home
    assert "(base/index.md)" in home
    # and the navigation reaches both
    assert {"kapot": "kapot/index.md"} in (cfg.nav or [])


def test_the_findings_are_shown_as_text_never_as_markup(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project", broken=HOSTILE_KEY)
    _, cfg = plugin_for(root, "serve")
    mkdocs_build(cfg)  # the whole preview, as `mkdocs serve` builds it
    built = (root / "site" / "kapot" / "index.html").read_text(encoding="utf-8")
    article = built.split('<article class="md-content__inner', 1)[1].split("</article>", 1)[0]
    assert "<img" not in article  # no element made from the message
    assert "&lt;img src=x onerror=alert(1)&gt;" in article
    assert 'class="admonition failure"' in article
    assert "dossiers/kapot/dossier.yaml:" in html.unescape(article)
    assert (root / "site" / "base" / "index.html").is_file()


def test_an_error_outside_every_dossier_is_shown_on_the_home_page(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    (root / "dossiers" / "notities.txt").write_text("<b>los</b>", encoding="utf-8")
    _, cfg = plugin_for(root, "serve")
    home = page(on_files(cfg), "index.md")
    assert message("site.failing_home_title", count=2) in home
    assert "`notities.txt`: 1 fout" in home  # listed, without a page
    assert "\n        dossiers/notities.txt: stray-entry error:" in home  # a code block


def test_a_plain_mkdocs_build_still_refuses_a_failed_check(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    _, cfg = plugin_for(root, "build")
    with pytest.raises(PluginError, match=r"dossiers/kapot/dossier.yaml:2:.*yaml-syntax"):
        on_files(cfg)


def test_render_refuses_a_failed_check_unless_asked_for_the_good_dossiers(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    checked = check(load_config(root))
    assert not checked.ok
    with pytest.raises(ValueError, match="without errors"):
        render(checked)
    rendered = render(checked, only_ok=True)
    assert [d.slug for d in rendered.dossiers] == ["base"]
    (failing,) = rendered.failing
    assert failing.name == "kapot" and failing.page == "kapot/index.md" and failing.errors == 1
    assert "kapot/testpijn.md" not in rendered.pages


def test_unusable_input_shows_one_failure_page_and_keeps_serving(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    (root / "dossier.toml").write_text(
        '[retractions]\ndatabase = "data/ontbreekt.csv"\n', encoding="utf-8"
    )
    _, cfg = plugin_for(root, "serve")
    files = on_files(cfg)
    home = page(files, "index.md")
    assert f'!!! failure "{message("site.preview_failed")}"' in home
    assert "        " in home and "ontbreekt.csv" in home  # the error, as a code block


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def test_a_real_mkdocs_serve_shows_the_error_and_serves_the_other_dossier(tmp_path: Path) -> None:
    root = make_project(tmp_path / "project")
    port = _free_port()
    mkdocs = Path(sys.executable).with_name("mkdocs")
    process = subprocess.Popen(
        [str(mkdocs), "serve", "-a", f"127.0.0.1:{port}", "-f", str(root / "mkdocs.yml")],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    try:
        base = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 60
        status, broken = 0, ""
        while time.monotonic() < deadline and process.poll() is None:
            try:
                status, broken = _get(base + "kapot/index.html")
            except (urllib.error.URLError, OSError):
                status = 0
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, "mkdocs serve did not answer within 60 seconds"
        assert 'class="admonition failure"' in broken
        assert "dossiers/kapot/dossier.yaml:2:" in html.unescape(broken)
        good_status, good = _get(base + "base/index.html")
        assert good_status == 200 and "Fictieve nervusstimulatie bij testpijn" in good
        home_status, home = _get(base)
        assert home_status == 200 and html.escape(message("site.failing_home_title_one")) in home
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()

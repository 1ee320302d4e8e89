"""`dossier serve` (tooling/serve.py): the live preview that keeps up with every save.

The preview runs in a thread of the test (`serve(..., stop=...)`) on a free port of
127.0.0.1, and once as a real process (Ctrl-C). Every wait is bounded.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, base_files, write_files

from tooling.config import load_config
from tooling.pipeline import Rechecker, check
from tooling.serve import PREVIEW, SCRIPT, VERSION, serve

Y = "dossiers/tweede/dossier.yaml"


def _project(root: Path) -> Path:
    write_files(root, {**base_files("dossiers/base"), **base_files("dossiers/tweede")})
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copy2(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root


class Running:
    def __init__(self, root: Path, address: str, said: list[str]) -> None:
        self.root, self.address, self.said = root, address, said

    def get(self, path: str) -> str:
        with urllib.request.urlopen(self.address + path.lstrip("/"), timeout=30) as response:
            return str(response.read().decode("utf-8"))

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.address + path.lstrip("/"), timeout=30) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return exc.code

    def until(self, path: str, text: str, *, present: bool = True, within: float = 30) -> str:
        """The page once it does (or no longer does) contain ``text``."""
        deadline = time.monotonic() + within
        while True:
            page = self.get(path)
            if (text in page) == present:
                return page
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: {text!r} {'never' if present else 'still'} there")
            time.sleep(0.05)

    def edit(self, old: str, new: str, path: str = Y) -> None:
        file = self.root / path
        text = file.read_text(encoding="utf-8")
        assert old in text, old
        file.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    root = _project(tmp_path / "project")
    said: list[str] = []
    ready = threading.Event()
    stop = threading.Event()
    where: list[str] = []

    def at(address: str) -> None:
        where.append(address)
        ready.set()

    thread = threading.Thread(
        target=serve,
        args=(load_config(root),),
        kwargs={"port": 0, "say": said.append, "ready": at, "stop": stop},
        daemon=True,
    )
    thread.start()
    assert ready.wait(120), said
    try:
        yield Running(root, where[0], said)
    finally:
        stop.set()
        thread.join(30)
        assert not thread.is_alive()


def test_a_save_is_on_the_page_and_tells_the_browser_to_reload(running: Running) -> None:
    page = running.get("tweede/index.html")
    assert f'<script src="{SCRIPT}"></script></body>' in page
    assert "script-src 'self'" in page  # the CSP lets the site's own script run
    assert "location.reload()" in running.get(SCRIPT)
    seen = int(running.get(VERSION))
    answer: list[int] = []
    waiting = threading.Thread(
        target=lambda: answer.append(int(running.get(f"{VERSION}?seen={seen}")))
    )
    waiting.start()
    time.sleep(0.3)
    assert answer == []  # the browser's request waits for the next build
    running.edit(
        "  Fictieve stimulatie van de nervus",
        "  Bewerkte samenvatting. Fictieve stimulatie van de nervus",
    )
    running.until("tweede/index.html", "Bewerkte samenvatting")
    waiting.join(30)
    assert answer and answer[0] > seen
    assert "Bewerkte samenvatting" not in running.get("base/index.html")
    assert any("dossiers/tweede/dossier.yaml changed: site ready in" in s for s in running.said)


def test_an_error_shows_on_its_dossier_while_the_others_stay_served(running: Running) -> None:
    running.edit("title: Fictieve nervusstimulatie bij testpijn", "title: [kapot")
    page = running.until("tweede/index.html", "yaml-syntax")
    assert "dossiers/tweede/dossier.yaml:" in page
    assert "Fictieve nervusstimulatie" in running.get("base/index.html")
    assert any("error(s) shown on their pages" in s for s in running.said)
    running.edit("title: [kapot", "title: Weer heel")
    running.until("tweede/index.html", "Weer heel")


def test_the_preview_is_what_a_build_publishes(running: Running, tmp_path: Path) -> None:
    running.edit(
        "  Fictieve stimulatie van de nervus",
        "  Bewerkt voor de build. Fictieve stimulatie van de nervus",
    )
    running.until("tweede/index.html", "Bewerkt voor de build")
    site = running.root / ".dossier-cache" / PREVIEW / "site"
    deadline = time.monotonic() + 120  # the PDF and DOCX files are made in the background
    while not (site / "documenten" / "tweede" / "standpunt.pdf").is_file():
        assert time.monotonic() < deadline
        time.sleep(0.2)
    out = tmp_path / "built"
    from tooling.pipeline import Published, build

    assert isinstance(build(load_config(running.root), (), out, cache=False), Published)
    pages = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*.html")}
    tag = f'<script src="{SCRIPT}"></script>'
    deadline = time.monotonic() + 60  # until the rebuild that links the new files is served
    while differing := [n for n, text in pages.items() if running.get(n).replace(tag, "") != text]:
        assert time.monotonic() < deadline, differing
        time.sleep(0.2)
    built = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    previewed = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert previewed == built - {".dossier-output"}  # (the mark of an output folder)
    other = [n for n in previewed if not n.endswith(".html")]
    assert [n for n in other if (site / n).read_bytes() != (out / n).read_bytes()] == []


def test_only_the_site_folder_is_served(running: Running) -> None:
    for path in ("../../../dossier.toml", "%2e%2e/%2e%2e/%2e%2e/mkdocs.yml", "/etc/passwd"):
        assert running.status(path) == 404, path


def test_the_rechecker_finds_what_the_check_finds(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    config = load_config(root)
    rechecker = Rechecker(config)
    assert rechecker.check().findings == check(config).findings
    file = root / Y
    file.write_text(file.read_text().replace("status: definitive", "status: onbekend", 1))
    again = rechecker.check()
    assert again.findings == check(config).findings
    assert not again.ok


def test_ctrl_c_stops_the_preview_process(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    with subprocess.Popen(
        [sys.executable, "-m", "tooling", "--root", str(root), "serve", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stderr is not None
            deadline = time.monotonic() + 120
            line = ""
            while "serving http://127.0.0.1:" not in line:
                assert time.monotonic() < deadline and process.poll() is None, line
                line = process.stderr.readline()
            process.send_signal(signal.SIGINT)
            assert process.wait(30) == 0
            rest = process.stderr.read()
            assert "stopped" in rest and "Traceback" not in rest
        finally:
            if process.poll() is None:  # never left running, whatever failed
                process.kill()


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    import socket

    root = _project(tmp_path / "project")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "tooling", "--root", str(root), "serve", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr

"""A tiny run of bench/site.py: one dossier (15 pages), both builds, the JSON report.

The benchmark's figures mean nothing at this size; this checks that both builds succeed on a
generated corpus, produce the same pages, and that the report has the fields the README names.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import load_bench

REPO = Path(__file__).resolve().parent.parent


def test_dossiers_for_sizes() -> None:
    bench = load_bench("site")
    assert [bench.dossiers_for(n) for n in (15, 100, 500, 2000)] == [1, 8, 38, 154]


def test_tiny_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = load_bench("site")
    corpus = tmp_path / "corpus"
    code = bench.main(
        ["--quick", "--sizes", "15", "--repeat", "1", "--corpus", str(corpus), "--json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    (size,) = data["sizes"]
    assert size["pages"] == 15  # home, check, dossier, 10 indications, position, letter
    assert size["dossiers"] == 1 and size["documents"] == 2
    assert size["html_files"] == size["pages"] + 1  # and 404.html
    assert size["identical_html"] == size["html_files"]
    for build in ("ours", "plain"):
        assert size[build]["wall_s"] > 0 and size[build]["peak_mb"] > 0
    assert size["our_steps_s"]["run_mkdocs"] > 0
    # --menu auto (the default) with one dossier: our menu is the full one, whole pages compared
    assert data["menu"] == "auto" and size["our_menu"] == "full"
    assert size["compared"] == "whole page"
    assert data["targets"]["ratio_auto_largest"] == 0.5
    assert data["enforced"] is False
    assert not corpus.exists()  # removed without --keep


def test_article_is_the_content() -> None:
    bench = load_bench("site")
    page = (
        b"<html><nav>menu: every dossier</nav><main>"
        b'<article class="md-content__inner">\n<h1>Title</h1><p>Text</p>\n</article>'
        b"</main><footer>f</footer></html>"
    )
    other_menu = page.replace(b"every dossier", b"its own dossier")
    assert bench._visible(page) != bench._visible(other_menu)
    assert bench._visible(bench._article(page)) == bench._visible(bench._article(other_menu))
    assert b"<nav>" not in bench._article(page) and b"<p>Text</p>" in bench._article(page)

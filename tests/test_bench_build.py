"""A tiny run of bench/build.py: one dossier, real PDF and DOCX, the JSON report.

The figures mean nothing at this size; this checks that the cold build, the rebuild after one
edit and its identity with a ``--no-cache`` build, the plain MkDocs build and (where the
checkout has it) the live preview all run, and that the report has the fields the README
names.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import load_bench

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """bench/build.py --quick on one dossier, once for the tests of this module."""
    bench = load_bench("build")
    corpus = tmp_path_factory.mktemp("bench-build") / "corpus"
    out = tmp_path_factory.mktemp("bench-build-out") / "report.json"
    saved = sys.stdout
    with out.open("w", encoding="utf-8") as stream:
        sys.stdout = stream
        try:
            code = bench.main(
                ["--quick", "--dossiers", "1", "--edits", "2", "--corpus", str(corpus), "--json"]
            )
        finally:
            sys.stdout = saved
    data = json.loads(out.read_text(encoding="utf-8"))
    return {"code": code, "data": data, "corpus": corpus, "bench": bench}


def test_progress_lines_are_parsed() -> None:
    bench = load_bench("build")
    progress = bench.Progress.parse(
        "[  0.0s] checking dossiers\n"
        "[  0.3s] rendered 76 documents from 38 dossiers\n"
        "[  0.4s] rendering 1 PDF (75 unchanged, from the cache) and 1 DOCX (75 unchanged, "
        "from the cache) on 2 worker(s)\n"
        "[  1.6s] building the site: 496 pages\n"
        "[  3.1s] pages: 484 of 496 unchanged, from the cache; 12 converted, 12 rendered\n"
        "[  3.2s] site ready in site\n"
    )
    assert progress.made() == {
        "pdf_made": 1,
        "pdf_cached": 75,
        "docx_made": 1,
        "docx_cached": 75,
        "pages": 496,
        "pages_cached": 484,
        "pages_converted": 12,
        "pages_rendered": 12,
    }
    steps = progress.steps(4.0)
    assert steps == pytest.approx({"check": 0.4, "documents": 1.2, "site": 1.6, "startup": 0.8})
    cold = bench.Progress.parse("[  0.4s] rendering 76 PDF and 76 DOCX on 2 worker(s)\n")
    assert (cold.pdf_made, cold.pdf_cached, cold.docx_made, cold.docx_cached) == (76, 0, 76, 0)


def test_edit_is_new_each_time(tmp_path: Path) -> None:
    bench = load_bench("build")
    path = tmp_path / "dossier.yaml"
    path.write_text(
        "position:\n  conditions:\n    - id: volwassenen\n      text: De patiënt is 18.\n"
        "    - id: team\n      text: Een team.\n",
        encoding="utf-8",
    )
    assert bench.edit_dossier(path, "ijkwoord0001") == "De patiënt is 18 (ijkwoord0001)."
    assert bench.edit_dossier(path, "ijkwoord0002") == "De patiënt is 18 (ijkwoord0002)."
    assert "ijkwoord0001" not in path.read_text(encoding="utf-8")
    assert "text: Een team." in path.read_text(encoding="utf-8")


def test_cold_build_and_rebuild(run: dict[str, Any]) -> None:
    assert run["code"] == 0
    data = run["data"]
    assert data["error"] is None and data["enforced"] is False
    assert data["machine"]["cores"] >= 1 and len(data["machine"]["load_average_start"]) == 3
    (size,) = data["sizes"]
    assert (size["dossiers"], size["pages"], size["documents"]) == (1, 15, 2)
    cold, rebuild = size["cold"], size["rebuild"]
    assert cold["wall_s"] > 0 and cold["cpu_s"] > 0 and cold["peak_mb"] > 0
    assert cold["ms_per_page"] > 0 and cold["ms_per_document"] > 0
    assert set(cold["steps_s"]) == {"check", "documents", "site", "startup"}
    (first,) = cold["runs"]
    assert first["made"] == {
        "pdf_made": 2,
        "pdf_cached": 0,
        "docx_made": 2,
        "docx_cached": 0,
        "pages": 15,
        "pages_cached": 0,
        "pages_converted": 15,
        "pages_rendered": 15,
    }
    assert rebuild["wall_s"] > 0 and rebuild["peak_mb"] > 0 and rebuild["ratio_to_cold"] > 0
    (again,) = rebuild["runs"]
    made = again["made"]
    # The edited condition is in the position, not in the letter: one PDF and DOCX anew.
    assert (made["pdf_made"], made["pdf_cached"], made["docx_made"], made["docx_cached"]) == (
        1,
        1,
        1,
        1,
    )
    assert made["pages"] == 15 and 0 < made["pages_cached"] < 15
    assert again["dossier"] == "bench-00001" and again["word"]
    assert "bench-00001/index.html" in again["pages_with_edit"]


def test_rebuild_is_a_cold_build(run: dict[str, Any]) -> None:
    identity = run["data"]["sizes"][0]["identity"]
    assert identity["checked"] is True
    assert identity["files"] > 15  # the pages, PDF, DOCX, assets, search index, sitemap
    assert identity["identical"] == identity["files"] and identity["differing_count"] == 0


def test_plain_mkdocs(run: dict[str, Any]) -> None:
    plain = run["data"]["sizes"][0]["plain"]
    assert plain["run"] is True and plain["wall_s"] > 0 and plain["peak_mb"] > 0
    assert plain["html_files"] == 16  # the 15 pages and 404.html


def test_corpus_removed(run: dict[str, Any]) -> None:
    assert not run["corpus"].exists()  # without --keep


def test_serve(run: dict[str, Any]) -> None:
    serve = run["data"]["sizes"][0]["serve"]
    if not run["bench"].serve_available(REPO / "tests"):
        # Not faked: this checkout has no `dossier serve`, and the report says so.
        assert serve == {
            "available": False,
            "reason": "`dossier serve` does not exist in this checkout",
        }
        pytest.skip("`dossier serve` does not exist yet: save-to-refresh not measured")
    assert serve["available"] is True and serve["url"].startswith("http://127.0.0.1:")
    assert len(serve["edits"]) == 2
    for edit in serve["edits"]:
        assert edit["page"] == "bench-00001/index.html" and edit["seconds"] > 0
    assert serve["median_s"] > 0 and serve["max_s"] >= serve["median_s"]
    assert serve["stopped_by_sigint"] is True and serve["left_running"] == []

"""A tiny run of bench/pdf.py: its letters, the 2-worker mode and the stages, on 3 letters.

The figures mean nothing at this size; this checks that each mode runs and reports the
fields the summary prints, so the benchmark does not rot between the times it is run.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest
from conftest import load_bench

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("pdf")


def test_letters_differ_and_carry_their_footnotes(bench: ModuleType) -> None:
    first, second = bench.synthetic_letter(0), bench.synthetic_letter(1)
    assert first != second
    assert first == bench.synthetic_letter(0)  # deterministic
    notes = first.count("[^")
    assert notes >= 10 and notes % 2 == 0  # each note referenced once and defined once


def test_two_workers_render_two_page_letters(bench: ModuleType) -> None:
    figures = bench.run_mode("2w", 3)
    assert figures["pages"] == 2.0
    assert figures["ms_per_letter"] > 0 and figures["cpu_ms_per_letter"] > 0


def test_stages_time_pandoc_and_typst_apart(bench: ModuleType) -> None:
    figures = bench.run_stages(3)
    assert set(figures) == {"pandoc_ms", "typst_ms"}
    assert figures["typst_ms"] > 0
    # pandoc's start is left out, so its share can come out at 0 on a coarse CPU clock
    assert figures["pandoc_ms"] >= 0

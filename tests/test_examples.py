"""The example dossiers under change: what a writer's edit does to the check's verdict."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tooling.cli import main

REPO = Path(__file__).resolve().parent.parent
IMSR_YAML = "dossiers/imsr-chronische-pijn/dossier.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for part in ("dossiers", "data", "dossier.toml"):
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, tmp_path / part)
        else:
            shutil.copy2(source, tmp_path / part)
    return tmp_path


def run(project: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--root", str(project), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out + err


def test_repository_passes_the_check_with_a_summary(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = run(project, capsys, "check")
    assert code == 0, out
    summary = out.strip().splitlines()[-1]
    assert re.search(
        r"\d+ dossiers?, \d+ indications?( \(\d+ subgroups?\))?, \d+ references? \(\d+ flagged\)",
        summary,
    ), summary
    assert "sha256" in summary


def test_removing_the_recorded_invalidation_fails_at_the_conclusion(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / IMSR_YAML
    text = path.read_text(encoding="utf-8")
    # Drop the `revision:` block of the 2022 conclusion (it runs to the next less-indented key).
    without = re.sub(r"\n(\s+)revision:\n(?:\1\s+.*\n)+", "\n", text, count=1)
    assert without != text
    path.write_text(without, encoding="utf-8")
    line = next(i for i, row in enumerate(without.splitlines(), start=1) if "id: imsr-2022" in row)

    code, out = run(project, capsys, "check")

    assert code == 1
    errors = [row for row in out.splitlines() if "retracted-basis error" in row]
    assert len(errors) == 1, out
    assert errors[0].startswith(f"{IMSR_YAML}:{line}:")
    assert "imsr-2022-artikel-a" in errors[0] and "imsr-2022-artikel-b" in errors[0]
    warnings = [row for row in out.splitlines() if "flagged-evidence warning" in row]
    assert len(warnings) == 2 and all("record its revision" in row for row in warnings), out

"""A site with released versions: `dossier build` of dossiers with three released versions each.

Run from the repository root::

    .venv/bin/python bench/history_site.py                    # 50 and 500 dossiers
    .venv/bin/python bench/history_site.py --dossiers 20 100 --repeat 1

For each size it writes the synthetic project of bench/site.py (bench/corpus.py: dossiers of
10 indications, a position and a letter each, with the repository's templates and
mkdocs.yml) under bench/.corpus/history-site/ (git-ignored; removed unless ``--keep``), records
three versions in every dossier (the position on its date, the letter of 2025-03-01, and a
consultation version of the position in 2025 open for comments until 2025-09-01) and releases
them with `tooling.release.release` (untimed; PDF and DOCX are placeholders, as in
bench/site.py, since Typst and pandoc are bench/pdf.py's business). Each version then has a
page, its documents' pages and a changes page; each dossier a versions page.

Timed, in a fresh process, median of ``--repeat`` runs (after one untimed run when more
than one): ``dossier build -o <dir> --quiet`` (bench/site.py's measured command, with the
same document stub).

The project keeps the default ``[site] menu = "auto"``: above 100 dossiers each page's menu
shows its own dossier, not all of them (docs/site.md), as a real site of that size builds.

Target (issue 12): the build stays linear in the number of pages: ms per page at the largest
size at most 1.3x ms per page at the smallest. Exit 1 when missed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from check import load_bench, run_once  # noqa: E402

SITE = load_bench("site")
TARGET_LINEARITY = 1.3
VERSIONS = """
versions:
  - id: standpunt
    date: {position_date}
    status: definitive
    documents: [standpunt]
  - id: brief-2025
    date: 2025-03-01
    status: definitive
    documents: [brief-beroepsgroep]
  - id: consultatie-2025
    date: 2025-04-01
    status: consultation
    consultation_until: 2025-09-01
    documents: [standpunt]
"""


def make_project(root: Path, dossiers: int, seed: int) -> int:
    """The bench/site.py project with three released versions per dossier; returns versions."""
    SITE.make_project(root, dossiers, seed, menu=None)  # type: ignore[attr-defined]  # auto
    for folder in sorted((root / "dossiers").iterdir()):
        path = folder / "dossier.yaml"
        text = path.read_text(encoding="utf-8")
        position_date = next(
            line.split(":", 1)[1].strip()
            for line in text.split("position:", 1)[1].splitlines()
            if line.startswith("  date:")
        )
        path.write_text(text + VERSIONS.format(position_date=position_date), encoding="utf-8")
    exec(SITE._STUB_DOCUMENTS, {})  # type: ignore[attr-defined]  # placeholder PDF/DOCX
    from tooling.config import load_config
    from tooling.release import Released, release

    config = load_config(root)
    released = 0
    for folder in sorted((root / "dossiers").iterdir()):
        for version in ("standpunt", "brief-2025", "consultatie-2025"):
            outcome = release(config, folder.name, version, jobs=1)
            if not isinstance(outcome, Released):
                errors = "\n".join(f.format() for f in outcome.errors[:10])
                sys.exit(f"release of {folder.name} {version} failed:\n{errors}")
            released += 1
    return released


def measure(dossiers: int, base: Path, repeat: int, seed: int) -> dict[str, float]:
    work = base / f"dossiers-{dossiers}"
    project, out = work / "project", work / "site"
    began = time.perf_counter()
    versions = make_project(project, dossiers, seed)
    prepared = time.perf_counter() - began
    command = [sys.executable, "-c", SITE.OUR_BUILD, str(project), str(out)]  # type: ignore[attr-defined]
    if repeat > 1:  # an untimed first run (file cache, compiled templates) before the timed
        SITE.run_checked("our build", command, ROOT, sample=True)  # type: ignore[attr-defined]
    walls = []
    for _ in range(repeat):
        run = run_once(command, ROOT, sample=False)
        if run.returncode != 0:
            sys.exit(f"our build failed:\n{run.stderr[-3000:]}")
        walls.append(run.wall)
    pages = sum(1 for _ in out.rglob("*.html"))
    version_pages = sum(1 for p in out.rglob("*.html") if "/versies/" in p.as_posix())
    wall = statistics.median(walls)
    print(
        f"{dossiers:>5} dossiers, {versions:>5} released versions: {pages:>6} pages "
        f"({version_pages} of versions); build {wall:6.2f} s, {wall / pages * 1000:5.1f} ms/page "
        f"(prepared in {prepared:.0f} s)",
        flush=True,
    )
    return {"dossiers": dossiers, "pages": pages, "wall": wall, "ms_per_page": wall / pages * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20_261_130)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / ".corpus" / "history-site")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    results = []
    try:
        for dossiers in sorted(args.dossiers):
            results.append(measure(dossiers, args.corpus, args.repeat, args.seed))
    finally:
        if not args.keep:
            shutil.rmtree(args.corpus, ignore_errors=True)
    if args.json:
        print(json.dumps(results))
    if len(results) < 2:
        return 0
    ratio = results[-1]["ms_per_page"] / results[0]["ms_per_page"]
    print(
        f"linearity: {results[-1]['ms_per_page']:.1f} ms/page at {results[-1]['pages']} pages / "
        f"{results[0]['ms_per_page']:.1f} at {results[0]['pages']} = {ratio:.2f} "
        f"(target <= {TARGET_LINEARITY})"
    )
    if ratio > TARGET_LINEARITY:
        print(f"MISSED: not linear ({ratio:.2f} > {TARGET_LINEARITY})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

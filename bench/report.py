"""Reporting at scale: `dossier check` with tens of thousands of findings stays linear.

A dossier with N never-cited references gives N `unused-reference` warnings. `dossier check`
(summarised), `dossier check --quiet`, `dossier check --all` and `--format json` are timed,
each in a fresh process, at two sizes; the time per finding at the larger size may be at most
TARGET_LINEARITY times that at the smaller (a quadratic report doubles it when N doubles).

    .venv/bin/python bench/report.py                 # 20,000 and 40,000 findings
    .venv/bin/python bench/report.py --sizes 2000 4000
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "base"
TARGET_LINEARITY = 1.5  # seconds per finding at the larger size / at the smaller
VARIANTS = {
    "summarised": ["check"],
    "quiet": ["check", "--quiet"],
    "all": ["check", "--all"],
    "json": ["check", "--format", "json"],
}


def make_project(root: Path, findings: int) -> None:
    dossier = root / "dossiers" / "base"
    shutil.copytree(FIXTURE, dossier)
    with (dossier / "references.bib").open("a", encoding="utf-8") as bib:
        for i in range(findings):
            bib.write(f"\n@misc{{ongebruikt{i},\n  title = {{Ongebruikt {i}}},\n}}\n")


def timed(root: Path, args: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tooling", "--root", str(root), *args],
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"dossier {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return elapsed, len(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=(20_000, 40_000))
    args = parser.parse_args(argv)
    small, large = args.sizes
    results: dict[str, dict[int, float]] = {name: {} for name in VARIANTS}
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        for size in (small, large):
            root = Path(tmp) / f"n{size}"
            make_project(root, size)
            for name, variant in VARIANTS.items():
                seconds, printed = timed(root, variant)
                results[name][size] = seconds
                print(
                    f"{size:7d} findings  {name:10s} {seconds:6.2f} s  "
                    f"{1e6 * seconds / size:7.1f} µs/finding  {printed / 1e6:6.1f} MB printed"
                )
    failed = []
    for name, by_size in results.items():
        ratio = (by_size[large] / large) / (by_size[small] / small)
        print(f"{name:10s} time per finding at {large} / at {small}: {ratio:.2f}")
        if ratio > TARGET_LINEARITY:
            failed.append(name)
    if failed:
        print(f"target missed (≤ {TARGET_LINEARITY}): {', '.join(failed)}")
        return 1
    print(f"all within target (≤ {TARGET_LINEARITY})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

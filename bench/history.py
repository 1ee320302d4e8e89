"""What `--as-of` adds to a render: check + render of a synthetic project, with and without it.

Run: .venv/bin/python bench/history.py [--dossiers 200] [--repeat 5]

The project is the corpus of `bench/corpus.py` (N dossiers of 10 indications, each with a
revised and a current conclusion, three coverage periods and a letter) with the repository's
templates, under bench/.corpus/history/ (git-ignored; removed afterwards unless --keep).

Measured in this process on one core (``jobs=1``, so its CPU time is the whole work), runs
interleaved in a rotating order after a garbage collection, median of --repeat runs each:

- plain: ``pipeline.check(config)`` then ``pipeline.render(checked)`` (every document and site
  page in memory);
- as of: the same with ``as_of`` = today, so the same facts are rendered and the difference is
  the cost of `history.at` (the walk over every dossier, flags and the source map);
- as of a past day (for information): half of the dated facts left out, so less to render.

PDF and DOCX are left out on purpose: they take seconds per document and `--as-of` does not
touch them, so including them would hide the overhead; this is the strict measure.
Target: as of today ≤ 1.10 × plain in CPU time (wall time is printed too; on the shared
2-core machine it is dominated by whatever else runs). Exits 1 when missed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import generate_corpus  # noqa: E402

from tooling import history  # noqa: E402
from tooling.config import load_config  # noqa: E402
from tooling.pipeline import check, render  # noqa: E402

TARGET = 1.10


def make_project(root: Path, dossiers: int, seed: int) -> None:
    if root.exists():
        shutil.rmtree(root)
    generate_corpus(
        root,
        dossiers=dossiers,
        indications=10,
        references=20 * dossiers,
        retraction_rows=60 * dossiers,
        seed=seed,
    )
    shutil.copytree(ROOT / "templates", root / "templates")


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """(wall, CPU of this process) seconds of one run."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20_261_130)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / ".corpus" / "history")
    parser.add_argument("--keep", action="store_true", help="keep the corpus")
    args = parser.parse_args(argv)

    make_project(args.corpus, args.dossiers, args.seed)
    config = load_config(args.corpus)
    first = check(config)
    days = sorted(
        d
        for loaded in first.loaded
        if loaded.model is not None
        for d in (history.first_date(loaded.model),)
        if d is not None
    )
    past = days[len(days) // 2].latest() if days else dt.date.today()

    def run(day: dt.date | None) -> Callable[[], object]:
        def go() -> object:
            checked = check(config, as_of=day, jobs=1)
            return render(checked, only_ok=True)

        return go

    cases = {"plain": run(None), "as of today": run(dt.date.today()), f"as of {past}": run(past)}
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for go in cases.values():  # warm up: templates compiled, caches filled
        go()
    names = list(cases)
    for k in range(args.repeat):
        for name in names[k % len(names) :] + names[: k % len(names)]:
            gc.collect()
            results[name].append(timed(cases[name]))

    pages = len(render(check(config), only_ok=True).pages)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"{args.dossiers} dossiers, {pages} pages; check + render in memory, median of "
        f"{args.repeat} (load average {load:.2f})"
    )
    walls = {name: statistics.median(w for w, _ in runs) for name, runs in results.items()}
    cpus = {name: statistics.median(c for _, c in runs) for name, runs in results.items()}
    for name in results:
        print(
            f"  {name:<20} {walls[name]:6.2f} s wall ({walls[name] / walls['plain']:4.2f}x)"
            f"  {cpus[name]:6.2f} s CPU ({cpus[name] / cpus['plain']:4.2f}x)"
        )

    if not args.keep:
        shutil.rmtree(args.corpus)
    ratio = cpus["as of today"] / cpus["plain"]
    if ratio > TARGET:
        print(
            f"MISSED: --as-of adds {100 * (ratio - 1):.0f} % (target ≤ {100 * (TARGET - 1):.0f} %)"
        )
        return 1
    print(f"ok: --as-of adds {100 * (ratio - 1):+.1f} % (target ≤ {100 * (TARGET - 1):.0f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

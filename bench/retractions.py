"""Retraction data at real size: `dossier check` and `dossier retractions update`, beside rwcheck.

Run from the repository root (rwcheck comes with ``scripts/setup bench``)::

    .venv/bin/python bench/retractions.py                 # 70,000 rows, ~67 MB: the targets
    .venv/bin/python bench/retractions.py --repeat 1      # one timed run each

It writes a snapshot in the live export's exact shape (bench/rwsnapshot.py: a trailing comma
on every line, ``3/9/2026 0:00`` dates, a few invalid UTF-8 bytes; every record invented,
every DOI under the test prefix 10.5555) into a temporary folder, and times, each command in
a fresh process (median of ``--repeat`` runs, after one untimed warm-up run):

1. ``dossier check`` of the example project as it is (the example CSV, 7 rows): *today*;
2. ``dossier retractions update --from <the CSV>`` in a fresh copy of the example project,
   and in a copy of the test fixture's dossier, whose jansen2020 the snapshot retracts (a
   report with a change, the conclusion and its documents, exit 1);
3. ``dossier check`` of the updated example project: with the parsed snapshot cached (as the
   update leaves it); as a fresh clone has it (the index the update commits beside the
   snapshot, ``.dossier-cache/retractions`` removed before each run); and with neither (a
   snapshot replaced by hand);
4. rwcheck building its SQLite database from the same CSV (``scripts.build_db.build_db``).

Targets (2 cores): the check adds at most 1 s to *today*, with the cache the update leaves
and after a fresh clone (the figure without index and cache is printed beside them), and
the update with its report takes at most 10 s.
Exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from rwsnapshot import COLUMNS, write_snapshot  # noqa: E402

TARGET_CHECK_ADDED = 1.0  # seconds over today's check
TARGET_UPDATE = 10.0  # seconds, with the report, from a local file
PROJECT_PARTS = ("dossiers", "templates", "data", "dossier.toml", "mkdocs.yml")
DOSSIER = [sys.executable, "-m", "tooling"]

BUILD_RWCHECK_DB = r"""
import sys
from scripts.build_db import build_db
build_db(csv_path=sys.argv[1], url=None, db_path=sys.argv[2], force=True)
"""


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mb: float
    code: int
    out: str


def run(command: list[str], cwd: Path) -> Run:
    """Run a command in a fresh process: wall and CPU time, peak RSS, exit code, output."""
    with tempfile.TemporaryFile() as out:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    return Run(
        wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, process.returncode, text
    )


def timed(
    name: str, command: list[str], prepare: object, repeat: int, expect: tuple[int, ...] = (0,)
) -> list[Run]:
    """One warm-up run, then ``repeat`` timed runs; ``prepare()`` gives each its folder."""
    runs = []
    for attempt in range(repeat + 1):
        cwd = prepare()  # type: ignore[operator]
        result = run(command, cwd)
        if result.code not in expect:
            sys.exit(f"{name}: exit {result.code}, expected {expect}:\n{result.out[-3000:]}")
        if attempt:
            runs.append(result)
    return runs


def copy_project(source: Path, target: Path) -> Path:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for part in PROJECT_PARTS:
        path = source / part
        if path.is_dir():
            shutil.copytree(path, target / part, ignore=shutil.ignore_patterns(".dossier-cache"))
        elif path.exists():
            shutil.copy2(path, target / part)
    return target


def fixture_project(target: Path) -> Path:
    """The test fixture's dossier with the example snapshot and the toolkit's templates."""
    copy_project(ROOT, target)
    shutil.rmtree(target / "dossiers")
    shutil.copytree(ROOT / "tests" / "fixtures" / "base", target / "dossiers" / "base")
    return target


def project_rows() -> list[list[str]]:
    """Notices about the fixture's references (fictitious, 10.5555): news for the report."""
    cells = dict.fromkeys(COLUMNS, "")
    cells.update(
        {
            "Title": "Synthetic record: the fixture's jansen2020",
            "RetractionDate": "3/9/2026 0:00",
            "RetractionDOI": "10.5555/rw-synthetic.notice.fixture",
            "OriginalPaperDate": "1/15/2020 0:00",
            "Reason": "+Concerns/Issues About Data;",
            "Paywalled": "No",
        }
    )
    retraction = {
        **cells,
        "Record ID": "99000001",
        "OriginalPaperDOI": "10.5555/fictief.2020.001",
        "RetractionNature": "Retraction",
    }
    correction = {
        **cells,
        "Record ID": "99000002",
        "OriginalPaperDOI": "10.5555/fictief.2018.003",
        "RetractionNature": "Correction",
    }
    return [[row[c] for c in COLUMNS] for row in (retraction, correction)]


def median(runs: list[Run]) -> float:
    return statistics.median(r.wall for r in runs)


def cpu(runs: list[Run]) -> float:
    return statistics.median(r.cpu for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=70_000)
    parser.add_argument("--megabytes", type=float, default=67.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None, help="folder to work in (kept)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-retractions-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return measure(work, args)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def measure(work: Path, args: argparse.Namespace) -> int:
    csv_path = work / "retraction_watch.csv"
    started = time.perf_counter()
    # In a child process: the timed commands are forked from this one, and would otherwise
    # inherit (and report as their peak) the memory the generator used.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        size = pool.submit(
            write_snapshot,
            csv_path,
            rows=args.rows,
            target_bytes=int(args.megabytes * 1_000_000),
            extra=project_rows(),
        ).result()
    head = csv_path.read_bytes()[:20_000].split(b"\n", 2)
    print(
        f"snapshot: {args.rows + 2:,} rows, {size / 1e6:.1f} MB, written in "
        f"{time.perf_counter() - started:.1f} s ({csv_path})"
    )
    print(f"  header ends {head[0][-22:].decode()!r}; first row ends {head[1][-30:].decode()!r}")
    cores = len(os.sched_getaffinity(0))
    print(f"machine: {cores} cores, load average {os.getloadavg()[0]:.2f} at the start\n")
    update = [*DOSSIER, "retractions", "update", "--from", str(csv_path), "--date", "2026-03-10"]

    today = timed(
        "check (today)",
        [*DOSSIER, "check"],
        lambda: copy_project(ROOT, work / "today"),
        args.repeat,
    )
    updated_example = timed(
        "update (example project)",
        [*update, "--quiet"],
        lambda: copy_project(ROOT, work / "example"),
        args.repeat,
    )
    with_report = timed(
        "update (fixture, with a change)",
        [*update, "--quiet"],
        lambda: fixture_project(work / "fixture"),
        args.repeat,
        expect=(1,),
    )
    report = with_report[-1].out
    assert "Nieuw teruggetrokken (1)" in report and "testpijn-2021" in report, report

    example = work / "example"  # as the last update left it, cache included
    warm = timed("check (real size, cached)", [*DOSSIER, "check"], lambda: example, args.repeat)

    def cold() -> Path:  # a fresh clone: the snapshot and its committed index, no cache
        shutil.rmtree(example / ".dossier-cache" / "retractions", ignore_errors=True)
        return example

    cold_runs = timed("check (fresh clone: index)", [*DOSSIER, "check"], cold, args.repeat)
    index = next((example / "data").glob("*.index.json.gz"))
    kept_index = index.read_bytes()

    def bare() -> Path:  # a snapshot put there by hand, without the update: neither
        cold()
        index.unlink(missing_ok=True)
        return example

    bare_runs = timed("check (no index, no cache)", [*DOSSIER, "check"], bare, args.repeat)
    index.write_bytes(kept_index)
    assert "retraction-watch-2026-03-10.csv.gz" in warm[-1].out, warm[-1].out

    rwcheck = None
    try:
        import scripts.build_db  # noqa: F401  (rwcheck's, shipped in its wheel)

        rwcheck = timed(
            "rwcheck build_db",
            [sys.executable, "-c", BUILD_RWCHECK_DB, str(csv_path), str(work / "rw.sqlite")],
            lambda: work,
            args.repeat,
        )
    except ImportError:
        print("rwcheck is not installed (scripts/setup bench): no comparison\n")

    rows = [
        ("dossier check, example project as today (7-row CSV)", today),
        ("dossier check, real-size snapshot, cached", warm),
        ("dossier check, real-size snapshot, fresh clone (index)", cold_runs),
        ("dossier check, real-size snapshot, no index, no cache", bare_runs),
        ("dossier retractions update, example project", updated_example),
        ("dossier retractions update, fixture (1 retraction, report)", with_report),
    ]
    if rwcheck:
        rows.append(("rwcheck build_db from the same CSV", rwcheck))
    print(f"{'median of ' + str(args.repeat) + ' runs':58} {'wall':>7} {'cpu':>7} {'peak':>8}")
    for name, runs in rows:
        print(
            f"{name:58} {median(runs):6.2f}s {cpu(runs):6.2f}s {max(r.peak_mb for r in runs):6.0f}MB"
        )
    added_warm = median(warm) - median(today)
    added_cold = median(cold_runs) - median(today)
    added_bare = median(bare_runs) - median(today)
    slowest_update = max(median(updated_example), median(with_report))
    print(
        f"\ncheck: +{added_warm:.2f} s over today with the cache the update leaves, "
        f"+{added_cold:.2f} s the first time after a fresh clone (the committed index, no "
        f"cache) (target {TARGET_CHECK_ADDED:.1f} s each); +{added_bare:.2f} s with neither "
        "(a snapshot replaced by hand, not by the update)"
    )
    print(f"update with its report: {slowest_update:.2f} s (target {TARGET_UPDATE:.0f} s)")
    if rwcheck:
        print(
            f"rwcheck builds its database from the same CSV in {median(rwcheck):.2f} s "
            f"(our update, which also validates, compresses, stores and reports: "
            f"{median(updated_example):.2f} s)"
        )
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    failures = []
    if args.rows >= 70_000:
        if added_warm > TARGET_CHECK_ADDED:
            failures.append(f"check adds {added_warm:.2f} s (target {TARGET_CHECK_ADDED} s)")
        if added_cold > TARGET_CHECK_ADDED:
            failures.append(
                f"check after a fresh clone adds {added_cold:.2f} s (target {TARGET_CHECK_ADDED} s)"
            )
        if slowest_update > TARGET_UPDATE:
            failures.append(f"update takes {slowest_update:.2f} s (target {TARGET_UPDATE} s)")
    for failure in failures:
        print(f"TARGET MISSED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

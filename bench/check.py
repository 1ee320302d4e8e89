"""Benchmark `dossier check` on a synthetic corpus, and its retraction lookup against rwcheck.

Run from the repository root (rwcheck comes with ``scripts/setup bench``)::

    .venv/bin/python bench/check.py              # 1,000 dossiers: the targets apply
    .venv/bin/python bench/check.py --quick      # 50 dossiers: correctness only
    .venv/bin/python bench/check.py --dossiers 200 --repeat 1

It writes a corpus (bench/corpus.py) into bench/.corpus/ (git-ignored): N dossiers with 10
indications and 20 references each, and a Retraction Watch CSV of 60 rows per dossier in
which 1.5 % of the corpus references have notices (retractions, corrections, expressions of
concern, retractions later reinstated). Then, each in a fresh process, timed with its peak
memory (all of its processes together):

1. ``python -m tooling check --format json``: the full check, what a writer runs;
2. our retraction lookup alone: read the CSV and every references.bib, report the
   references with a notice in force (what rwcheck does, so the ratio compares like with
   like; the full check is the honest upper bound and is compared too);
3. rwcheck: build its SQLite database from the same CSV (``scripts.build_db.build_db``),
   then ``rwcheck batch-bib`` on all references.bib files concatenated into one.

The flagged DOIs of all three are extracted from their outputs and compared with each
other and with the answer key the generator wrote. Exit 1 when a target or a comparison
fails (each one is named), 0 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from corpus import CorpusInfo, concatenate_bibliographies, generate_corpus  # noqa: E402


def load_bench(name: str) -> ModuleType:
    """bench/<name>.py as the module ``bench_<name>`` (bench/site.py would shadow ``site``)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


TARGET_SECONDS = 5.0  # full check of 1,000 dossiers
TARGET_MB = 500.0  # peak memory of the full check, all processes together
TARGET_RATIO = 3.0  # rwcheck's time / ours, same work
TARGET_DOSSIERS = 1000  # the targets are defined for this size

# Our retraction lookup alone, as a user of the library would write it: the same functions
# `dossier check` calls (tooling.load._load_references), without YAML, models or rules.
LOOKUP_ONLY = r"""
import json, sys
from pathlib import Path
from tooling.bibliography import parse_bibliography
from tooling.retractions import RetractionDatabase, current_notice

csv_path, dossiers = Path(sys.argv[1]), Path(sys.argv[2])
db = RetractionDatabase.from_csv(csv_path, display=csv_path.name)
flagged, cleared = {}, []
for bib in sorted(dossiers.glob("*/references.bib")):
    references, _ = parse_bibliography(bib.read_text(encoding="utf-8"), str(bib))
    for reference in references.values():
        found = db.notices(reference.doi_key) if reference.doi_key else []
        notice = current_notice([*reference.notices, *found])
        if notice is not None:
            flagged[reference.doi_key] = notice.nature.value
        elif found:
            cleared.append(reference.doi_key)
print(json.dumps({"flagged": flagged, "cleared": cleared}))
"""

BUILD_RWCHECK_DB = r"""
import sys
from scripts.build_db import build_db
build_db(csv_path=sys.argv[1], url=None, db_path=sys.argv[2], force=True)
"""

# "conclusion 'x' cites 'key', which has a retraction of 2019-01-01: ... (...)"
_FLAGGED_MESSAGE = re.compile(
    r"cites '(?P<key>[^']+)', which has an? (?P<nature>retraction|correction|expression of concern)\b"
)


@dataclass
class Run:
    """One process run: wall time, output and (when sampled) peak memory."""

    wall: float
    cpu: float  # user + system time of the process and the processes it waited for
    returncode: int
    stdout: str
    stderr: str
    peak_tree_mb: float = 0.0  # highest sum of RSS over the process and its descendants
    peak_pss_mb: float = 0.0  # the same in PSS (pages shared after a fork counted once)
    largest_mb: float = 0.0  # highest VmHWM (peak RSS) of a single process of the tree


@dataclass
class Measured:
    """Timed runs of one command, and one sampled run for its memory."""

    name: str
    sampled: Run | None = None  # set by the first (sampled) run
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def best(self) -> float:
        return min(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def last(self) -> Run:
        return self.runs[-1]


def _descendants(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    stack.extend(int(c) for c in handle.read().split())
            except OSError:
                pass
    return found


def _status(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of one process in bytes; (0, 0) when it is gone."""
    rss = hwm = 0
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) * 1024
                elif line.startswith("VmHWM:"):
                    hwm = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return rss, hwm


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_once(command: list[str], cwd: Path, *, sample: bool) -> Run:
    """Run a command in a fresh process; with ``sample``, watch its process tree's memory.

    RSS and VmHWM are read every 10 ms, PSS (costlier for the kernel) every 100 ms. Timed
    runs are not sampled, so the sampler never competes with them for a core.
    """
    import subprocess

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        peak = {"tree": 0, "pss": 0, "largest": 0}
        done = threading.Event()

        def watch() -> None:
            tick = 0
            while not done.is_set():
                pids = _descendants(process.pid)
                statuses = [_status(pid) for pid in pids]
                peak["tree"] = max(peak["tree"], sum(r for r, _ in statuses))
                peak["largest"] = max([peak["largest"], *(h for _, h in statuses)])
                if tick % 10 == 0:
                    peak["pss"] = max(peak["pss"], sum(_pss(pid) for pid in pids))
                tick += 1
                done.wait(0.01)

        watcher = threading.Thread(target=watch, daemon=True)
        if sample:
            watcher.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        returncode = process.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        if sample:
            watcher.join()
        out.seek(0)
        err.seek(0)
        return Run(
            wall=wall,
            cpu=usage.ru_utime + usage.ru_stime,
            returncode=returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            peak_tree_mb=peak["tree"] / 2**20,
            peak_pss_mb=peak["pss"] / 2**20,
            largest_mb=peak["largest"] / 2**20,
        )


def measure(name: str, command: list[str], cwd: Path, repeat: int, ok: set[int]) -> Measured:
    """A sampled run (memory; it also warms file cache and .pyc), then ``repeat`` timed runs."""

    def run(sample: bool) -> Run:
        result = run_once(command, cwd, sample=sample)
        if result.returncode not in ok:
            sys.exit(
                f"{name} failed (exit {result.returncode}):\n{result.stderr[-3000:]}\n"
                f"{result.stdout[-2000:]}"
            )
        return result

    measured = Measured(name, run(True))
    measured.runs = [run(False) for _ in range(repeat)]
    return measured


def flagged_from_check(output: str, info: CorpusInfo) -> tuple[dict[str, str], int]:
    """DOI -> nature of every reference `dossier check --format json` reports as flagged.

    The corpus cites every flagged reference in a conclusion, so each has a
    'flagged-evidence' finding; the summary's count is returned to confirm none is missing.
    """
    data = json.loads(output)
    flagged: dict[str, str] = {}
    for finding in data["findings"]:
        if finding["code"] != "flagged-evidence":
            continue
        match = _FLAGGED_MESSAGE.search(finding["message"])
        if match is None:
            raise ValueError(f"unexpected flagged-evidence message: {finding['message']}")
        nature = match.group("nature")
        flagged[info.doi_by_key[match.group("key")]] = nature[0].upper() + nature[1:]
    return flagged, int(data["summary"]["flagged_references"])


def flagged_from_rwcheck(report: Path) -> set[str]:
    """DOIs of the entries rwcheck's JSON report marks as matched."""
    data = json.loads(report.read_text(encoding="utf-8"))
    return {r["doi"] for r in data["results"] if r["matched"]}


def rwcheck_command() -> list[str] | None:
    executable = Path(sys.executable).with_name("rwcheck")
    if executable.exists():
        return [str(executable)]
    found = shutil.which("rwcheck")
    return [found] if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=TARGET_DOSSIERS)
    parser.add_argument("--quick", action="store_true", help="50 dossiers, one run each")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per command")
    parser.add_argument("--seed", type=int, default=20_261_122)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / ".corpus")
    args = parser.parse_args(argv)
    if args.quick:
        args.dossiers, args.repeat = 50, 1
    enforce = args.dossiers >= TARGET_DOSSIERS

    print(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    start = time.perf_counter()
    info = generate_corpus(
        args.corpus,
        dossiers=args.dossiers,
        indications=10,
        references=20 * args.dossiers,
        retraction_rows=60 * args.dossiers,
        seed=args.seed,
    )
    bib = concatenate_bibliographies(info, args.corpus / "all-references.bib")
    natures = Counter(info.flagged.values())
    print(
        f"corpus: {info.dossiers} dossiers x {info.indications} indications, "
        f"{info.references} references, {info.retraction_rows} CSV rows "
        f"({time.perf_counter() - start:.1f} s to write, in {info.root})"
    )
    print(
        f"answer key: {len(info.any_record)} references have CSV records; "
        f"{len(info.flagged)} flagged ("
        + ", ".join(f"{n} {k.lower()}" for k, n in sorted(natures.items()))
        + f"), {len(info.cleared)} cleared by a reinstatement"
    )
    print(
        f"timing: median of {args.repeat} run(s), each in a fresh process, after one run that "
        "samples memory (and warms the file cache)\n"
    )

    python = sys.executable
    full = measure(
        "dossier check (full)",
        [python, "-m", "tooling", "--root", str(info.root), "check", "--format", "json"],
        info.root,
        args.repeat,
        ok={0, 1},
    )
    lookup = measure(
        "our retraction lookup",
        [python, "-c", LOOKUP_ONLY, str(info.csv_path), str(info.dossiers_dir)],
        ROOT,
        args.repeat,
        ok={0},
    )
    rw = rwcheck_command()
    rw_build = rw_check = None
    report = None
    if rw is not None:
        work = args.corpus / "rwcheck"
        work.mkdir(exist_ok=True)
        database = work / "rw.sqlite"
        rw_build = measure(
            "rwcheck: build database",
            [python, "-c", BUILD_RWCHECK_DB, str(info.csv_path), str(database)],
            work,
            args.repeat,
            ok={0},
        )
        rw_check = measure(
            "rwcheck batch-bib",
            [*rw, "batch-bib", str(bib), "--db", str(database), "--report-dir", str(work)],
            work,
            args.repeat,
            ok={0},
        )
        report = work / f"{bib.stem}_rwcheck.json"

    failures: list[str] = []

    # --- the table -------------------------------------------------------------------------
    rows: list[tuple[str, float, float, float, float, float, float]] = []
    for m in (full, lookup, rw_build, rw_check):
        if m is not None:
            mem = m.sampled
            rows.append(
                (m.name, m.wall, m.best, m.cpu, mem.peak_tree_mb, mem.peak_pss_mb, mem.largest_mb)
            )
    if rw_build and rw_check:
        walls = [b.wall + c.wall for b, c in zip(rw_build.runs, rw_check.runs, strict=True)]
        rows.append(
            (
                "rwcheck total (build + check)",
                statistics.median(walls),
                min(walls),
                rw_build.cpu + rw_check.cpu,
                max(rw_build.sampled.peak_tree_mb, rw_check.sampled.peak_tree_mb),
                max(rw_build.sampled.peak_pss_mb, rw_check.sampled.peak_pss_mb),
                max(rw_build.sampled.largest_mb, rw_check.sampled.largest_mb),
            )
        )
    print(
        f"{'':30} {'wall':>7} {'best':>7} {'CPU':>7} {'peak RSS':>10} {'peak PSS':>10} "
        f"{'largest':>9}"
    )
    print(
        f"{'':30} {'median':>7} {'':>7} {'median':>7} {'all procs':>10} {'all procs':>10} "
        f"{'process':>9}"
    )
    for name, wall, best, cpu, tree, pss, largest in rows:
        print(
            f"{name:30} {wall:6.2f}s {best:6.2f}s {cpu:6.2f}s {tree:8.0f}MB {pss:8.0f}MB "
            f"{largest:7.0f}MB"
        )
    print()

    if enforce:
        if full.wall >= TARGET_SECONDS:
            failures.append(f"full check took {full.wall:.2f} s (target < {TARGET_SECONDS:.0f} s)")
        if full.sampled.peak_tree_mb >= TARGET_MB:
            failures.append(
                f"full check peaked at {full.sampled.peak_tree_mb:.0f} MB RSS, all processes "
                f"together (target < {TARGET_MB:.0f} MB)"
            )
    if rw_build and rw_check:
        rw_total = rows[-1][1]
        ratio_lookup, ratio_full = rw_total / lookup.wall, rw_total / full.wall
        assert rw_check is not None
        print("speed against rwcheck (cold: from the CSV and the .bib to the flagged references):")
        print(
            f"  same work, our retraction lookup:  ours/theirs = {lookup.wall / rw_total:.2f}"
            f"  ({ratio_lookup:.1f}x faster)"
        )
        print(
            f"  our full dossier check (YAML, models, rules too): ours/theirs = "
            f"{full.wall / rw_total:.2f}  ({ratio_full:.1f}x faster)"
        )
        print(
            f"  rwcheck with its database already built (batch-bib only) against our lookup, "
            f"which always reads the CSV: {rw_check.wall / lookup.wall:.1f}x faster"
        )
        if enforce and ratio_lookup < TARGET_RATIO:
            failures.append(
                f"retraction lookup only {ratio_lookup:.1f}x faster than rwcheck "
                f"(target {TARGET_RATIO:.0f}x)"
            )
    else:
        failures.append("rwcheck is not installed (scripts/setup bench): no comparison")

    # --- the same flagged references? -----------------------------------------------------
    ours_full, summary_count = flagged_from_check(full.last.stdout, info)
    ours_lookup_data = json.loads(lookup.last.stdout)
    ours_lookup: dict[str, str] = ours_lookup_data["flagged"]
    expected = info.flagged
    print("\nflagged references (DOIs):")
    print(f"  answer key                      {len(expected):5}")
    print(f"  dossier check (full)            {len(ours_full):5}   (summary says {summary_count})")
    print(f"  our retraction lookup           {len(ours_lookup):5}")
    if ours_full != expected:
        failures.append("the full check's flagged references differ from the answer key")
    if summary_count != len(ours_full):
        failures.append("the full check flags references no conclusion cites")
    if ours_lookup != expected:
        failures.append("the retraction lookup's flagged references differ from the answer key")
    if set(ours_lookup_data["cleared"]) != set(info.cleared):
        failures.append("the retraction lookup clears other references than the answer key")
    if report is not None:
        theirs = flagged_from_rwcheck(report)
        only_theirs, only_ours = theirs - set(ours_full), set(ours_full) - theirs
        print(f"  rwcheck batch-bib               {len(theirs):5}")
        print(
            f"  rwcheck but not ours            {len(only_theirs):5}"
            f"   = papers retracted and later reinstated: {only_theirs == set(info.cleared)}"
        )
        print(f"  ours but not rwcheck            {len(only_ours):5}")
        same = theirs - set(info.cleared) == set(ours_full)
        print(f"  same set, reinstated papers set aside: {same}")
        if not same or only_ours or only_theirs != set(info.cleared):
            failures.append("rwcheck and dossier check flag different references")
        print(
            "  (rwcheck reports every reference with any Retraction Watch record, a\n"
            "   reinstatement included; dossier check replays the notices in date order, so a\n"
            "   reinstatement clears the retraction before it. Both count corrections and\n"
            "   expressions of concern as flagged.)"
        )

    print()
    if not enforce:
        print(f"(targets apply to {TARGET_DOSSIERS} dossiers; this run checked correctness only)")
    if failures:
        for failure in failures:
            print(f"MISSED: {failure}")
        return 1
    print("all targets met" if enforce else "all comparisons agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())

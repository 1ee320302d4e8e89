"""The writer's day, measured: a cold `dossier build`, a rebuild after one edit, the live preview.

Run from the repository root::

    .venv/bin/python bench/build.py                        # 38, 300 and 1,000 dossiers
    .venv/bin/python bench/build.py --quick                # 2 dossiers, correctness only
    .venv/bin/python bench/build.py --dossiers 38 300 --json > build.json

This is the whole `dossier build` a writer runs, with real PDFs and DOCX (Typst and pandoc),
not bench/site.py's placeholders. It takes long: at 38 dossiers (496 pages, 76 documents)
a few minutes with its three repeats; at 300 dossiers (3,902 pages, 600 documents) one cold
build takes minutes; at 1,000 dossiers (13,002 pages, 2,000 documents) a cold build with
real PDFs takes a quarter of an hour or more on 2 cores. Hence one repeat above 38 dossiers
(``--repeat`` sets it for every size).

For each size it writes bench/site.py's synthetic project (bench/corpus.py: dossiers of 10
indications, a position and a letter each; the repository's templates and mkdocs.yml; the
default ``[site] menu = "auto"``) under bench/.corpus/build/ (git-ignored; removed unless
``--keep``) and measures, each `dossier` command in a fresh process, its memory sampled
(the sum of RSS over the process tree, every 10 ms, as bench/check.py and bench/site.py do;
every run is sampled here, as a cold build at 1,000 dossiers is too long to run twice):

1. **cold**: ``dossier build -o <site>`` after removing ``.dossier-cache/`` (untimed): wall
   time, CPU time (the process and the processes it waited for), peak memory, per page and
   per document; the build's own progress lines (timestamped) split it into check + render,
   documents (PDF and DOCX), site (MkDocs) and start-up.
2. **rebuild after one edit**: the text of one condition of one dossier's position
   (``position.conditions[0].text``) gets a new word, a different dossier each repeat, then
   ``dossier build`` again with the cache: wall time, peak memory, the ratio rebuild / cold,
   and what the progress lines say was made and what came from the cache. The pages that
   show the new word are found by reading the rebuilt site. At the smallest size (every
   size with ``--verify-all``) the rebuilt site is compared byte for byte, every file, with a
   ``--no-cache`` build of the same inputs into another folder; any difference fails the run.
3. **save-to-refresh in the live preview**: ``dossier serve --port 0``; once it prints its
   ``serving http://...`` line, ``--edits`` times: write an edit to one dossier.yaml, then
   GET (every 20 ms) the page that shows the edited text (the page the rebuild showed it on,
   for that dossier) until the response holds the new word. Save-to-refresh is the time from
   the write to that response: median and max. Each edit is written once the server is at
   rest: nothing printed for 2 s and under 10 % of a core used for a second (after the page
   it makes the PDF and DOCX and rebuilds pages in the background). The server is stopped with SIGINT (its process group
   killed on any failure).
4. **plain mkdocs**: ``mkdocs build --strict`` of the same pages with Material's defaults
   (the full menu on every page), prepared by bench/site.py (its ``PREPARE_PLAIN``; PDF and
   DOCX are placeholders there), beside our cold build's site part and total. Material's
   full menu makes that build grow with pages x dossiers (about 13,000 pages x 1,000
   sections at 1,000 dossiers, most of an hour), so it runs only up to ``--plain-up-to``
   dossiers (default 300); above that the report says it was not run.

Targets (exit 1 when missed, each named): rebuild <= 25 % of cold at 38 dossiers and
<= 10 % at 300 dossiers; save-to-refresh (max of the edits) <= 1 s at 38 dossiers; and the
rebuild's output must be a cold build's. Other sizes are reported for information.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from check import Run, _descendants, _status, load_bench, run_once  # noqa: E402

SITE = load_bench("site")

DEFAULT_DOSSIERS = (38, 300, 1000)
QUICK_DOSSIERS = (2,)
REBUILD_TARGETS = {38: 0.25, 300: 0.10}  # dossiers -> rebuild wall / cold wall, at most
REFRESH_TARGETS = {38: 1.0}  # dossiers -> save-to-refresh (max over the edits), seconds
POLL_S = 0.02
REFRESH_TIMEOUT_S = 120.0  # an edit that shows no sooner has failed
QUIET_S = 2.0  # an edit is written once the server has printed nothing for this long
IDLE_CPU = 0.1  # ... and its process tree used less than this share of a core for a second
SETTLE_TIMEOUT_S = 600.0

# The first condition of the position: "  conditions:\n    - id: x\n      text: ...".
_CONDITION = re.compile(r"(?m)^(  conditions:\n    - id: [^\n]+\n      text: )([^\n]*)$")
_PROGRESS = re.compile(r"^\[\s*(?P<at>[0-9.]+)s\] (?P<text>.*)$")
_DOCUMENTS = re.compile(
    r"rendering (?P<pdf>\d+) PDF(?: \((?P<pdf_cached>\d+) unchanged, from the cache\))? and "
    r"(?P<docx>\d+) DOCX(?: \((?P<docx_cached>\d+) unchanged, from the cache\))? "
    r"on (?P<workers>\d+) worker"
)
_PAGES = re.compile(
    r"pages: (?P<cached>\d+) of (?P<total>\d+) unchanged, from the cache; "
    r"(?P<converted>\d+) converted, (?P<rendered>\d+) rendered"
)
_SITE_PAGES = re.compile(r"building the site: (?P<pages>\d+) pages")
_SERVING = re.compile(r"serving (?P<url>https?://\S+?/?) \(")


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the toolkit measured ----------------------------------------------------------------


def code_digest(package: Path) -> str:
    """A digest of a package's Python files (names and contents)."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else "?"


def snapshot_toolkit(folder: Path) -> dict[str, Any]:
    """Copy ``tooling/`` as it stands now into ``folder``, compiled; what was copied.

    Every measured process imports the copy (``PYTHONPATH``), so that an edit to the working
    tree during a long run (another engineer's, say) does not change the code half-way: the
    build cache keys on the toolkit's code, and a rebuild by a changed toolkit makes
    everything anew.
    """
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(
        ROOT / "tooling", folder / "tooling", ignore=shutil.ignore_patterns("__pycache__")
    )
    compileall.compile_dir(folder / "tooling", quiet=1)
    return {
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain", "--", "tooling")),
        "code_digest": code_digest(folder / "tooling"),
    }


# --- the progress lines of `dossier build` ---------------------------------------------------


@dataclass
class Progress:
    """What a build's progress lines (stderr, without --quiet) say."""

    lines: list[tuple[float, str]]
    pdf_made: int | None = None
    pdf_cached: int | None = None
    docx_made: int | None = None
    docx_cached: int | None = None
    pages: int | None = None
    pages_cached: int | None = None
    pages_converted: int | None = None
    pages_rendered: int | None = None

    @classmethod
    def parse(cls, stderr: str) -> Progress:
        lines = []
        for line in stderr.splitlines():
            match = _PROGRESS.match(line.strip())
            if match:
                lines.append((float(match["at"]), match["text"]))
        found = cls(lines)
        for _, text in lines:
            if match := _DOCUMENTS.search(text):
                found.pdf_made, found.docx_made = int(match["pdf"]), int(match["docx"])
                found.pdf_cached = int(match["pdf_cached"] or 0)
                found.docx_cached = int(match["docx_cached"] or 0)
            elif match := _PAGES.search(text):
                found.pages = int(match["total"])
                found.pages_cached = int(match["cached"])
                found.pages_converted = int(match["converted"])
                found.pages_rendered = int(match["rendered"])
            elif (match := _SITE_PAGES.search(text)) and found.pages is None:
                found.pages = int(match["pages"])
        return found

    def at(self, prefix: str) -> float | None:
        """The time stamp of the first line that starts with ``prefix``."""
        return next((at for at, text in self.lines if text.startswith(prefix)), None)

    def steps(self, wall: float) -> dict[str, float]:
        """Seconds per stage, from the time stamps (0.1 s resolution).

        check: loading, checking and rendering the documents' text; documents: PDF and
        DOCX; site: generating the pages and MkDocs, up to "site ready"; start-up: the
        process's wall time outside those (interpreter, imports, exit).
        """
        rendering = self.at("rendering ")
        site = self.at("building the site")
        ready = self.at("site ready")
        if rendering is None or site is None or ready is None:
            return {}
        return {
            "check": rendering,
            "documents": site - rendering,
            "site": ready - site,
            "startup": max(0.0, wall - ready),
        }

    def made(self) -> dict[str, int | None]:
        return {
            "pdf_made": self.pdf_made,
            "pdf_cached": self.pdf_cached,
            "docx_made": self.docx_made,
            "docx_cached": self.docx_cached,
            "pages": self.pages,
            "pages_cached": self.pages_cached,
            "pages_converted": self.pages_converted,
            "pages_rendered": self.pages_rendered,
        }

    def describe(self) -> str:
        def cached(n: int | None) -> str:
            return f" ({n} from the cache)" if n else ""

        pages = (
            f"{self.pages_converted} converted and {self.pages_rendered} rendered of "
            f"{self.pages} pages ({self.pages_cached} from the cache)"
            if self.pages_cached is not None
            else f"{self.pages} pages (no cache line)"
        )
        return (
            f"{self.pdf_made} PDF{cached(self.pdf_cached)}, "
            f"{self.docx_made} DOCX{cached(self.docx_cached)}, {pages}"
        )


# --- measured runs -----------------------------------------------------------------------


@dataclass
class BuildRun:
    """One `dossier build` in a fresh process."""

    wall: float
    cpu: float
    peak_mb: float
    steps: dict[str, float]
    made: dict[str, int | None]
    dossier: str | None = None  # the dossier edited before it (rebuilds)
    word: str | None = None  # the new word written into it
    pages_with_edit: list[str] = field(default_factory=list)  # rebuilt pages that show it

    @classmethod
    def of(cls, run: Run) -> BuildRun:
        progress = Progress.parse(run.stderr)
        return cls(
            wall=run.wall,
            cpu=run.cpu,
            peak_mb=run.peak_tree_mb,
            steps=progress.steps(run.wall),
            made=progress.made(),
        )


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else 0.0


def _summary(runs: Sequence[BuildRun]) -> dict[str, Any]:
    keys = sorted({k for r in runs for k in r.steps})
    return {
        "wall_s": _median([r.wall for r in runs]),
        "cpu_s": _median([r.cpu for r in runs]),
        "peak_mb": max((r.peak_mb for r in runs), default=0.0),
        "steps_s": {k: _median([r.steps.get(k, 0.0) for r in runs]) for k in keys},
        "runs": [asdict(r) for r in runs],
    }


class Failed(Exception):
    """A run that did not do what it must (a failing command, a wrong output)."""


def run_checked(name: str, command: list[str], cwd: Path, *, sample: bool = True) -> Run:
    """A fresh-process run that must succeed."""
    result = run_once(command, cwd, sample=sample)
    if result.returncode != 0:
        raise Failed(
            f"{name} failed (exit {result.returncode}):\n{result.stderr[-3000:]}\n"
            f"{result.stdout[-2000:]}"
        )
    return result


def dossier_command(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tooling", "--root", str(project), *args]


# --- edits -------------------------------------------------------------------------------


def edit_dossier(path: Path, word: str) -> str:
    """Give the first condition of the position a new text holding ``word``; return the text."""
    text = path.read_text(encoding="utf-8")
    matches = list(_CONDITION.finditer(text))
    if len(matches) != 1:
        raise Failed(f"{path}: expected one position condition to edit, found {len(matches)}")
    match = matches[0]
    original = re.sub(r" \(ijkwoord\w+\)\.$", ".", match[2])
    new = f"{original.rstrip('.')} ({word})."
    path.write_text(text[: match.start(2)] + new + text[match.end(2) :], encoding="utf-8")
    return new


def pages_showing(site: Path, word: str) -> list[str]:
    """The HTML pages of a built site whose bytes hold ``word``, sorted."""
    needle = word.encode("utf-8")
    return sorted(
        p.relative_to(site).as_posix() for p in site.rglob("*.html") if needle in p.read_bytes()
    )


def page_for(pages: Sequence[str], slug: str) -> str | None:
    """Of the pages that show an edit of dossier ``slug``, the one to watch: its own page."""
    own = [p for p in pages if p.startswith(f"{slug}/")]
    if f"{slug}/index.html" in own:
        return f"{slug}/index.html"
    return own[0] if own else (pages[0] if pages else None)


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def compare_sites(rebuilt: Path, cold: Path) -> dict[str, Any]:
    """Every file of the two sites, byte for byte."""
    a, b = tree(rebuilt), tree(cold)
    differing = sorted(path for path in a.keys() & b.keys() if a[path] != b[path])
    return {
        "checked": True,
        "files": len(a.keys() | b.keys()),
        "identical": len(a.keys() & b.keys()) - len(differing),
        "differing": differing[:20],
        "differing_count": len(differing),
        "only_rebuilt": sorted(a.keys() - b.keys())[:20],
        "only_no_cache": sorted(b.keys() - a.keys())[:20],
    }


# --- the live preview --------------------------------------------------------------------


def serve_available(cwd: Path) -> bool:
    """Whether the toolkit has `dossier serve` (run in ``cwd``: `-m` imports from there first)."""
    result = subprocess.run(
        [sys.executable, "-m", "tooling", "serve", "--help"],
        capture_output=True,
        cwd=cwd,
        check=False,
    )
    return result.returncode == 0


class Server:
    """`dossier serve --port 0` in its own process group; its stderr read line by line."""

    def __init__(self, project: Path) -> None:
        self.lines: list[tuple[float, str]] = []
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            dossier_command(project, "serve", "--host", "127.0.0.1", "--port", "0"),
            cwd=project,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own group: on failure, it and its helpers are killed
        )
        self.url: str | None = None
        self.ready = threading.Event()
        self.peak_mb = 0.0
        self._done = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        threading.Thread(target=self._sample, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append((time.perf_counter() - self.started, line))
            if self.url is None and (match := _SERVING.search(line)):
                url = match["url"]
                self.url = url if url.endswith("/") else url + "/"
                self.ready.set()
        self.ready.set()  # the process ended (or closed stderr): stop waiting

    def _sample(self) -> None:
        while not self._done.is_set() and self.process.poll() is None:
            rss = sum(_status(pid)[0] for pid in _descendants(self.process.pid))
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            self._done.wait(0.05)

    def wait_ready(self, timeout: float) -> float:
        """Seconds from the start to the `serving` line."""
        if not self.ready.wait(timeout) or self.url is None:
            raise Failed(
                f"dossier serve printed no 'serving http://...' line within {timeout:.0f} s "
                f"(exit {self.process.poll()}):\n" + "\n".join(t for _, t in self.lines[-30:])
            )
        return next(at for at, text in self.lines if _SERVING.search(text))

    def wait_quiet(self, quiet: float, timeout: float) -> float:
        """Wait until the server is at rest; the time waited.

        At rest: it printed nothing for ``quiet`` seconds (at least ``quiet`` seconds after
        the call: its line about the last build may come after the page), and its process
        tree used under ``IDLE_CPU`` of a core over the last second. After a page it makes
        documents and rebuilds pages in the background, some of it silently for seconds; an
        edit written meanwhile waits for that work, which is another measurement (the server
        busy) than save-to-refresh at rest.
        """
        start = time.perf_counter()
        samples: list[tuple[float, float]] = []  # (time, CPU seconds of the tree)
        while True:
            now = time.perf_counter()
            samples.append((now, _tree_cpu(self.process.pid)))
            while len(samples) > 1 and now - samples[1][0] >= 1.0:
                samples.pop(0)
            then, cpu_then = samples[0]
            used = samples[-1][1] - cpu_then
            idle = now - then >= 1.0 and 0 <= used < IDLE_CPU * (now - then)
            last = max(start, self.started + (self.lines[-1][0] if self.lines else 0.0))
            if now - last >= quiet and idle:
                return now - start
            if now - start > timeout:
                raise Failed(
                    f"dossier serve was not at rest within {timeout:.0f} s:\n"
                    + "\n".join(t for _, t in self.lines[-20:])
                )
            if self.process.poll() is not None:
                raise Failed(f"dossier serve ended (exit {self.process.returncode})")
            time.sleep(0.05)

    def stop(self) -> dict[str, Any]:
        """SIGINT, as Ctrl-C; what happened."""
        self._done.set()
        start = time.perf_counter()
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()
            return {"stopped_by_sigint": False, "exit_code": None, "left_running": []}
        seconds = time.perf_counter() - start
        time.sleep(0.5)
        left = _group_members(self.process.pid)
        if left:
            self.kill()
        self._close()
        return {
            "stopped_by_sigint": True,
            "exit_code": code,
            "stop_s": seconds,
            "left_running": left,
        }

    def kill(self) -> None:
        """Kill the server's process group (only the group this script started)."""
        self._done.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        self._close()

    def _close(self) -> None:
        """Read the rest of the server's stderr and close the pipe."""
        self._reader.join(timeout=10)
        if self.process.stderr is not None and not self._reader.is_alive():
            self.process.stderr.close()


_TICK = os.sysconf("SC_CLK_TCK")


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process tree: each process's, and its waited-for children's."""
    total = 0
    for member in _descendants(pid):
        try:
            with open(f"/proc/{member}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / _TICK


def _group_members(pgid: int) -> list[int]:
    """Live processes of a process group (none once the server stopped cleanly)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry))
    return members


def fetch(url: str) -> bytes | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read() if response.status == 200 else None
    except (urllib.error.URLError, OSError, ValueError):
        return None


def measure_serve(
    project: Path,
    slugs: Sequence[str],
    template: tuple[str, str],
    edits: int,
    startup_timeout: float,
    first_word: int,
    say: Callable[[str], None],
) -> dict[str, Any]:
    """Save-to-refresh in `dossier serve`: ``edits`` edits, each to another dossier."""
    if not serve_available(project):
        say("  serve: `dossier serve` does not exist in this checkout; not measured")
        return {"available": False, "reason": "`dossier serve` does not exist in this checkout"}
    page_of_slug, example_slug = template
    server = Server(project)
    results: list[dict[str, Any]] = []
    try:
        startup = server.wait_ready(startup_timeout)
        assert server.url is not None
        say(f"  serve: serving {server.url} after {startup:.1f} s")
        for n in range(edits):
            slug = slugs[n % len(slugs)]
            page = page_of_slug.replace(example_slug, slug)
            word = f"ijkwoord{first_word + n:04d}"
            url = server.url + page
            if fetch(url) is None:
                raise Failed(f"dossier serve does not serve {url} (the page of the edit)")
            settled = server.wait_quiet(QUIET_S, SETTLE_TIMEOUT_S)
            mark = len(server.lines)
            written = time.perf_counter()
            edit_dossier(project / "dossiers" / slug / "dossier.yaml", word)
            polls = 0
            while True:
                polls += 1
                body = fetch(url)
                now = time.perf_counter()
                if body is not None and word.encode("utf-8") in body:
                    break
                if now - written > REFRESH_TIMEOUT_S:
                    raise Failed(
                        f"dossier serve: {url} did not show the edit of {slug} within "
                        f"{REFRESH_TIMEOUT_S:.0f} s:\n"
                        + "\n".join(t for _, t in server.lines[mark:][-20:])
                    )
                time.sleep(POLL_S)
            seconds = now - written
            results.append(
                {
                    "dossier": slug,
                    "page": page,
                    "word": word,
                    "seconds": seconds,
                    "polls": polls,
                    "waited_for_quiet_s": settled,
                    "mark": mark,
                }
            )
            say(
                f"  serve: edit {n + 1} ({slug}): {seconds * 1000:.0f} ms to {page} "
                f"(written after {settled:.1f} s of waiting for the server to be at rest)"
            )
        server.wait_quiet(QUIET_S, SETTLE_TIMEOUT_S)  # the last edit's lines, then stop
        marks = [r.pop("mark") for r in results] + [len(server.lines)]
        for result, begin, end in zip(results, marks, marks[1:], strict=False):
            result["server_lines"] = [t for _, t in server.lines[begin:end]]
        stopped = server.stop()
    except BaseException:
        server.kill()
        raise
    times = [r["seconds"] for r in results]
    return {
        "available": True,
        "url": server.url,
        "startup_s": startup,
        "edits": results,
        "median_s": _median(times),
        "max_s": max(times, default=0.0),
        "peak_mb": server.peak_mb,
        **stopped,
    }


# --- one size ----------------------------------------------------------------------------


@dataclass
class SizeResult:
    dossiers: int
    pages: int
    documents: int
    cold: list[BuildRun]
    rebuild: list[BuildRun]
    identity: dict[str, Any]
    plain: dict[str, Any]
    serve: dict[str, Any]
    setup_s: float

    @property
    def cold_wall(self) -> float:
        return _median([r.wall for r in self.cold])

    @property
    def rebuild_wall(self) -> float:
        return _median([r.wall for r in self.rebuild])

    @property
    def ratio(self) -> float:
        return self.rebuild_wall / self.cold_wall

    def as_json(self) -> dict[str, Any]:
        cold = _summary(self.cold)
        cold["ms_per_page"] = 1000 * cold["wall_s"] / self.pages
        cold["ms_per_document"] = 1000 * cold["wall_s"] / self.documents
        cold["mb_per_page"] = cold["peak_mb"] / self.pages
        rebuild = _summary(self.rebuild)
        rebuild["ratio_to_cold"] = self.ratio
        return {
            "dossiers": self.dossiers,
            "pages": self.pages,
            "documents": self.documents,
            "cold": cold,
            "rebuild": rebuild,
            "identity": self.identity,
            "plain": self.plain,
            "serve": self.serve,
            "setup_s": self.setup_s,
        }


def measure_size(
    dossiers: int,
    base: Path,
    repeat: int,
    edits: int,
    seed: int,
    *,
    verify: bool,
    plain_up_to: int,
    say: Callable[[str], None],
) -> SizeResult:
    """Generate the corpus of ``dossiers`` dossiers and measure the writer's day on it."""
    work = base / f"dossiers-{dossiers}"
    project, plain_dir = work / "project", work / "plain"
    site, no_cache_site, plain_site = work / "site", work / "site-no-cache", work / "site-plain"
    start = time.perf_counter()
    SITE.make_project(project, dossiers, seed, menu=None)  # the default menu: auto
    prepared = json.loads(
        run_checked(
            "preparing the plain MkDocs project",
            [sys.executable, "-c", SITE.PREPARE_PLAIN, str(project), str(plain_dir)],
            project,
            sample=False,
        ).stdout
    )
    setup = time.perf_counter() - start
    pages, documents = prepared["pages"], prepared["documents"]
    slugs = sorted(p.name for p in (project / "dossiers").iterdir() if p.is_dir())
    say(
        f"{dossiers} dossiers: {pages} pages, {documents} documents (PDF + DOCX each); "
        f"{setup:.1f} s to write; load average {_load()}"
    )
    build = dossier_command(project, "build", "-o", str(site))
    cold: list[BuildRun] = []
    rebuilds: list[BuildRun] = []
    # A different dossier each repeat, spread over the corpus (the first, then further on).
    step = max(1, len(slugs) // max(1, repeat))
    for r in range(repeat):
        shutil.rmtree(project / ".dossier-cache", ignore_errors=True)
        shutil.rmtree(site, ignore_errors=True)
        run = BuildRun.of(run_checked("cold dossier build", build, project))
        if run.made["pdf_cached"] or run.made["docx_cached"] or run.made["pages_cached"]:
            raise Failed(f"the cold build took outputs from a cache it should not have: {run.made}")
        cold.append(run)
        say(
            f"  cold    {r + 1}: {run.wall:7.2f} s wall, {run.cpu:7.2f} s CPU, "
            f"{run.peak_mb:5.0f} MB; load {_load()}"
        )
        slug = slugs[(r * step) % len(slugs)]
        word = f"ijkwoord{r:04d}"
        edit_dossier(project / "dossiers" / slug / "dossier.yaml", word)
        run = BuildRun.of(run_checked("rebuild after one edit", build, project))
        run.dossier, run.word = slug, word
        run.pages_with_edit = pages_showing(site, word)
        if not run.pages_with_edit:
            raise Failed(f"after the edit of {slug}, no page of the rebuilt site shows {word!r}")
        rebuilds.append(run)
        say(
            f"  rebuild {r + 1}: {run.wall:7.2f} s wall, {run.cpu:7.2f} s CPU, "
            f"{run.peak_mb:5.0f} MB ({100 * run.wall / cold[-1].wall:.1f} % of cold); "
            f"edit of {slug}: {describe_made(run.made)}; "
            f"{len(run.pages_with_edit)} pages show it"
        )
    if verify:
        shutil.rmtree(no_cache_site, ignore_errors=True)
        check = run_checked(
            "dossier build --no-cache",
            dossier_command(project, "build", "--no-cache", "-o", str(no_cache_site)),
            project,
            sample=False,
        )
        identity = compare_sites(site, no_cache_site) | {"no_cache_wall_s": check.wall}
        say(
            f"  identity: {identity['identical']} of {identity['files']} files of the rebuilt "
            f"site byte-identical to a --no-cache build ({check.wall:.1f} s)"
        )
        # A difference fails the run (failures_of), but the other parts are still measured.
    else:
        identity = {"checked": False, "reason": "only at the smallest size (--verify-all)"}
    if dossiers <= plain_up_to:
        plain = measure_plain(plain_dir, plain_site, site, repeat, say)
    else:
        plain = {
            "run": False,
            "reason": f"more than --plain-up-to {plain_up_to} dossiers: Material's full menu "
            "makes the plain build grow with pages x dossiers",
        }
        say(f"  plain mkdocs: not run ({plain['reason']})")
    last = rebuilds[-1]
    template = page_for(last.pages_with_edit, last.dossier or "")
    serve_slugs = [s for s in reversed(slugs) if s not in {r.dossier for r in rebuilds}] or slugs
    serve = measure_serve(
        project,
        serve_slugs,
        (template or "", last.dossier or ""),
        edits,
        startup_timeout=max(120.0, 3 * _median([r.wall for r in cold])),
        first_word=repeat,
        say=say,
    )
    return SizeResult(
        dossiers=dossiers,
        pages=pages,
        documents=documents,
        cold=cold,
        rebuild=rebuilds,
        identity=identity,
        plain=plain,
        serve=serve,
        setup_s=setup,
    )


def measure_plain(
    plain_dir: Path, plain_site: Path, ours: Path, repeat: int, say: Callable[[str], None]
) -> dict[str, Any]:
    """`mkdocs build --strict` of the same pages with Material's defaults, as bench/site.py."""
    command = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-q",
        "--strict",
        "-f",
        str(plain_dir / "mkdocs.yml"),
        "-d",
        str(plain_site),
    ]
    runs: list[Run] = []
    for r in range(repeat):
        shutil.rmtree(plain_site, ignore_errors=True)
        runs.append(run_checked("plain mkdocs build", command, plain_dir))
        say(
            f"  plain   {r + 1}: {runs[-1].wall:7.2f} s wall, {runs[-1].cpu:7.2f} s CPU, "
            f"{runs[-1].peak_tree_mb:5.0f} MB"
        )
    ours_html = {p.relative_to(ours).as_posix() for p in ours.rglob("*.html")}
    plain_html = {p.relative_to(plain_site).as_posix() for p in plain_site.rglob("*.html")}
    if ours_html != plain_html:
        raise Failed(
            "our site and the plain one have different pages: only ours "
            f"{sorted(ours_html - plain_html)[:5]}, only plain {sorted(plain_html - ours_html)[:5]}"
        )
    return {
        "run": True,
        "wall_s": _median([r.wall for r in runs]),
        "cpu_s": _median([r.cpu for r in runs]),
        "peak_mb": max(r.peak_tree_mb for r in runs),
        "runs_s": [r.wall for r in runs],
        "html_files": len(plain_html),
    }


# --- the report --------------------------------------------------------------------------


def report(r: SizeResult, say: Callable[[str], None]) -> None:
    """The table of one size."""
    data = r.as_json()
    cold, rebuild, plain, serve = data["cold"], data["rebuild"], data["plain"], data["serve"]
    steps = cold["steps_s"]
    say(f"\n{r.dossiers} dossiers: {r.pages} pages, {r.documents} documents")
    say(f"  {'':34} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}  notes")
    say(
        f"  {'cold dossier build':34} {cold['wall_s']:8.2f} {cold['cpu_s']:8.2f} "
        f"{cold['peak_mb']:8.0f}  {cold['ms_per_page']:.1f} ms/page, "
        f"{cold['ms_per_document']:.0f} ms/document, {cold['mb_per_page'] * 1000:.0f} kB/page"
    )
    if steps:
        say(
            f"  {'  of which':34} check + render {steps.get('check', 0):.1f} s, documents "
            f"{steps.get('documents', 0):.1f} s "
            f"({1000 * steps.get('documents', 0) / r.documents:.0f} ms/document), site "
            f"{steps.get('site', 0):.1f} s ({1000 * steps.get('site', 0) / r.pages:.1f} ms/page), "
            f"start-up {steps.get('startup', 0):.1f} s"
        )
    say(
        f"  {'rebuild after one edit':34} {rebuild['wall_s']:8.2f} {rebuild['cpu_s']:8.2f} "
        f"{rebuild['peak_mb']:8.0f}  {100 * r.ratio:.1f} % of cold"
    )
    for run in r.rebuild:
        say(
            f"  {'':34} {run.wall:8.2f} {'':8} {'':8}  {run.dossier}: "
            f"{describe_made(run.made)}; step times {_steps(run.steps)}"
        )
    if r.identity.get("checked"):
        say(
            f"  {'rebuilt site = --no-cache build':34} {r.identity['no_cache_wall_s']:8.2f} "
            f"{'':8} {'':8}  {r.identity['identical']}/{r.identity['files']} files byte-identical"
        )
    else:
        say(f"  {'rebuilt site = --no-cache build':34} not checked ({r.identity['reason']})")
    if plain.get("run"):
        say(
            f"  {'plain mkdocs build --strict':34} {plain['wall_s']:8.2f} {plain['cpu_s']:8.2f} "
            f"{plain['peak_mb']:8.0f}  Material's full menu; ours: site part "
            f"{steps.get('site', 0):.2f} s ({steps.get('site', 0) / plain['wall_s']:.2f}x), "
            f"whole cold build {cold['wall_s'] / plain['wall_s']:.2f}x"
        )
    else:
        say(f"  {'plain mkdocs build --strict':34} not run ({plain['reason']})")
    if serve.get("available"):
        say(
            f"  {'save-to-refresh (dossier serve)':34} {serve['median_s']:8.2f} "
            f"{'':8} {serve['peak_mb']:8.0f}  median of {len(serve['edits'])} edits, max "
            f"{serve['max_s']:.2f} s; first build {serve['startup_s']:.1f} s; "
            f"SIGINT: exit {serve.get('exit_code')}"
        )
    else:
        say(f"  {'save-to-refresh (dossier serve)':34} not measured ({serve['reason']})")


def _steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in steps.items()) or "(no progress lines)"


def describe_made(made: dict[str, int | None]) -> str:
    """What a build made and what it took from the cache, in words."""
    return Progress([], **made).describe()


def failures_of(r: SizeResult) -> list[str]:
    """The targets this size missed, each named."""
    failures = []
    identity = r.identity
    if identity.get("checked") and identity["identical"] != identity["files"]:
        failures.append(
            f"at {r.dossiers} dossiers the rebuilt site differs from a --no-cache build of the "
            f"same inputs: {identity['differing_count']} file(s) differ "
            f"({', '.join(identity['differing'])}), only in the rebuilt "
            f"{identity['only_rebuilt']}, only in the --no-cache one {identity['only_no_cache']}"
        )
    if (limit := REBUILD_TARGETS.get(r.dossiers)) is not None and r.ratio > limit:
        failures.append(
            f"at {r.dossiers} dossiers the rebuild after one edit took {100 * r.ratio:.1f} % "
            f"of the cold build ({r.rebuild_wall:.2f} s vs {r.cold_wall:.2f} s; target <= "
            f"{100 * limit:.0f} %)"
        )
    if (limit := REFRESH_TARGETS.get(r.dossiers)) is not None:
        if not r.serve.get("available"):
            failures.append(
                f"at {r.dossiers} dossiers save-to-refresh was not measured "
                f"({r.serve['reason']}; target <= {limit} s)"
            )
        elif r.serve["max_s"] > limit:
            failures.append(
                f"at {r.dossiers} dossiers save-to-refresh took up to {r.serve['max_s']:.2f} s "
                f"(median {r.serve['median_s']:.2f} s; target <= {limit} s)"
            )
    if r.serve.get("available") and r.serve.get("left_running"):
        failures.append(
            f"at {r.dossiers} dossiers dossier serve left processes running after SIGINT: "
            f"{r.serve['left_running']}"
        )
    if r.serve.get("available") and not r.serve.get("stopped_by_sigint"):
        failures.append(f"at {r.dossiers} dossiers dossier serve did not stop on SIGINT")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dossiers", type=int, nargs="+", help="corpus sizes (default: 38 300 1000)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="correctness only, targets not enforced: 2 dossiers (unless given), one repeat",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        help="cold builds and rebuilds per size (default: 3 up to 38, 1 above)",
    )
    parser.add_argument(
        "--edits", type=int, help="edits timed in dossier serve (default: 5, --quick: 2)"
    )
    parser.add_argument(
        "--plain-up-to",
        type=int,
        default=300,
        help="run the plain mkdocs build up to this many dossiers (default: 300)",
    )
    parser.add_argument(
        "--verify-all",
        action="store_true",
        help="compare the rebuilt site with a --no-cache build at every size, not the smallest only",
    )
    parser.add_argument("--seed", type=int, default=20_261_122)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / ".corpus" / "build")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and sites")
    parser.add_argument(
        "--json", action="store_true", help="results as JSON on stdout (the report on stderr)"
    )
    args = parser.parse_args(argv)
    sizes = sorted(set(args.dossiers or (QUICK_DOSSIERS if args.quick else DEFAULT_DOSSIERS)))
    edits = args.edits or (2 if args.quick else 5)
    if sizes[0] < 1 or (args.repeat is not None and args.repeat < 1) or edits < 1:
        parser.error("--dossiers, --repeat and --edits must be positive")
    stream = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    machine = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_start": list(os.getloadavg()),
    }
    say(f"machine: {machine['cores']} cores, Python {machine['python']}, load average {_load()}")
    say(
        "cold: `dossier build` with real PDF and DOCX after removing .dossier-cache/; rebuild: "
        "the same after editing one condition of one dossier; serve: save-to-refresh in "
        "`dossier serve`; plain: `mkdocs build --strict` of the same pages (Material's full "
        "menu). Every run a fresh process, its memory sampled.\n"
    )
    started = time.perf_counter()
    results: list[SizeResult] = []
    error: str | None = None
    saved_path = os.environ.get("PYTHONPATH")
    toolkit = snapshot_toolkit(args.corpus / "toolkit")
    os.environ["PYTHONPATH"] = str(args.corpus / "toolkit")
    say(
        f"toolkit: tooling/ of commit {toolkit['commit']}"
        + (" with uncommitted changes" if toolkit["uncommitted_changes"] else "")
        + f" (code digest {toolkit['code_digest']}), copied to {args.corpus / 'toolkit'} and "
        "imported from there by every measured process\n"
    )
    try:
        for n in sizes:
            repeat = args.repeat or (1 if args.quick or n > 38 else 3)
            results.append(
                measure_size(
                    n,
                    args.corpus,
                    repeat,
                    edits,
                    args.seed,
                    verify=args.verify_all or n == sizes[0],
                    plain_up_to=args.plain_up_to,
                    say=say,
                )
            )
            if not args.keep:
                shutil.rmtree(args.corpus / f"dossiers-{n}", ignore_errors=True)
    except Failed as failure:
        error = str(failure)
    finally:
        if saved_path is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = saved_path
        if not args.keep:
            shutil.rmtree(args.corpus, ignore_errors=True)
    toolkit["changed_in_working_tree_during_run"] = (
        code_digest(ROOT / "tooling") != toolkit["code_digest"]
    )
    for r in results:
        report(r, say)
    failures = [f for r in results for f in failures_of(r)]
    machine["load_average_end"] = list(os.getloadavg())
    if toolkit["changed_in_working_tree_during_run"]:
        say(
            "\nnote: tooling/ in the working tree changed during the run; the figures are of "
            "the copy taken at the start"
        )
    say(
        f"\nload average at the end {_load()}; total wall time {time.perf_counter() - started:.0f} s"
    )
    enforce = not args.quick
    if args.json:
        print(
            json.dumps(
                {
                    "machine": machine,
                    "toolkit": toolkit,
                    "sizes": [r.as_json() for r in results],
                    "targets": {
                        "rebuild_ratio": REBUILD_TARGETS,
                        "save_to_refresh_s": REFRESH_TARGETS,
                    },
                    "failures": failures,
                    "error": error,
                    "enforced": enforce,
                },
                indent=2,
            )
        )
    if error is not None:
        say(f"FAILED: {error}")
        return 1
    identical = all(
        not r.identity.get("checked") or r.identity["identical"] == r.identity["files"]
        for r in results
    )
    if not enforce and identical:
        for failure in failures:
            say(f"(not enforced) {failure}")
        say("(--quick: targets not enforced; the figures of so small a corpus mean little)")
        return 0
    if not enforce:  # --quick still fails when the rebuild is not a cold build's output
        failures = [f for f in failures if "differs from a --no-cache build" in f]
    if failures:
        for failure in failures:
            say(f"MISSED: {failure}")
        return 1
    say("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

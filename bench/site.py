"""Benchmark the site build against a plain `mkdocs build` of the same pages, at 3 sizes.

Run from the repository root::

    .venv/bin/python bench/site.py                     # 100, 500 and 2,000 pages
    .venv/bin/python bench/site.py --quick             # ~40 and ~80 pages, targets not enforced
    .venv/bin/python bench/site.py --quick --sizes 15  # one dossier (the smoke test)
    .venv/bin/python bench/site.py --sizes 100 500 --repeat 1 --json > site.json

For each size it writes a synthetic project (bench/corpus.py: dossiers with 10 indications,
a position and a letter each, so 13 pages a dossier, plus the home and check pages) with the
repository's templates and mkdocs.yml, under bench/.corpus/site/ (git-ignored; removed after
the run unless ``--keep``). Then, each in a fresh process, with one run that samples memory
(the sum of RSS over the process tree) and ``--repeat`` timed runs, alternating:

1. **our build**: ``dossier build -o <dir> --quiet`` through ``tooling.cli.main``, which checks
   the dossiers, renders the documents, generates the pages and the nav, writes them to a
   temporary docs folder and runs MkDocs (strict, with the ``dossiers`` plugin switched off).
   ``dossier build`` has no switch to skip PDF/DOCX rendering (Typst and pandoc, measured by
   bench/pdf.py, about half a second a document), so ``publish.write_documents`` is replaced
   by a stub that writes each document's Markdown and a placeholder PDF and DOCX (a few bytes
   each, so the site's download links resolve). Everything else is the real code path.
2. **plain mkdocs**: ``python -m mkdocs build -q --strict`` of the very same Markdown pages,
   placeholders and stylesheet (written beforehand, untimed, by the same functions), with a
   mkdocs.yml derived from the project's: same theme, features (``navigation.prune``
   included), markdown extensions, search plugin, CSS and validation, the nav that
   ``generate_nav`` produces, and no ``dossiers`` plugin.

``--menu`` decides our build's menu (``[site] menu`` in the project): ``auto`` (the default,
as a real project builds: every dossier in every page's menu up to 100 dossiers, above that
each page's menu shows its own dossier; docs/site.md) or ``full`` (every dossier on every
page, the same work as plain Material). The plain build always prints Material's full menu.

Targets: our build at most 1.2x the plain build at every size where both print the full menu
(every size with ``--menu full``), and the cost per page at the largest size at most 1.3x the
cost per page at the smallest (linear); with ``--menu auto``, also at most 0.5x the plain
build at the largest size (2,000 pages: 154 dossiers, so each page's menu is its dossier's).
Exit 1 when a target is missed (each one is named) or the two builds produce different sets
of HTML pages.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from check import Measured, Run, run_once  # noqa: E402
from corpus import generate_corpus  # noqa: E402

from tooling.config import MENU_FULL_UP_TO  # noqa: E402

_TAG = re.compile(rb"<(/?[a-zA-Z0-9]+)[^>]*>")
_ARTICLE = re.compile(rb"<article\b.*?</article>", re.DOTALL)


def _visible(html: bytes) -> list[str]:
    """A page as a reader sees it: its text and the sequence of its tags, without attributes."""
    import html as entities

    text = entities.unescape(_TAG.sub(rb"<\1>", html).decode("utf-8"))
    return text.replace("<meta>", "").split()


def _article(html: bytes) -> bytes:
    """A page's content (Material's ``<article>``), without the menu, header and footer."""
    match = _ARTICLE.search(html)
    return match[0] if match else html


TARGET_RATIO = 1.2  # our build / plain mkdocs build, same pages, both with the full menu
TARGET_RATIO_AUTO = 0.5  # the same with our default menu, at the largest size (above 100 dossiers)
MENUS = ("auto", "full")
TARGET_LINEARITY = 1.3  # ms per page at the largest size / ms per page at the smallest
DEFAULT_SIZES = (100, 500, 2000)
QUICK_SIZES = (40, 80)
INDICATIONS = 10  # per dossier, as in bench/check.py
PAGES_PER_DOSSIER = 1 + INDICATIONS + 2  # dossier page, indications, position and letter
FIXED_PAGES = 2  # home and check pages

# Replaces publishing.write_documents in the measured processes: each document's Markdown (as
# the real function writes it; the site's document page then replaces it) and placeholder PDF
# and DOCX files, so the links to them resolve. Typst and pandoc are bench/pdf.py's business.
_STUB_DOCUMENTS = r"""
import tooling.publishing
from tooling.output import write_file

def write_documents(documents, root, config, *, jobs=2, progress=None, cache=None):
    written = []
    for doc in documents:
        written.append(write_file(root, f"{doc.dossier}/{doc.id}.md", doc.markdown))
        for extension in ("pdf", "docx"):
            written.append(
                write_file(root, f"{doc.dossier}/{doc.id}.{extension}", b"placeholder\n")
            )
    return written

tooling.publishing.write_documents = write_documents
"""

# Our build: `dossier build` with the stub above. The pipeline's stages are wrapped with timers
# (a few microseconds each) and the breakdown is printed as JSON on stdout.
OUR_BUILD = (
    _STUB_DOCUMENTS
    + r"""
import json, sys, time
import tooling.engines.mkdocs, tooling.pipeline, tooling.publishing
from tooling.cli import main

started = time.perf_counter()
steps = {}

def timed(module, name, key=None):
    original = getattr(module, name)
    key = key or name
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            steps[key] = steps.get(key, 0.0) + time.perf_counter() - start
    setattr(module, name, wrapper)

timed(tooling.pipeline, "check")
timed(tooling.pipeline, "render")
timed(tooling.publishing, "write_documents")
# MkDocs runs in a process forked at the start (tooling.engines.mkdocs.warm_up); this is the
# time from handing it the pages to its answer, the MkDocs build proper.
timed(tooling.engines.mkdocs, "build", "run_mkdocs")
code = main(["--root", sys.argv[1], "build", "--no-cache", "-o", sys.argv[2], "--quiet"])
steps["in_process"] = time.perf_counter() - started
print(json.dumps(steps))
sys.exit(code)
"""
)

# Untimed: the plain MkDocs project. The same pipeline writes the same docs folder; the
# project's mkdocs.yml minus the dossiers plugin, plus the generated nav.
PREPARE_PLAIN = (
    _STUB_DOCUMENTS
    + r"""
import json, shutil, sys
from pathlib import Path
import yaml
from tooling.config import load_config
from tooling.output import write_file
from tooling.pipeline import check, render
from tooling.publishing import ASSETS
from tooling.site.paths import DOCUMENTS

config = load_config(Path(sys.argv[1]))
target = Path(sys.argv[2])
docs = target / "docs"
checked = check(config)
result = render(checked)
shutil.copytree(config.templates_dir / ASSETS, docs, dirs_exist_ok=True)
tooling.publishing.write_documents(result.documents, docs / DOCUMENTS, config)
for path, text in {**result.pages, **result.files}.items():
    write_file(docs, path, text)
settings = yaml.safe_load((config.root / "mkdocs.yml").read_text(encoding="utf-8"))
settings["docs_dir"] = "docs"
settings["plugins"] = [
    p for p in settings.get("plugins", [])
    if p != "dossiers" and not (isinstance(p, dict) and "dossiers" in p)
]
settings["nav"] = result.nav
settings["site_name"] = result.site.name  # our plugin sets these; plain MkDocs reads them here
settings["copyright"] = result.site.footer
theme = settings.get("theme", {})
if isinstance(theme, dict) and theme.get("custom_dir"):  # the same theme overrides as ours
    theme["custom_dir"] = str(config.root / theme["custom_dir"])
(target / "mkdocs.yml").write_text(
    yaml.safe_dump(settings, allow_unicode=True, sort_keys=False), encoding="utf-8"
)
print(json.dumps({
    "pages": len(result.pages),
    "documents": len(result.documents),
    "dossiers": len(result.dossiers),
    "markdown_bytes": sum(len(text.encode("utf-8")) for text in result.pages.values()),
    "errors": len(checked.errors),
    "warnings": len(checked.warnings),
    "features": settings.get("theme", {}).get("features", []),
    "plugins": [p if isinstance(p, str) else next(iter(p)) for p in settings["plugins"]],
}))
"""
)


@dataclass
class Build(Measured):
    """Runs of one build command at one size: the sampled run and the timed ones."""

    @property
    def peak_mb(self) -> float:
        return self.sampled.peak_tree_mb if self.sampled else 0.0


@dataclass
class SizeResult:
    """Both builds of one generated corpus."""

    target: int
    pages: int
    dossiers: int
    documents: int
    markdown_mb: float
    ours: Build
    plain: Build
    steps: dict[str, float]  # our build's breakdown (median over the timed runs), seconds
    html_files: int
    identical_html: int  # HTML files with the same text and tags in both sites
    full_menu: bool  # whether our pages print every dossier in the menu, as plain Material

    @property
    def ratio(self) -> float:
        return self.ours.wall / self.plain.wall

    def ms_per_page(self, build: Build) -> float:
        return 1000 * build.wall / self.pages

    def mb_per_page(self, build: Build) -> float:
        return build.peak_mb / self.pages

    def as_json(self) -> dict[str, Any]:
        def build(b: Build) -> dict[str, Any]:
            return {
                "wall_s": b.wall,
                "best_s": b.best,
                "cpu_s": b.cpu,
                "runs_s": [r.wall for r in b.runs],
                "ms_per_page": self.ms_per_page(b),
                "peak_mb": b.peak_mb,
                "peak_pss_mb": b.sampled.peak_pss_mb if b.sampled else 0.0,
                "largest_process_mb": b.sampled.largest_mb if b.sampled else 0.0,
                "mb_per_page": self.mb_per_page(b),
            }

        return {
            "target_pages": self.target,
            "pages": self.pages,
            "dossiers": self.dossiers,
            "documents": self.documents,
            "markdown_mb": self.markdown_mb,
            "ours": build(self.ours),
            "plain": build(self.plain),
            "ratio": self.ratio,
            "our_steps_s": self.steps,
            "html_files": self.html_files,
            "identical_html": self.identical_html,
            "our_menu": "full" if self.full_menu else "dossier",
            "compared": "whole page" if self.full_menu else "article",
        }


def dossiers_for(pages: int) -> int:
    """How many corpus dossiers give about ``pages`` site pages."""
    return max(1, round((pages - FIXED_PAGES) / PAGES_PER_DOSSIER))


def make_project(root: Path, dossiers: int, seed: int, menu: str | None = "full") -> None:
    """A dossier project in ``root``: the corpus, the repository's templates and mkdocs.yml.

    ``menu`` is written as ``[site] menu``: "full" (every dossier in every page's menu, as
    plain Material prints it, so that the two builds do the same work), or None for the
    default (auto: above 100 dossiers each page's menu shows only its own dossier).
    """
    if root.exists():
        shutil.rmtree(root)
    generate_corpus(
        root,
        dossiers=dossiers,
        indications=INDICATIONS,
        references=20 * dossiers,
        retraction_rows=60 * dossiers,
        seed=seed,
    )
    shutil.copytree(ROOT / "templates", root / "templates")
    shutil.copy2(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    if menu is not None:
        with (root / "dossier.toml").open("a", encoding="utf-8") as toml:
            toml.write(f'\n[site]\nmenu = "{menu}"\n')


def html_files(site: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every HTML file of a built site."""
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*.html"))}


def run_checked(name: str, command: list[str], cwd: Path, *, sample: bool) -> Run:
    """A fresh-process run that must succeed; exit with its output otherwise."""
    result = run_once(command, cwd, sample=sample)
    if result.returncode != 0:
        sys.exit(
            f"{name} failed (exit {result.returncode}):\n{result.stderr[-3000:]}\n"
            f"{result.stdout[-2000:]}"
        )
    return result


# Up to this many pages a build takes a few seconds, and run-to-run noise on a shared
# machine (±20 %) would decide the ratio: such sizes get more timed runs.
_SMALL = 600
_SMALL_FACTOR = 3


def measure_size(
    target: int,
    base: Path,
    repeat: int,
    seed: int,
    say: Callable[[str], None],
    menu: str = "full",
) -> SizeResult:
    """Generate the corpus for ``target`` pages and measure both builds on it."""
    python = sys.executable
    work = base / f"pages-{target}"
    project, plain_dir = work / "project", work / "plain"
    ours_site, plain_site = work / "site-ours", work / "site-plain"
    start = time.perf_counter()
    dossiers = dossiers_for(target)
    make_project(project, dossiers, seed, menu="full" if menu == "full" else None)
    full_menu = menu == "full" or dossiers <= MENU_FULL_UP_TO
    prepared = json.loads(
        run_checked(
            "preparing the plain MkDocs project",
            [python, "-c", PREPARE_PLAIN, str(project), str(plain_dir)],
            project,
            sample=False,
        ).stdout
    )
    say(
        f"{target} pages: {prepared['dossiers']} dossiers, {prepared['documents']} documents, "
        f"{prepared['pages']} pages ({prepared['markdown_bytes'] / 2**20:.1f} MB of Markdown), "
        f"check: {prepared['errors']} error(s), {prepared['warnings']} warning(s); "
        f"{time.perf_counter() - start:.1f} s to write; load average "
        f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    ours_command = [python, "-c", OUR_BUILD, str(project), str(ours_site)]
    plain_command = [
        python,
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
    ours, plain = Build("our build"), Build("plain mkdocs build")
    steps: list[dict[str, float]] = []
    walls: list[float] = []
    # One sampled run each (memory; it also warms the file cache), then the timed runs,
    # alternating so that a change in machine load hits both alike. The output folders are
    # removed before each run, outside the timing.
    for sample in (True, *([False] * repeat)):
        for build, name, command, site in (
            (ours, "our build", ours_command, ours_site),
            (plain, "plain mkdocs build", plain_command, plain_site),
        ):
            shutil.rmtree(site, ignore_errors=True)
            run = run_checked(name, command, project, sample=sample)
            walls.append(run.wall)
            if sample:
                build.sampled = run
            else:
                build.runs.append(run)
            if build is ours and not sample:
                steps.append(json.loads(run.stdout.strip().splitlines()[-1]))
        say(
            f"  {'sampled' if sample else 'timed'} run: ours {walls[-2]:6.2f} s, "
            f"plain {walls[-1]:6.2f} s"
        )
    ours_html, plain_html = html_files(ours_site), html_files(plain_site)
    if set(ours_html) != set(plain_html):
        only_ours = sorted(set(ours_html) - set(plain_html))[:5]
        only_plain = sorted(set(plain_html) - set(ours_html))[:5]
        sys.exit(
            f"the two builds produced different pages: only ours {only_ours}, "
            f"only plain {only_plain}"
        )
    # Our pages are sanitised and carry a Content-Security-Policy (tooling.html_safety),
    # which plain MkDocs does not do: the sanitiser writes entities and style attributes
    # its own way. What a reader sees must be the same: the text, tag by tag.
    # 404.html is the theme's own page: ours is Dutch (a theme override that needs the
    # plugin), plain MkDocs shows Material's English one. Every other page must agree.
    # When our menu shows only the page's own dossier (--menu auto above 100 dossiers), the
    # pages differ by design in the menu: then only the content, Material's <article>, is
    # compared.
    part = (lambda html: html) if full_menu else _article
    identical = sum(
        1
        for path, data in ours_html.items()
        if path == "404.html" or _visible(part(data)) == _visible(part(plain_html[path]))
    )
    median_steps = {k: statistics.median(s.get(k, 0.0) for s in steps) for k in steps[0]}
    return SizeResult(
        target=target,
        pages=prepared["pages"],
        dossiers=prepared["dossiers"],
        documents=prepared["documents"],
        markdown_mb=prepared["markdown_bytes"] / 2**20,
        ours=ours,
        plain=plain,
        steps=median_steps,
        html_files=len(ours_html),
        identical_html=identical,
        full_menu=full_menu,
    )


def report(results: Sequence[SizeResult], say: Callable[[str], None]) -> None:
    """The table, the marginal costs and our build's breakdown."""
    say("")
    say(
        f"{'pages':>6} {'ours':>8} {'plain':>8} {'ours':>8} {'plain':>8} {'ratio':>6} "
        f"{'ours':>7} {'plain':>7} {'ours':>7} {'plain':>7}"
    )
    say(
        f"{'':>6} {'s':>8} {'s':>8} {'ms/page':>8} {'ms/page':>8} {'o/p':>6} "
        f"{'peak MB':>7} {'peak MB':>7} {'MB/page':>7} {'MB/page':>7}"
    )
    for r in results:
        say(
            f"{r.pages:6d} {r.ours.wall:8.2f} {r.plain.wall:8.2f} {r.ms_per_page(r.ours):8.1f} "
            f"{r.ms_per_page(r.plain):8.1f} {r.ratio:6.2f} {r.ours.peak_mb:7.0f} "
            f"{r.plain.peak_mb:7.0f} {r.mb_per_page(r.ours):7.2f} {r.mb_per_page(r.plain):7.2f}"
        )
    say("(wall: median of the timed runs; peak: sum of RSS over the process tree, sampled run)")
    if len(results) > 1:
        say("\nmarginal cost between sizes (extra time / extra pages), ms per page:")
        for a, b in pairwise(results):
            extra = b.pages - a.pages
            say(
                f"  {a.pages:5d} -> {b.pages:5d}: ours "
                f"{1000 * (b.ours.wall - a.ours.wall) / extra:6.1f}   plain "
                f"{1000 * (b.plain.wall - a.plain.wall) / extra:6.1f}"
            )
    say("\nour build, median seconds per step (in the measured process):")
    names = (
        ("check", "check"),
        ("render", "render"),
        ("write_documents", "documents (stub)"),
        ("run_mkdocs", "MkDocs build"),
        ("in_process", "in-process total"),
    )
    say(f"  {'pages':>6} " + " ".join(f"{label:>17}" for _, label in names) + f" {'start-up':>9}")
    for r in results:
        startup = r.ours.wall - r.steps.get("in_process", 0.0)
        say(
            f"  {r.pages:6d} "
            + " ".join(f"{r.steps.get(key, 0.0):17.2f}" for key, _ in names)
            + f" {startup:9.2f}"
        )
    say("  (start-up: the process's wall time minus the in-process total: interpreter, imports)")
    for r in results:
        say(
            f"  {r.pages} pages: MkDocs build {r.steps.get('run_mkdocs', 0.0):.2f} s in our build,"
            f" plain mkdocs process {r.plain.wall:.2f} s; "
            f"{r.identical_html}/{r.html_files} HTML files with the same text and tags in the two sites"
            + ("" if r.full_menu else " (content only: our menu shows the page's own dossier)")
        )


def linearity(results: Sequence[SizeResult], build: Callable[[SizeResult], Build]) -> float:
    """ms per page at the largest size / ms per page at the smallest."""
    small, large = results[0], results[-1]
    return large.ms_per_page(build(large)) / small.ms_per_page(build(small))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="pages, about (default: 100 500 2000)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="targets not enforced; unless given, ~40 and ~80 pages and one timed run",
    )
    parser.add_argument(
        "--repeat", type=int, help="timed runs per build and size (default: 3, --quick: 1)"
    )
    parser.add_argument(
        "--menu",
        choices=MENUS,
        default="auto",
        help="our build's [site] menu: auto (the default: the project's default menu) or full "
        "(every dossier on every page, as plain Material); plain always prints the full menu",
    )
    parser.add_argument("--seed", type=int, default=20_261_122)
    parser.add_argument("--corpus", type=Path, default=ROOT / "bench" / ".corpus" / "site")
    parser.add_argument("--keep", action="store_true", help="keep the corpora and sites")
    parser.add_argument(
        "--json", action="store_true", help="results as JSON on stdout (the report on stderr)"
    )
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)))
    repeat = args.repeat or (1 if args.quick else 3)
    if repeat < 1 or sizes[0] < 1:
        parser.error("--repeat and --sizes must be positive")
    stream = sys.stderr if args.json else sys.stdout

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    say(
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    say(
        "ours: `dossier build` (check, render, generate pages and nav, write, MkDocs strict) with "
        "PDF/DOCX replaced by placeholders; plain: `mkdocs build --strict` of the same pages"
    )
    say(
        f"menu: ours [site] menu = {args.menu}"
        + (
            f" (every dossier on every page up to {MENU_FULL_UP_TO} dossiers, above that the "
            "page's own dossier)"
            if args.menu == "auto"
            else " (every dossier on every page)"
        )
        + "; plain: Material's full menu"
    )
    say(
        f"timing: 1 sampled run + median of {repeat} timed run(s), each a fresh process "
        f"({repeat * _SMALL_FACTOR} up to {_SMALL} pages, where a run takes seconds and the "
        "machine's noise matters most)\n"
    )
    started = time.perf_counter()
    results: list[SizeResult] = []
    try:
        for target in sizes:
            runs = repeat * _SMALL_FACTOR if target <= _SMALL and not args.quick else repeat
            results.append(measure_size(target, args.corpus, runs, args.seed, say, args.menu))
            if not args.keep:
                shutil.rmtree(args.corpus / f"pages-{target}", ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(args.corpus, ignore_errors=True)
    report(results, say)

    enforce = not args.quick
    failures: list[str] = []
    say("")
    for r in results:
        if r.full_menu and r.ratio > TARGET_RATIO:
            failures.append(
                f"at {r.pages} pages our build took {r.ratio:.2f}x the plain mkdocs build "
                f"({r.ours.wall:.2f} s vs {r.plain.wall:.2f} s; target <= {TARGET_RATIO}x)"
            )
    if args.menu == "auto":
        largest = results[-1]
        if largest.full_menu:
            say(
                f"(the {TARGET_RATIO_AUTO}x target of --menu auto applies to a largest size of "
                f"more than {MENU_FULL_UP_TO} dossiers; {largest.pages} pages have "
                f"{largest.dossiers}, so both builds print the full menu there)"
            )
        else:
            say(
                f"ours / plain at {largest.pages} pages, our menu the page's own dossier: "
                f"{largest.ratio:.2f} (target <= {TARGET_RATIO_AUTO})"
            )
            if largest.ratio > TARGET_RATIO_AUTO:
                failures.append(
                    f"at {largest.pages} pages, with our default menu, our build took "
                    f"{largest.ratio:.2f}x the plain mkdocs build with Material's full menu "
                    f"({largest.ours.wall:.2f} s vs {largest.plain.wall:.2f} s; target <= "
                    f"{TARGET_RATIO_AUTO}x)"
                )
    lin_ours = lin_plain = None
    if len(results) > 1:
        lin_ours, lin_plain = (
            linearity(results, lambda r: r.ours),
            linearity(results, lambda r: r.plain),
        )
        small, large = results[0].pages, results[-1].pages
        say(
            f"linearity (ms/page at {large} pages / ms/page at {small}): ours {lin_ours:.2f}, "
            f"plain {lin_plain:.2f} (target <= {TARGET_LINEARITY} for ours)"
        )
        if lin_ours > TARGET_LINEARITY:
            failures.append(
                f"our cost per page at {large} pages is {lin_ours:.2f}x the cost at {small} "
                f"pages (target <= {TARGET_LINEARITY}x)"
            )
    say(f"total wall time of the benchmark: {time.perf_counter() - started:.0f} s")
    if args.json:
        print(
            json.dumps(
                {
                    "sizes": [r.as_json() for r in results],
                    "linearity": {"ours": lin_ours, "plain": lin_plain},
                    "menu": args.menu,
                    "targets": {
                        "ratio": TARGET_RATIO,
                        "ratio_auto_largest": TARGET_RATIO_AUTO,
                        "linearity": TARGET_LINEARITY,
                    },
                    "failures": failures,
                    "enforced": enforce,
                },
                indent=2,
            )
        )
    if not enforce:
        for failure in failures:
            say(f"(not enforced) {failure}")
        say("(--quick: targets not enforced; these figures are dominated by start-up costs)")
        return 0
    if failures:
        for failure in failures:
            say(f"MISSED: {failure}")
        return 1
    say("all targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())

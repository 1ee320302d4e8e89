"""`dossier release SLUG VERSION`: the verb, what it prints, its exit codes.

Part of the command line (`tooling.cli` adds this verb). Exit codes as everywhere: 0 the
version was released, 1 the check found errors (now, or as of the version's date; nothing
was written), 2 unusable input (no such dossier or version, already released).
"""

from __future__ import annotations

import argparse
import sys
import time

from tooling.config import Config
from tooling.diagnostics import Finding

__all__ = ["add_parser", "run"]


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``release`` to the command's verbs."""
    parser = verbs.add_parser(
        "release",
        help="freeze a published version in <dossier>/versies/<id>/ (sources, documents, "
        "manifest); never overwrites",
    )
    parser.add_argument("slug", help="the dossier (its folder name)")
    parser.add_argument("version", help="the id of a version listed under `versions:`")
    parser.add_argument("-j", "--jobs", type=int, default=2, help="parallel workers (default: 2)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")


def run(config: Config, args: argparse.Namespace) -> int:
    from tooling.release import Released, release

    started = time.perf_counter()

    def progress(text: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:5.1f}s] {text}", file=sys.stderr, flush=True)

    result = release(config, args.slug, args.version, jobs=args.jobs, progress=progress)
    if isinstance(result, Released):
        files = len(result.manifest.files)
        print(
            f"released {config.display(result.folder)} ({files} files, "
            f"{len(result.manifest.documents)} documents): commit the folder; it never changes"
        )
        return 0
    errors: list[Finding] = result.errors
    for finding in errors:
        print(finding.format(), file=sys.stderr)
    when = f" as of {result.as_of}" if result.as_of else ""
    print(
        f"dossier: stopped: the check{when} found {len(errors)} error(s); nothing was written",
        file=sys.stderr,
    )
    return 1

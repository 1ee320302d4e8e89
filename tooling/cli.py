"""The `dossier` command: verbs and exit codes, nothing else.

Exit codes: 0 clean, 1 the check found errors (or a build failed on them), 2 unusable input
or wrong usage. Domain exceptions become messages here; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from tooling import cli_history, cli_retractions, cli_versions, scaffold
from tooling.config import CACHE_NAME, Config, find_root, load_config
from tooling.diagnostics import DossierError, Finding, findings_to_json

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"dossier: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="dossier", description="Check, render and publish assessment dossiers.")
    parser.add_argument(
        "--root", type=Path, default=None, help="project root (default: nearest dossier.toml)"
    )
    verbs = parser.add_subparsers(dest="verb", required=True, parser_class=_Parser)

    check = verbs.add_parser("check", help="load every dossier and run the consistency rules")
    check.add_argument("paths", nargs="*", type=Path, help="dossier folders (default: all)")
    check.add_argument("--format", choices=["text", "json"], default="text")
    check.add_argument("--quiet", action="store_true", help="print errors only")
    check.add_argument(
        "--all",
        action="store_true",
        help=f"print every finding (default: the first {PER_CODE} of each code, then a count)",
    )
    _as_of_option(check)

    schema = verbs.add_parser("schema", help="write the JSON Schema of dossier.yaml")
    schema.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        help="file to write (default: schema/dossier.schema.json; '-' for stdout)",
    )

    new = verbs.add_parser("new", help="scaffold a new dossier that passes the check")
    new.add_argument("slug", help="folder name: lower-case letters, digits and hyphens")
    new.add_argument("--title", default=None)

    verbs.add_parser("checks", help="list the check's rules as Markdown (docs/checks.md)")

    decide = verbs.add_parser("decide", help="answer cases from a dossier's decision tables")
    decide.add_argument("slug", help="the dossier (its folder name)")
    decide.add_argument("case", type=Path, help="a YAML case file (as in the dossier's cases/)")
    decide.add_argument("--case-id", default=None, help="answer only this case of the file")
    decide.add_argument("--format", choices=["text", "json"], default="text")
    cli_retractions.add_parser(verbs)
    cli_versions.add_parser(verbs)
    cli_history.add_parser(verbs)

    for name, text in (
        ("render", "render every document (Markdown, PDF, DOCX)"),
        ("build", "check, render and build the site"),
    ):
        sub = verbs.add_parser(name, help=text)
        sub.add_argument("paths", nargs="*", type=Path, help="dossier folders (default: all)")
        sub.add_argument("-o", "--output", type=Path, default=None, help="output folder")
        sub.add_argument("-j", "--jobs", type=int, default=2, help="parallel workers (default: 2)")
        sub.add_argument("--quiet", action="store_true", help="no progress output")
        sub.add_argument(
            "--no-cache",
            action="store_true",
            help="make every document and page anew, without the project's build cache",
        )
        _as_of_option(sub)
    verbs.add_parser(
        "clean", help="remove the project's cache folder (.dossier-cache: build outputs, ...)"
    )
    serve = verbs.add_parser("serve", help="the live preview: rebuilt on every save")
    serve.add_argument("--host", default="127.0.0.1", help="address (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000; 0: any free)")
    serve.add_argument("-j", "--jobs", type=int, default=2, help="PDF/DOCX workers (default 2)")
    serve.add_argument("--no-cache", action="store_true", help="without the build cache (slower)")
    return parser


def _as_of_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=_day,
        default=None,
        metavar="DATE",
        help="as every dossier stood at the end of DATE (YYYY-MM-DD): later facts left out",
    )


def _day(text: str) -> object:
    from tooling.history import parse_day

    try:
        return parse_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run() -> None:
    """The `dossier` command itself: `main`, then the process ends without tearing down.

    After a build of hundreds of dossiers, Python frees every object one by one on the way
    out: most of a second (300 dossiers) after the work is done. By then every file is
    closed and every helper process joined (the stages use context managers), so the
    output is flushed and the process ends at once. `main` is what tests call.
    """
    code = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`dossier check | head`)
            code = code or EXIT_USAGE
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except DossierError as exc:
        print(f"dossier: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the disk is full, a folder is read-only: no traceback for that
        where = f": {exc.filename}" if exc.filename else ""
        print(f"dossier: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dossier: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    if args.verb == "checks":
        from tooling.docs import checks_markdown

        sys.stdout.write(checks_markdown())
        return EXIT_OK
    if args.verb == "schema":
        from tooling.docs import schema_json

        text = schema_json()
        if args.output and str(args.output) == "-":
            sys.stdout.write(text)
            return EXIT_OK
        config = load_config(args.root)
        target = args.output or config.root / "schema" / "dossier.schema.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {config.display(target)}")
        return EXIT_OK
    if (
        args.verb == "clean"
    ):  # before the configuration, which refuses a cache folder that is a link
        from tooling.build_cache import remove_cache

        root = find_root(args.root or Path.cwd())
        held = remove_cache(root / CACHE_NAME)
        print(f"removed {CACHE_NAME} ({held / 1e6:.1f} MB)")
        return EXIT_OK
    config = load_config(args.root)
    if args.verb == "new":
        created = scaffold.new_dossier(config, args.slug, args.title)
        print(f"created {config.display(created)}: edit dossier.yaml, then run `dossier check`")
        return EXIT_OK
    if args.verb == "check":
        return _check(config, args)

    if args.verb == "decide":
        from tooling.decide import answers_json, decide

        answers, findings = decide(config, args.slug, args.case, args.case_id)
        if args.format == "json":
            print(answers_json(answers))
        else:
            print("\n\n".join(text for _, text in answers))
        print_findings(findings, sys.stderr, limit=PER_CODE)
        return EXIT_ERRORS if findings else EXIT_OK
    if args.verb == "retractions":
        return cli_retractions.run(config, args)
    if args.verb == "release":
        return cli_versions.run(config, args)
    if args.verb in ("diff", "draft"):
        return cli_history.run(config, args)
    if args.verb in ("render", "build"):
        return _build(config, args, site=args.verb == "build")
    if args.verb == "serve":
        from tooling.serve import serve

        return serve(
            config, host=args.host, port=args.port, cache=not args.no_cache, jobs=args.jobs
        )
    raise AssertionError(args.verb)  # argparse only lets known verbs through


def _check(config: Config, args: argparse.Namespace) -> int:
    from tooling.pipeline import check

    # findings and counts are all it prints
    result = check(config, args.paths, keep=False, as_of=args.as_of)
    summary = result.summary()
    if args.format == "json":
        print(findings_to_json(list(result.findings), summary))
    else:
        shown = result.errors if args.quiet else list(result.findings)
        print_findings(shown, sys.stdout, limit=None if args.all else PER_CODE)
        print(summary_line(summary))
    return EXIT_OK if result.ok else EXIT_ERRORS


def _build(config: Config, args: argparse.Namespace, *, site: bool) -> int:
    # Fast path (docs/architecture.md): MkDocs starts loading in a process of its own before
    # the toolkit is imported (half a second), so both happen at once on two cores. The
    # MkDocs side imports only light modules of the toolkit (tests/test_architecture.py).
    from tooling.engines.mkdocs import MKDOCS_FILE, warm_up

    with warm_up(config.root / MKDOCS_FILE) if site else contextlib.nullcontext():
        return _run_build(config, args, site=site)


def _run_build(config: Config, args: argparse.Namespace, *, site: bool) -> int:
    from tooling.pipeline import Checked, build

    started = time.perf_counter()

    def progress(text: str) -> None:
        if not args.quiet:
            print(f"[{time.perf_counter() - started:5.1f}s] {text}", file=sys.stderr, flush=True)

    result = build(
        config,
        args.paths,
        args.output,
        site=site,
        jobs=args.jobs,
        progress=progress,
        as_of=args.as_of,
        cache=not args.no_cache,
    )
    if isinstance(result, Checked):
        print_findings(result.errors, sys.stderr, limit=PER_CODE)
        print(
            f"dossier: stopped: the check found {_count(len(result.errors), 'error')}; "
            "nothing was written",
            file=sys.stderr,
        )
        return EXIT_ERRORS
    return EXIT_OK


PER_CODE = 50
"""Findings of one code printed in full; the rest are counted (`dossier check --all` prints all)."""


def print_findings(findings: Sequence[Finding], stream: TextIO, *, limit: int | None) -> None:
    """Print findings one a line; beyond ``limit`` of one code, only how many more there are."""
    seen: Counter[str] = Counter()
    for finding in findings:
        seen[finding.code] += 1
        if limit is None or seen[finding.code] <= limit:
            print(finding.format(), file=stream)
    if limit is not None:
        for code, total in sorted(seen.items()):
            if total > limit:
                print(
                    f"... and {total - limit} more '{code}' findings ({total} in all; "
                    "`dossier check --all` lists every one)",
                    file=stream,
                )


def summary_line(summary: dict[str, object]) -> str:
    """One line that says what was checked and against which retraction snapshot."""
    db = summary["retraction_database"]
    assert isinstance(db, dict)
    snapshot = (
        f"retraction database {db['path']} ({db['date'] or 'undated'}, sha256 {str(db['sha256'])[:12]})"
        if db["path"]
        else "no retraction database configured"
    )
    status = summary.get("retraction_snapshot")
    if db["path"] and isinstance(status, dict) and status.get("label"):
        snapshot += (
            f", {status['label']}: example records only, no real paper is checked "
            "(`dossier retractions update` fetches the real data)"
        )
    subgroups = summary["subgroups"]
    counted = _count(summary["indications"], "indication") + (
        f" ({_count(subgroups, 'subgroup')})" if subgroups else ""
    )
    return (
        f"{_count(summary['dossiers'], 'dossier')}, {counted}, "
        f"{_count(summary['references'], 'reference')} "
        f"({summary['flagged_references']} flagged); "
        f"{_count(summary['errors'], 'error')}, {_count(summary['warnings'], 'warning')}; "
        f"checked against {snapshot}"
    )


def _count(number: object, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


if __name__ == "__main__":  # pragma: no cover
    run()

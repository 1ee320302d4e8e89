"""`dossier retractions update|lookup`: the sub-commands, what they print, their exit codes.

Part of the command line (`tooling.cli` adds these verbs): the only other place that
prints. Exit codes as everywhere: 0 nothing new needs a decision, 1 a new retraction touches
a standing conclusion that has no recorded decision (what a scheduled job fails on), 2 the
download failed, the data is damaged or the input is unusable (nothing changed then).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from tooling.config import Config
from tooling.diagnostics import DossierError, Location

if TYPE_CHECKING:  # the update's modules load only when the verb runs: `dossier check` starts lean
    from tooling.fetch import Progress
    from tooling.retraction_update import Report

__all__ = ["add_parser", "run"]


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``retractions`` with ``update`` and ``lookup`` to the command's verbs."""
    parser = verbs.add_parser(
        "retractions", help="update the retraction data and report what changed for us"
    )
    actions = parser.add_subparsers(dest="action", required=True, parser_class=type(parser))
    new = actions.add_parser(
        "update",
        help="download the Retraction Watch CSV, store it and report what changed for us",
    )
    new.add_argument(
        "--from",
        dest="source",
        default=None,
        metavar="URL|FILE",
        help="where to get it (default: [retractions] source in dossier.toml, Crossref's)",
    )
    new.add_argument(
        "--date", default="", help="the snapshot's date, YYYY-MM-DD (default: today, or a file's)"
    )
    new.add_argument(
        "--force", action="store_true", help="accept a snapshot much smaller than the last one"
    )
    ask = actions.add_parser(
        "lookup", help="ask Crossref's REST API about each of our DOIs (no CSV stored)"
    )
    ask.add_argument("--api", default="", help="the REST API (default: [retractions] api)")
    ask.add_argument("--refresh", action="store_true", help="ask again about DOIs asked today")
    for sub in (new, ask):
        sub.add_argument("--format", choices=["text", "json"], default="text")
        sub.add_argument("--report", type=Path, default=None, help="also write the JSON here")
        sub.add_argument(
            "--timeout", type=float, default=60.0, help="seconds per network wait (default: 60)"
        )
        sub.add_argument(
            "--retries", type=int, default=3, help="further tries after a failure (default: 3)"
        )
        sub.add_argument("--quiet", action="store_true", help="no progress output")


def run(config: Config, args: argparse.Namespace) -> int:
    """Run ``dossier retractions <action>``: print the report, return the exit code."""
    from tooling.retraction_update import Options, lookup, source_of, update

    if args.timeout <= 0 or args.retries < 0:
        raise DossierError(
            "--timeout must be positive and --retries zero or more", Location("dossier")
        )
    date = args.date if args.action == "update" else ""
    if date:
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise DossierError(f"--date {date!r} is not YYYY-MM-DD", Location("dossier")) from None
    options = Options(
        timeout=args.timeout,
        retries=args.retries,
        progress=_progress_bar(
            sys.stderr, "MB" if args.action == "update" else "DOI's", args.quiet
        ),
        notify=lambda line: print(f"dossier: {line}", file=sys.stderr, flush=True),
        force=getattr(args, "force", False),
        date=date,
    )
    if args.action == "update":
        source = source_of(config, args.source)
        if args.source is None and not config.retraction_mailto and not args.quiet:
            print(
                "dossier: no [retractions] mailto in dossier.toml; Crossref asks for a contact "
                "address (its 'polite pool')",
                file=sys.stderr,
            )
        if not args.quiet:
            print(f"dossier: fetching {source.display}", file=sys.stderr, flush=True)
        report = update(config, source, options)
    else:
        report = lookup(config, options, api=args.api, refresh=args.refresh)
    _print(report, args.format, args.report)
    return report.exit_code


def _print(report: Report, form: str, target: Path | None) -> None:
    data = report.to_json()
    if target is not None:
        target.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if form == "json":
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        sys.stdout.write(report.dutch())


def _progress_bar(stream: TextIO, unit: str, quiet: bool) -> Progress:
    """A progress bar on ``stream``: redrawn in place on a terminal, else a line per quarter."""
    if quiet:
        return lambda _done, _total: None
    terminal = stream.isatty()
    state = {"shown": -1.0, "quarter": -1, "finished": False}

    def amount(value: int, total: int | None) -> str:
        if unit != "MB":
            return str(value)
        if total is not None and total < 1_000_000:  # a small file: kilobytes say more
            return f"{value / 1000:.1f} kB"
        return f"{value / 1_000_000:.1f} MB"

    def show(done: int, total: int | None) -> None:
        now = time.monotonic()
        scale = 1_000_000 if unit == "MB" else 1
        finished = total is not None and done >= total
        if state["finished"]:
            return
        if total:
            filled = int(30 * min(done / total, 1.0))
            counted = f"{amount(done, total)} of {amount(total, total)}"
            text = f"[{'#' * filled}{'.' * (30 - filled)}] {counted}" + (
                f" {unit}" if unit != "MB" else ""
            )
            quarter = int(4 * done / total)
        else:
            text = amount(done, total) + (f" {unit}" if unit != "MB" else "")
            quarter = int(done // (10 * scale))
        if terminal:
            if finished or now - state["shown"] >= 0.1:
                state["shown"] = now
                stream.write(f"\r{text}" + ("\n" if finished else ""))
                stream.flush()
        elif quarter != state["quarter"] or finished:
            state["quarter"] = quarter
            print(text, file=stream, flush=True)
        if finished:
            state["finished"] = True

    return show

"""`dossier diff` and `dossier draft addendum`: what changed in a dossier, and an addendum from it.

Part of the command line (`tooling.cli` adds these verbs). ``--from`` and ``--to`` take a day
(YYYY-MM-DD, or ``today``) or the id of one of the dossier's versions:

- a day: the dossier's current sources as they stood at the end of that day
  (`tooling.history.at`);
- a version id: its released archive (``<dossier>/versies/<id>/``, `tooling.versions`) as
  of the version's date, when it was released; otherwise, the current sources as of the
  version's date (the version is listed but not yet released).

Exit codes as everywhere: 0 done, 2 unusable input (an unknown dossier or version, a bad
date, ``--from`` after ``--to``, a dossier that does not load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.config import Config
from tooling.diagnostics import DossierError, Location, Severity

if TYPE_CHECKING:  # the models load only when the verb runs: `dossier check` starts lean
    from tooling.dates import PartialDate
    from tooling.diff import Changes
    from tooling.load import LoadedDossier
    from tooling.retractions import RetractionDatabase

__all__ = ["add_parser", "run"]

EXIT_OK, EXIT_USAGE = 0, 2


def add_parser(verbs: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``diff`` and ``draft addendum`` to the command's verbs."""
    compare = verbs.add_parser(
        "diff", help="what changed in a dossier between two days or versions (Dutch or JSON)"
    )
    _sides(compare)
    compare.add_argument("--format", choices=["text", "json"], default="text")
    draft = verbs.add_parser("draft", help="draft a document from what changed")
    kinds = draft.add_subparsers(dest="kind", required=True, parser_class=type(draft))
    addendum = kinds.add_parser(
        "addendum", help="a Markdown addendum listing every change between two days or versions"
    )
    _sides(addendum)
    addendum.add_argument(
        "-o", "--output", type=Path, default=None, help="file to write (default: standard output)"
    )


def _sides(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slug", help="the dossier (its folder name)")
    parser.add_argument(
        "--from",
        dest="start",
        required=True,
        metavar="DATE|VERSION",
        help="the earlier state: a day (YYYY-MM-DD) or a version id of the dossier",
    )
    parser.add_argument(
        "--to",
        dest="end",
        default="today",
        metavar="DATE|VERSION",
        help="the later state: a day, 'today' (default) or a version id",
    )


def run(config: Config, args: argparse.Namespace) -> int:
    """Run ``dossier diff`` or ``dossier draft addendum``: print or write, return the code."""
    from tooling.draft import addendum_draft, changes_json, draft_environment, dutch
    from tooling.retraction_store import open_database

    db = open_database(config)
    current = _load(config, config.dossiers_dir / _slug(config, args.slug), db, args.slug)
    old = _resolve(config, current, db, args.start, "--from")
    new = _resolve(config, current, db, args.end, "--to")
    if old.day > new.day:
        raise DossierError(
            f"--from {args.start} ({old.day}) lies after --to {args.end} ({new.day})",
            Location(current.yaml_path),
            hint="give the earlier state with --from and the later one with --to",
        )
    changes = _changes(current.slug, old, new)
    if args.verb == "diff":
        if args.format == "json":
            print(json.dumps(changes_json(changes), ensure_ascii=False, indent=2))
        else:
            sys.stdout.write(dutch(changes))
        return EXIT_OK
    assert new.loaded.model is not None
    text = addendum_draft(
        changes, new.loaded.model, draft_environment(config.templates_dir, config.language)
    )
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    try:
        with args.output.open("x", encoding="utf-8") as file:  # never over a writer's edits
            file.write(text)
    except FileExistsError:
        raise DossierError(
            "the file exists; a draft never overwrites one (it may hold your edits)",
            Location(str(args.output)),
            hint="name another file, or remove this one first",
        ) from None
    print(f"wrote {args.output}", file=sys.stderr)
    return EXIT_OK


@dataclass(frozen=True)
class _Side:
    """One state to compare: its label, its day and the dossier as it stood then."""

    label: str
    day: dt.date
    loaded: LoadedDossier
    texts: dict[str, str]
    given: PartialDate | None = None  # a version's own date, as the dossier gives it


def _changes(slug: str, old: _Side, new: _Side) -> Changes:
    from tooling.diff import diff

    assert old.loaded.model is not None and new.loaded.model is not None
    return diff(
        old.loaded.model,
        new.loaded.model,
        old.label,
        new.label,
        slug=slug,
        old_date=old.given or old.day,
        new_date=new.given or new.day,
        old_flags=old.loaded.flags,
        new_flags=new.loaded.flags,
        old_texts=old.texts,
        new_texts=new.texts,
    )


def _slug(config: Config, slug: str) -> str:
    from tooling.load import SLUG

    if not SLUG.match(slug) or not (config.dossiers_dir / slug / "dossier.yaml").is_file():
        raise DossierError(
            f"no dossier '{slug}'",
            Location(config.display(config.dossiers_dir)),
            hint="give the name of a folder in the dossiers folder",
        )
    return slug


def _load(config: Config, folder: Path, db: RetractionDatabase, what: str) -> LoadedDossier:
    from tooling.load import load_dossier

    loaded = load_dossier(folder, config, db)
    errors = [f for f in loaded.findings if f.severity is Severity.ERROR]
    if loaded.model is None:
        first = errors[0] if errors else None
        raise DossierError(
            f"{what} does not load: {first.message if first else 'no model'}",
            first.location if first else Location(loaded.yaml_path),
            hint="`dossier check` lists every problem",
        )
    return loaded


def _resolve(
    config: Config, current: LoadedDossier, db: RetractionDatabase, text: str, option: str
) -> _Side:
    """A day or a version id as a state of the dossier."""
    from tooling.history import parse_day
    from tooling.versions import archive_folder

    assert current.model is not None
    versions = {v.id: v for v in current.model.versions}
    if text in versions:
        version = versions[text]
        day = version.date.earliest()
        folder = archive_folder(current.directory, version.id)
        source = current
        if (folder / "dossier.yaml").is_file():
            source = _load(config, folder, db, f"released version '{version.id}'")
        return _side(text, day, source, version.date)
    try:
        day = parse_day(text)
    except ValueError as exc:
        known = ", ".join(versions) or "none"
        looks_like_date = text[:1].isdigit()
        raise DossierError(
            f"{option} {text!r}: {exc}"
            if looks_like_date
            else f"{option} {text!r} is neither a day (YYYY-MM-DD) nor a version of "
            f"'{current.slug}'",
            Location(current.yaml_path),
            hint=f"versions of this dossier: {known}",
        ) from None
    return _side(day.isoformat(), day, current)


def _side(
    label: str, day: dt.date, source: LoadedDossier, given: PartialDate | None = None
) -> _Side:
    from tooling.history import at

    texts = {name: prose.text for name, prose in source.prose.items()}
    return _Side(label, day, at(source, day), texts, given)

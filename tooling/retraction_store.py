"""The project's retraction data on disk, and how `dossier check` opens it.

Four files, all named in ``[retractions]`` of dossier.toml:

- ``database``: the Retraction Watch snapshot, a CSV or ``.csv.gz`` (pinned by ``sha256``,
  the SHA-256 of the CSV inside, and dated by ``snapshot_date``);
- ``ledger``: what `dossier retractions update` and ``lookup`` found new for this project's
  references, with the date each notice was first found (JSON). A retraction in it is *new*:
  a standing conclusion citing it needs a decision (`tooling.decisions`);
- ``lookup``: the notices Crossref's REST API gave per DOI (JSON, with the date of each
  question), for projects that do not store the whole CSV; they join the snapshot's;
- dossier.toml itself, whose keys the update rewrites in place (comments kept).

Every write goes to a temporary file beside its target that replaces it in one rename, so a
killed update leaves each file old or new, never half written; dossier.toml is written last,
so it never names a file that is not complete.

A real snapshot takes about two seconds to parse. Its parsed index is cached in the
project's ``.dossier-cache/retractions/``, keyed by the SHA-256 of the stored file (and the
Python version): a check then reads it in a tenth of that. A cache that cannot be read or
written is no cache.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import marshal
import os
import re
import secrets
import sys
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.config import CONFIG_NAME, Config
from tooling.diagnostics import DossierError, Finding, Location, Severity
from tooling.i18n import message
from tooling.retractions import (
    EXAMPLE_PREFIX,
    MAX_SNAPSHOT_BYTES,
    Nature,
    Notice,
    ParsedCsv,
    RetractionDatabase,
    Snapshot,
    decompress,
    normalize_doi,
    notice_key,
    parse_csv,
    read_raw,
)

__all__ = [
    "CACHE_MIN_BYTES",
    "DEFAULT_LEDGER",
    "DEFAULT_LOOKUP",
    "INDEX_SUFFIX",
    "STALE_CODE",
    "FoundNotice",
    "LookupCache",
    "LookupEntry",
    "index_bytes",
    "index_path",
    "load_parsed",
    "open_database",
    "read_ledger",
    "read_lookup",
    "set_toml_values",
    "snapshot_age",
    "snapshot_findings",
    "snapshot_status",
    "write_atomically",
]

DEFAULT_LEDGER = "data/retraction-watch-ledger.json"
DEFAULT_LOOKUP = "data/crossref-lookup.json"
STALE_CODE = "stale-retraction-data"
CACHE_MIN_BYTES = 1_000_000
"""Snapshots smaller than this are parsed every time (milliseconds); larger ones are cached."""
_CACHE_FORMAT = 1


# -- the snapshot ----------------------------------------------------------------------------


def _cache_file(cache_dir: Path, raw: bytes) -> Path:
    digest = hashlib.sha256(raw).hexdigest()
    version = f"py{sys.version_info[0]}{sys.version_info[1]}-f{_CACHE_FORMAT}"
    return cache_dir / "retractions" / f"{digest}-{version}.marshal"


def _read_cache(path: Path) -> ParsedCsv | None:
    """The parsed snapshot a previous run cached, or None (missing, unreadable, other shape)."""
    try:
        data = marshal.loads(path.read_bytes())
        fields, records = data
        parsed = ParsedCsv(records=records, **fields)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(parsed.records, dict) or not isinstance(parsed.sha256, str):
        return None
    return parsed


def _write_cache(path: Path, parsed: ParsedCsv) -> None:
    fields = {
        "rows": parsed.rows,
        "sha256": parsed.sha256,
        "example": parsed.example,
        "encoding": parsed.encoding,
        "replaced_lines": parsed.replaced_lines,
        "replaced": parsed.replaced,
        "trailing_comma": parsed.trailing_comma,
    }
    with contextlib.suppress(OSError, ValueError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, marshal.dumps((fields, parsed.records)))


def load_parsed(path: Path, display: str, cache_dir: Path | None) -> ParsedCsv:
    """The snapshot at ``path`` parsed: from the cache an earlier run left, else from the
    index committed beside it (`index_path`), else from the CSV itself.

    Raises:
        DossierError: As `tooling.retractions.parse_csv` and `read_raw`; an index beside the
            snapshot that is damaged or was made from another file.
    """
    raw = read_raw(path, display)
    large = len(raw) >= CACHE_MIN_BYTES
    cache = _cache_file(cache_dir, raw) if cache_dir and large else None
    if cache is not None:
        cached = _read_cache(cache)
        if cached is not None:
            return cached
    index = index_path(path)
    index_display = str(Path(display).with_name(index.name))
    parsed = _read_index(index, index_display, raw) if large else None
    if parsed is None:
        parsed = parse_csv(decompress(raw, display), display)
    if cache is not None:
        _write_cache(cache, parsed)
    return parsed


# -- the committed index ---------------------------------------------------------------------
#
# A fresh clone has no cache: its first check would parse the whole snapshot (about two
# seconds at real size). `dossier retractions update` therefore also writes, beside the
# snapshot, what parsing it found (the records by DOI and the file's facts) as gzipped JSON,
# to be committed with it: JSON, so that a file from someone else's commit is data only,
# checked field by field, and tied to the snapshot by the SHA-256 of the stored bytes.

INDEX_SUFFIX = ".index.json.gz"
_INDEX_FORMAT = "dossier retraction index 1"
_INDEX_FIELDS = {
    "format": str,
    "stored_sha256": str,
    "sha256": str,
    "rows": int,
    "example": bool,
    "encoding": str,
    "replaced_lines": list,
    "replaced": int,
    "trailing_comma": bool,
    "records": dict,
}


def index_path(snapshot: Path) -> Path:
    """Where the index of ``snapshot`` lives: beside it, ``<stem>.index.json.gz``."""
    name = snapshot.name
    for suffix in (".csv.gz", ".csv"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    return snapshot.with_name(name + INDEX_SUFFIX)


def index_bytes(stored: bytes, parsed: ParsedCsv) -> bytes:
    """The index of the snapshot whose stored bytes are ``stored`` (the same bytes every run)."""
    import gzip

    payload = {
        "format": _INDEX_FORMAT,
        "stored_sha256": hashlib.sha256(stored).hexdigest(),
        "sha256": parsed.sha256,
        "rows": parsed.rows,
        "example": parsed.example,
        "encoding": parsed.encoding,
        "replaced_lines": list(parsed.replaced_lines),
        "replaced": parsed.replaced,
        "trailing_comma": parsed.trailing_comma,
        "records": parsed.records,
    }
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return gzip.compress(text.encode("utf-8"), mtime=0)


def _read_index(path: Path, display: str, stored: bytes) -> ParsedCsv | None:
    """The parsed snapshot from its index, or None when there is none.

    Raises:
        DossierError: The index is damaged, not an index, or made from other bytes than
            the snapshot's: the check cannot tell which of the two is right.
    """
    try:
        if path.stat().st_size > MAX_SNAPSHOT_BYTES:
            raise DossierError(
                f"the retraction index is larger than {MAX_SNAPSHOT_BYTES:,} bytes",
                Location(display),
            )
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DossierError(f"cannot read {display}: {exc.strerror}", Location(display)) from None
    hint = (
        "it is the index `dossier retractions update` writes beside the snapshot; run the "
        "update again (`--from` the snapshot), or delete it and the check reads the snapshot"
    )
    try:
        data = json.loads(decompress(raw, display))
        if not isinstance(data, dict) or data.get("format") != _INDEX_FORMAT:
            raise ValueError("not an index of this toolkit")
        for key, kind in _INDEX_FIELDS.items():
            if not isinstance(data.get(key), kind):
                raise ValueError(f"'{key}' is missing or not a {kind.__name__}")
        records = data["records"]
        for doi, rows in records.items():
            if not isinstance(rows, list) or not all(
                isinstance(row, list) and len(row) == 5 and all(isinstance(v, str) for v in row)
                for row in rows
            ):
                raise ValueError(f"the records of {doi!r} are not five texts each")
            records[doi] = [tuple(row) for row in rows]
    except (ValueError, UnicodeDecodeError, DossierError) as exc:
        text = exc.message if isinstance(exc, DossierError) else str(exc)
        raise DossierError(f"damaged retraction index: {text}", Location(display), hint) from None
    if data["stored_sha256"] != hashlib.sha256(stored).hexdigest():
        raise DossierError(
            "this retraction index was made from another snapshot than the one dossier.toml names",
            Location(display),
            hint,
        )
    return ParsedCsv(
        records=records,
        rows=data["rows"],
        sha256=data["sha256"],
        example=data["example"],
        encoding=data["encoding"],
        replaced_lines=tuple(data["replaced_lines"]),
        replaced=data["replaced"],
        trailing_comma=data["trailing_comma"],
    )


def remember_parsed(cache_dir: Path, stored: bytes, parsed: ParsedCsv) -> None:
    """Cache ``parsed`` for the file whose bytes are ``stored`` (the update warms the check)."""
    if len(stored) >= CACHE_MIN_BYTES:
        _write_cache(_cache_file(cache_dir, stored), parsed)


def open_database(config: Config) -> RetractionDatabase:
    """Everything the check knows about retractions: snapshot, lookup notices, ledger.

    Raises:
        DossierError: A configured file is missing or damaged, or the snapshot does not
            match its pinned SHA-256.
    """
    db = RetractionDatabase.empty()
    if config.retraction_db is not None:
        display = config.display(config.retraction_db)
        parsed = load_parsed(config.retraction_db, display, config.cache_dir)
        db = RetractionDatabase.from_parsed(
            parsed, display=display, date=config.retraction_snapshot_date
        )
        pinned = config.retraction_sha256.lower()
        if pinned and pinned != db.snapshot.sha256:
            raise DossierError(
                f"retraction database {display} has SHA-256 {db.snapshot.sha256[:12]}..., "
                f"but dossier.toml pins {config.retraction_sha256[:12]}...",
                Location(CONFIG_NAME),
                hint="run `dossier retractions update`, or update [retractions] sha256 and "
                "snapshot_date when you replace the snapshot by hand",
            )
    extra: dict[str, tuple[Notice, ...]] = {}
    if config.retraction_lookup is not None:
        lookup = read_lookup(config.retraction_lookup, config.display(config.retraction_lookup))
        extra = {doi: entry.notices for doi, entry in lookup.entries.items() if entry.notices}
        if config.retraction_db is None:  # the lookup is the only source: it names the check
            db = RetractionDatabase._of_records({}, lookup.snapshot)
    found: dict[tuple[str, str], str] = {}
    if config.retraction_ledger is not None:
        ledger = read_ledger(config.retraction_ledger, config.display(config.retraction_ledger))
        found = {(entry.doi, entry.key): entry.found for entry in ledger}
    return db.joined(extra=extra, found=found) if extra or found else db


def snapshot_age(date: str, today: dt.date) -> int | None:
    """Days from an ISO ``date`` to ``today``; None when the date is empty or not ISO."""
    try:
        return (today - dt.date.fromisoformat(date)).days
    except ValueError:
        return None


def snapshot_status(
    snapshot: Snapshot, config: Config, today: dt.date | None = None
) -> dict[str, object]:
    """What the summary says of the data besides its identity: example data, and its age."""
    return {
        "example": snapshot.example,
        "label": message("snapshot.example") if snapshot.example else "",
        "age_days": snapshot_age(snapshot.date, today or dt.date.today()),
        "max_age_days": config.retraction_max_age_days,
    }


def _toml_place(config: Config, key: str) -> Location:
    """Where dossier.toml sets ``key`` (line and column), or the file when it does not."""
    try:
        text = (config.root / CONFIG_NAME).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return Location(CONFIG_NAME)
    for number, line in enumerate(text.splitlines(), start=1):
        match = re.match(rf"(\s*){re.escape(key)}\s*=", line)
        if match:
            return Location(CONFIG_NAME, number, len(match.group(1)) + 1)
    return Location(CONFIG_NAME)


def snapshot_findings(
    config: Config, snapshot: Snapshot, today: dt.date | None = None
) -> list[Finding]:
    """The `stale-retraction-data` warning when the data is older than ``max_age_days``.

    Example data (`Snapshot.example`) has no age worth a warning: every output labels it as
    example data instead. ``max_age_days = 0`` turns the warning off.
    """
    limit = config.retraction_max_age_days
    if not snapshot.path or snapshot.example or limit <= 0:
        return []
    today = today or dt.date.today()
    age = snapshot_age(snapshot.date, today)
    key = "snapshot_date" if config.retraction_db is not None else "lookup"
    where = _toml_place(config, key)
    hint = "run `dossier retractions update` (or `dossier retractions lookup`)"
    if age is None:
        message = f"retraction data {snapshot.path} has no date, so its age is unknown"
    elif age > limit:
        message = (
            f"retraction data {snapshot.path} is {age} days old ({snapshot.date}); "
            f"[retractions] max_age_days is {limit}"
        )
    else:
        return []
    return [Finding(STALE_CODE, Severity.WARNING, message, where, hint)]


# -- the ledger: what updates found new ------------------------------------------------------


@dataclass(frozen=True)
class FoundNotice:
    """A notice an update or lookup found new for one of the project's references."""

    doi: str  # normalised
    key: str  # `notice_key`
    nature: str
    date: str  # of the notice, ISO ('' when unknown)
    found: str  # ISO date it was first found
    record_id: str = ""
    notice_doi: str = ""
    source: str = ""  # the snapshot or lookup that had it first

    @classmethod
    def of(cls, doi: str, notice: Notice, found: str, source: str) -> FoundNotice:
        return cls(
            doi=normalize_doi(doi),
            key=notice_key(notice),
            nature=notice.nature.value,
            date=notice.date.isoformat() if notice.date else "",
            found=found,
            record_id=notice.record_id,
            notice_doi=notice.notice_doi,
            source=source,
        )


_LEDGER_ABOUT = (
    "What `dossier retractions update` and `dossier retractions lookup` found new for this "
    "project's references, with the date each notice was first found. `dossier check` treats "
    "a retraction listed here as new: a standing conclusion citing it needs a decision (a "
    "reassessment, or a review under 'reviews'). Written by the toolkit; see docs/retractions.md."
)


def read_ledger(path: Path, display: str) -> list[FoundNotice]:
    """The ledger's entries.

    Raises:
        DossierError: The file is missing, not JSON, or not a ledger.
    """
    data = _read_json(path, display)
    try:
        entries = data["found"]
        return [FoundNotice(**{k: str(v) for k, v in entry.items()}) for entry in entries]
    except (KeyError, TypeError, AttributeError):
        raise DossierError(
            "not a retraction ledger (expected {'found': [...]})", Location(display)
        ) from None


def ledger_text(entries: Iterable[FoundNotice]) -> str:
    """The ledger as written: entries sorted by DOI and key, one JSON object each."""
    unique = {(e.doi, e.key): e for e in sorted(entries, key=lambda e: e.found, reverse=True)}
    ordered = [vars(unique[k]) for k in sorted(unique)]
    return (
        json.dumps({"about": _LEDGER_ABOUT, "found": ordered}, ensure_ascii=False, indent=1) + "\n"
    )


# -- the lookup cache: Crossref's notices per DOI ----------------------------------------


@dataclass(frozen=True)
class LookupEntry:
    """What Crossref said about one DOI, and when it was asked."""

    checked: str  # ISO date
    known: bool  # False: Crossref has no such DOI
    notices: tuple[Notice, ...] = ()


@dataclass(frozen=True)
class LookupCache:
    """The answers of `dossier retractions lookup`, by normalised DOI."""

    path: str
    updated: str  # ISO date of the last lookup
    api: str
    entries: Mapping[str, LookupEntry] = field(default_factory=dict)
    sha256: str = ""

    @property
    def snapshot(self) -> Snapshot:
        """The lookup as the snapshot a check names when no CSV is configured."""
        example = bool(self.entries) and all(d.startswith(EXAMPLE_PREFIX) for d in self.entries)
        return Snapshot(self.path, self.sha256, self.updated, len(self.entries), example)


_LOOKUP_ABOUT = (
    "Retraction Watch notices that Crossref's REST API gave for this project's DOIs "
    "(`updated-by`, source retraction-watch), with the date each DOI was asked. Written by "
    "`dossier retractions lookup`; see docs/retractions.md."
)


def _notice_json(notice: Notice) -> dict[str, str]:
    return {
        "nature": notice.nature.value,
        "date": notice.date.isoformat() if notice.date else "",
        "notice_doi": notice.notice_doi,
        "record_id": notice.record_id,
    }


def read_lookup(path: Path, display: str) -> LookupCache:
    """The lookup cache.

    Raises:
        DossierError: The file is missing, not JSON, or not a lookup cache.
    """
    raw = _read_bytes(path, display)
    data = _parse_json(raw, display)
    try:
        entries = {}
        for doi, entry in data["dois"].items():
            notices = []
            for item in entry.get("notices", ()):
                nature = Nature.parse(str(item["nature"]))
                if nature is None:
                    continue
                day = str(item.get("date", ""))
                notices.append(
                    Notice(
                        nature=nature,
                        date=dt.date.fromisoformat(day) if day else None,
                        notice_doi=str(item.get("notice_doi", "")),
                        record_id=str(item.get("record_id", "")),
                        source=Path(display).name,
                    )
                )
            entries[normalize_doi(doi)] = LookupEntry(
                str(entry["checked"]), bool(entry.get("known", True)), tuple(notices)
            )
        return LookupCache(
            path=display,
            updated=str(data["updated"]),
            api=str(data.get("api", "")),
            entries=entries,
            sha256=hashlib.sha256(raw).hexdigest(),
        )
    except (KeyError, TypeError, AttributeError, ValueError):
        raise DossierError(
            "not a lookup cache of `dossier retractions lookup`", Location(display)
        ) from None


def lookup_text(cache: LookupCache) -> str:
    """The lookup cache as written, DOIs sorted."""
    dois = {
        doi: {
            "checked": entry.checked,
            "known": entry.known,
            "notices": [_notice_json(n) for n in entry.notices],
        }
        for doi, entry in sorted(cache.entries.items())
    }
    data = {"about": _LOOKUP_ABOUT, "updated": cache.updated, "api": cache.api, "dois": dois}
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def _read_bytes(path: Path, display: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DossierError(
            f"cannot read {display}: {exc.strerror}",
            Location(display),
            hint="it is named in [retractions] of dossier.toml; restore it from version control",
        ) from None


def _parse_json(raw: bytes, display: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DossierError(f"not valid JSON: {exc}", Location(display)) from None


def _read_json(path: Path, display: str) -> Any:
    return _parse_json(_read_bytes(path, display), display)


# -- writing ---------------------------------------------------------------------------------

_TEMP_MARK = ".tmp-"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and one rename.

    A reader sees the old file or the new one; a process killed while writing leaves a
    hidden temporary file (`remove_leftovers` clears it), never a half-written ``path``.
    """
    temporary = path.with_name(f".{path.name}{_TEMP_MARK}{os.getpid()}-{secrets.token_hex(4)}")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a power cut
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove temporary files of `write_atomically` whose process no longer runs."""
    removed = []
    pattern = re.compile(rf"^\..+{re.escape(_TEMP_MARK)}(\d+)-[0-9a-f]{{8}}$")
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            match = pattern.match(entry.name)
            if match and entry.is_file() and not _running(int(match.group(1))):
                with contextlib.suppress(OSError):
                    entry.unlink()
                    removed.append(entry)
    return removed


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a leftover of an earlier process that had our pid (containers reuse)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, but is not ours
    return True


_TABLE = re.compile(r"^\s*\[")


def _toml_value(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)  # a TOML basic string is a JSON string


def set_toml_values(text: str, section: str, values: Mapping[str, str | int]) -> str:
    """``text`` (a dossier.toml) with keys of ``[section]`` set, comments and order kept.

    A key already there gets its new value on its own line (a comment after the old value
    goes with it); a new key is added after the section's last key, and a missing section
    at the end.

    Raises:
        DossierError: The result would not read back as the same values (the file holds
            something this simple editor does not understand, such as a multi-line value).
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    header = re.compile(rf"^\s*\[\s*{re.escape(section)}\s*\]\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if header.match(line)), None)
    if start is None:
        lines.extend(["\n", f"[{section}]\n"])
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if _TABLE.match(lines[i])), len(lines))
    for key, value in values.items():
        assignment = re.compile(rf"^(\s*){re.escape(key)}\s*=")
        new = f"{key} = {_toml_value(value)}\n"
        at = next((i for i in range(start + 1, end) if assignment.match(lines[i])), None)
        if at is not None:
            indent = assignment.match(lines[at])
            lines[at] = (indent.group(1) if indent else "") + new
            continue
        last = max(
            (
                i
                for i in range(start + 1, end)
                if "=" in lines[i] and not lines[i].lstrip().startswith("#")
            ),
            default=start,
        )
        lines.insert(last + 1, new)
        end += 1
    result = "".join(lines)
    try:
        read_back = tomllib.loads(result).get(section, {})
    except tomllib.TOMLDecodeError as exc:
        raise DossierError(
            f"cannot update {CONFIG_NAME} safely: {exc}", Location(CONFIG_NAME)
        ) from None
    if any(read_back.get(key) != value for key, value in values.items()):
        raise DossierError(
            f"cannot update {CONFIG_NAME} safely: [{section}] does not read back as written",
            Location(CONFIG_NAME),
            hint="set the keys by hand; the report above says which",
        )
    return result

"""Retraction status of references: from the BibTeX entry itself or a Retraction Watch CSV.

The CSV is the one Crossref distributes (20 columns, dates like ``2/2/2010 0:00``, reasons
``;``-separated with a leading ``+``). The live export ends its header and every row with a
comma (an empty 21st column) and has had invalid UTF-8 bytes; both are read. A snapshot may
be stored gzip-compressed (``.csv.gz``): it is read the same way, and its SHA-256 is that of
the CSV inside, so a pin does not depend on how the file was compressed.

A DOI may have several notices; they are replayed in date order so that a later
Reinstatement clears an earlier Retraction. Besides the snapshot, a database can carry
notices from elsewhere (Crossref's per-DOI lookup) and the dates on which an update first
found a notice (`Notice.found`): a retraction found that way is new to the project.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.diagnostics import DossierError, Location
from tooling.doi import normalize_doi

if TYPE_CHECKING:
    from _csv import Reader

__all__ = [
    "COLUMNS",
    "EXAMPLE_PREFIX",
    "MAX_FIELD_CHARS",
    "MAX_SNAPSHOT_BYTES",
    "Nature",
    "Notice",
    "ParsedCsv",
    "RetractionDatabase",
    "Snapshot",
    "current_notice",
    "decompress",
    "normalize_doi",  # re-exported: the one DOI normalisation lives in tooling.doi
    "notice_from_fields",
    "notice_key",
    "parse_csv",
    "parse_reasons",
    "parse_rw_date",
    "read_raw",
    "read_snapshot",
]

COLUMNS = (
    "Record ID", "Title", "Subject", "Institution", "Journal", "Publisher", "Country", "Author",
    "URLS", "ArticleType", "RetractionDate", "RetractionDOI", "RetractionPubMedID",
    "OriginalPaperDate", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature",
    "Reason", "Paywalled", "Notes",
)  # fmt: skip

MAX_FIELD_CHARS = 1_000_000
"""The largest CSV field accepted, in characters.

Python's csv module refuses fields over 131,072 characters by default; Retraction Watch's
``Notes`` and ``Title`` cells stay far below that, but a hand-edited export may not, so up
to a million is read. A larger field means the file is not what it claims to be (an
unclosed quote swallows the rest of the file into one field): it is refused with the file
and line.
"""

MAX_SNAPSHOT_BYTES = 1_000_000_000
"""The largest snapshot accepted, uncompressed, in bytes (the live export was 67 MB in 2026).

A gzip file that would inflate beyond it is refused before it fills the memory.
"""

EXAMPLE_PREFIX = "10.5555/"
"""Crossref's reserved test prefix: a snapshot whose every DOI uses it is example data."""

GZIP_MAGIC = b"\x1f\x8b"


class Nature(StrEnum):
    """The kind of notice, as Retraction Watch's ``RetractionNature`` names it."""

    RETRACTION = "Retraction"
    CORRECTION = "Correction"
    CONCERN = "Expression of concern"
    REINSTATEMENT = "Reinstatement"

    @classmethod
    def parse(cls, text: str) -> Nature | None:
        wanted = text.strip().lower()
        for nature in cls:
            if nature.value.lower() == wanted:
                return nature
        return None

    @property
    def invalidates(self) -> bool:
        return self is Nature.RETRACTION


@dataclass(frozen=True, slots=True)
class Notice:
    """One retraction, correction, expression of concern or reinstatement of a paper."""

    nature: Nature
    date: dt.date | None
    reasons: tuple[str, ...] = ()
    notice_doi: str = ""
    record_id: str = ""
    source: str = ""  # "bibtex", the database file name, or the lookup cache's
    found: str = ""  # ISO date an update or lookup first found it; "" when not recorded

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


def notice_key(notice: Notice) -> str:
    """What identifies a notice across snapshots: its record id (or notice DOI) and nature.

    Retraction Watch's Record ID is stable from one daily export to the next; the nature is
    part of the key because a record that changes from correction to retraction is news.
    """
    ident = (
        notice.record_id or notice.notice_doi or (notice.date.isoformat() if notice.date else "")
    )
    return f"{ident}|{notice.nature.value}"


def current_notice(notices: Iterable[Notice]) -> Notice | None:
    """The notice in force after replaying all notices in date order, or None when cleared.

    A Reinstatement clears what came before it; otherwise the most severe remaining notice
    wins (a Retraction over an Expression of concern over a Correction).
    """
    ordered = sorted(notices, key=lambda n: n.date or dt.date.min)
    active: list[Notice] = []
    for notice in ordered:
        if notice.nature is Nature.REINSTATEMENT:
            active = []
        else:
            active.append(notice)
    if not active:
        return None
    severity = {Nature.RETRACTION: 0, Nature.CONCERN: 1, Nature.CORRECTION: 2}
    return min(active, key=lambda n: (severity[n.nature], -(n.date or dt.date.min).toordinal()))


def parse_rw_date(text: str) -> dt.date | None:
    """Parse Retraction Watch's ``M/D/YYYY H:MM`` (or ISO) dates; None when empty or odd."""
    text = text.strip()
    if not text:
        return None
    day_part = text.split(" ", 1)[0].split("T", 1)[0]
    try:
        if "/" in day_part:
            month, day, year = (int(p) for p in day_part.split("/"))
            return dt.date(year, month, day)
        return dt.date.fromisoformat(day_part)
    except ValueError:
        return None


def parse_reasons(text: str) -> tuple[str, ...]:
    """Split ``+Reason A;+Reason B;`` into ``("Reason A", "Reason B")``."""
    return tuple(r.strip().lstrip("+").strip() for r in text.split(";") if r.strip().lstrip("+"))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Which database file a check ran against: path, SHA-256, date and size.

    ``example`` says that it is example data (every DOI under `EXAMPLE_PREFIX`): derived
    from the contents, so it is not part of what makes two snapshots the same.
    """

    path: str
    sha256: str
    date: str
    records: int
    example: bool = field(default=False, compare=False)


# Columns a notice needs, in the order `_Record` keeps them.
_NEEDED = ("RetractionNature", "RetractionDate", "Reason", "RetractionDOI", "Record ID")
_NEEDED_INDEX = tuple(COLUMNS.index(c) for c in _NEEDED)
_DOI_INDEX = COLUMNS.index("OriginalPaperDOI")
_Record = tuple[str, str, str, str, str]  # nature, date, reason, notice DOI, record id
Records = dict[str, list[_Record]]


@dataclass(frozen=True)
class ParsedCsv:
    """What reading a snapshot's CSV found, before it becomes a database."""

    records: Records  # by normalised DOI of the original paper
    rows: int  # after the header
    sha256: str  # of the CSV bytes (uncompressed)
    example: bool  # every DOI under EXAMPLE_PREFIX (and at least one)
    encoding: str  # "utf-8" or "windows-1252"
    replaced_lines: tuple[int, ...] = ()  # lines where invalid UTF-8 bytes were replaced
    replaced: int = 0  # how many invalid byte sequences were replaced
    trailing_comma: bool = False  # the live export's empty 21st column


def decompress(raw: bytes, display: str) -> bytes:
    """The CSV inside a gzip file (several members allowed), or ``raw`` when not gzip.

    Raises:
        DossierError: The gzip data is damaged or truncated, or inflates beyond
            `MAX_SNAPSHOT_BYTES`.
    """
    if not raw.startswith(GZIP_MAGIC):
        return raw
    parts: list[bytes] = []
    size = 0
    data = raw
    try:
        while data:
            inflater = zlib.decompressobj(wbits=31)
            # Inflate in bounded steps: a small file may claim to hold gigabytes.
            chunk = inflater.decompress(data, MAX_SNAPSHOT_BYTES + 1 - size)
            while True:
                size += len(chunk)
                parts.append(chunk)
                if size > MAX_SNAPSHOT_BYTES:
                    raise DossierError(
                        f"the snapshot inflates to more than {MAX_SNAPSHOT_BYTES:,} bytes; "
                        "not a Retraction Watch CSV",
                        Location(display),
                    )
                if not inflater.unconsumed_tail:
                    break
                chunk = inflater.decompress(inflater.unconsumed_tail, MAX_SNAPSHOT_BYTES + 1 - size)
            if not inflater.eof:
                raise DossierError(
                    "the gzip file is truncated (it ends before its last block)",
                    Location(display),
                    hint="download it again: `dossier retractions update`",
                )
            data = inflater.unused_data.lstrip(b"\0")  # members may be padded with zeros
    except zlib.error as exc:
        raise DossierError(
            f"the gzip file is damaged: {exc}",
            Location(display),
            hint="download it again: `dossier retractions update`",
        ) from None
    return b"".join(parts)


def read_raw(path: Path, display: str) -> bytes:
    """The bytes of a snapshot file as stored (gzip or not).

    Raises:
        DossierError: The file cannot be read.
    """
    try:
        return path.read_bytes()
    except OSError as exc:
        raise DossierError(
            f"cannot read retraction database: {exc.strerror}",
            Location(display),
            hint="set [retractions] database in dossier.toml, or run `dossier retractions update`",
        ) from None


def read_snapshot(path: Path, display: str) -> bytes:
    """The CSV bytes of a snapshot file, plain or gzip-compressed.

    Raises:
        DossierError: The file cannot be read or its gzip data is damaged.
    """
    return decompress(read_raw(path, display), display)


_HIGH_BYTES = bytes(range(0x80, 0x100))
_BAD_BYTES: list[tuple[int, int]] = []  # filled by the error handler while one file decodes


def _replace_and_record(exc: UnicodeError) -> tuple[str, int]:
    """Decode error handler: U+FFFD for an invalid sequence, and remember where it was."""
    assert isinstance(exc, UnicodeDecodeError)
    _BAD_BYTES.append((exc.start, exc.end))
    return "\ufffd", exc.end


codecs.register_error("tooling.retractions.replace", _replace_and_record)


def _decode(raw: bytes) -> tuple[str, str, tuple[int, ...], int]:
    """The text of a CSV, its encoding, the lines with replaced bytes and how many.

    UTF-8 (with or without a BOM) is tried first. When it fails, the bytes decide: a file
    whose non-ASCII bytes are mostly valid UTF-8 is the live export with a few bad bytes
    (Crossref has reported some), and only those are replaced (U+FFFD); a file without valid
    UTF-8 sequences is an older Windows-1252 export.
    """
    # One pass: only invalid sequences call the handler, so a clean file costs what a strict
    # decode costs, and a file with a few bad bytes is not decoded twice.
    _BAD_BYTES.clear()
    try:
        text = raw.decode("utf-8-sig", errors="tooling.retractions.replace")
        bad = list(_BAD_BYTES)
    finally:
        _BAD_BYTES.clear()
    if not bad:
        return text, "utf-8", (), 0
    # A few bad bytes in a large file are the live export's; only when there are many, count
    # the valid non-ASCII bytes to tell UTF-8 from Windows-1252.
    if len(bad) * 100_000 > len(raw):
        high = len(raw) - len(raw.translate(None, _HIGH_BYTES))
        if high - sum(end - start for start, end in bad) < len(bad):  # more bad than valid
            return raw.decode("cp1252", errors="replace").lstrip("\ufeff"), "windows-1252", (), 0
    # A BOM shifts the text but not the bytes: lines are counted in the bytes, in one pass.
    lines, line, at = [], 1, 0
    for start, _ in bad[:20]:
        line += raw.count(b"\n", at, start)
        lines.append(line)
        at = start
    return text, "utf-8", tuple(lines), len(bad)


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time.

    Not a StringIO: that would copy a real snapshot's text (about 140 MB once a name outside
    Latin-1 makes it two bytes a character) into a buffer of four bytes a character.
    """
    find, start, size = text.find, 0, len(text)
    while start < size:
        end = find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def parse_csv(data: bytes, display: str) -> ParsedCsv:
    """Read a Retraction Watch CSV: the records a notice needs, by normalised DOI.

    Args:
        data: The CSV bytes (UTF-8, possibly with a few invalid bytes, or Windows-1252).
        display: The file's name as messages show it.

    Raises:
        DossierError: Not a Retraction Watch CSV (header), a row with the wrong number of
            columns, not valid CSV, or a field over `MAX_FIELD_CHARS`; it names the file
            and, where there is one, the line.
    """
    digest = hashlib.sha256(data).hexdigest()
    text, encoding, replaced_lines, replaced = _decode(data)
    reader = csv.reader(_lines(text))  # quoted fields may hold newlines: csv joins the lines
    # The limit is the csv module's global; keep ours only while this file is read.
    previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
    try:
        records, rows, trailing, foreign = _read_rows(reader, display)
    except csv.Error as exc:
        raise _csv_error(exc, display, reader.line_num) from None
    finally:
        csv.field_size_limit(previous_limit)
    return ParsedCsv(
        records=records,
        rows=rows,
        sha256=digest,
        example=bool(records) and not foreign,
        encoding=encoding,
        replaced_lines=replaced_lines,
        replaced=replaced,
        trailing_comma=trailing,
    )


class RetractionDatabase:
    """Notices by normalised DOI of the original paper, read from a Retraction Watch CSV.

    Only the five columns a notice needs are kept per row, as raw text; they become
    `Notice` objects when a DOI is looked up. A 60,000-row snapshot then loads in half a
    second and takes a quarter of the memory that whole rows took.

    Two further sources join the snapshot's records: notices found elsewhere (`extra`, by
    DOI: Crossref's per-DOI lookup) and when a notice was first found (`found`, by DOI and
    `notice_key`), which `Notice.found` then carries.
    """

    def __init__(self, rows: Mapping[str, list[list[str]]], snapshot: Snapshot) -> None:
        self._records: Records = {
            doi: [_record(row) for row in found] for doi, found in rows.items()
        }
        self.snapshot = snapshot
        self._source = Path(snapshot.path).name
        self._extra: dict[str, tuple[Notice, ...]] = {}
        self._found: dict[tuple[str, str], str] = {}

    @classmethod
    def _of_records(cls, records: Records, snapshot: Snapshot) -> RetractionDatabase:
        db = cls({}, snapshot)
        db._records = records
        return db

    @classmethod
    def empty(cls) -> RetractionDatabase:
        return cls({}, Snapshot("", "", "", 0))

    @classmethod
    def from_parsed(cls, parsed: ParsedCsv, *, display: str, date: str = "") -> RetractionDatabase:
        """The database of a parsed CSV, under a snapshot named ``display``."""
        snapshot = Snapshot(display, parsed.sha256, date, parsed.rows, parsed.example)
        return cls._of_records(parsed.records, snapshot)

    @classmethod
    def from_csv(cls, path: Path, *, display: str, date: str = "") -> RetractionDatabase:
        """Read a Retraction Watch CSV snapshot, plain or gzip-compressed.

        Args:
            path: The CSV file (UTF-8, or Windows-1252 as older exports are), or ``.csv.gz``.
            display: The file's name as messages show it.
            date: The snapshot's date, as configured.

        Returns:
            The database, keyed by normalised DOI of the original paper.

        Raises:
            DossierError: The file cannot be read, is damaged gzip, is not a Retraction
                Watch CSV, is not valid CSV, or has a field over `MAX_FIELD_CHARS`; it names
                the file and, where there is one, the line.
        """
        return cls.from_parsed(
            parse_csv(read_snapshot(path, display), display), display=display, date=date
        )

    def joined(
        self,
        *,
        extra: Mapping[str, Sequence[Notice]] | None = None,
        found: Mapping[tuple[str, str], str] | None = None,
    ) -> RetractionDatabase:
        """This database with notices from elsewhere and the dates notices were first found.

        Args:
            extra: Notices by DOI (normalised here) from another source; one the snapshot
                already has (same `notice_key`) is not counted twice.
            found: ISO dates by (normalised DOI, `notice_key`).
        """
        db = RetractionDatabase._of_records(self._records, self.snapshot)
        db._extra = dict(self._extra)
        for doi, notices in (extra or {}).items():
            key = normalize_doi(doi)
            db._extra[key] = (*db._extra.get(key, ()), *notices)
        db._found = {
            **self._found,
            **{(normalize_doi(d), k): v for (d, k), v in (found or {}).items()},
        }
        return db

    def subset(self, dois: Iterable[str]) -> RetractionDatabase:
        """The records of these DOIs only (normalised here), under the same snapshot.

        Small enough to send to another process: a helper that loads dossiers asks for the
        records of its references rather than reading the whole snapshot again.
        """
        records = self._records
        wanted = {normalize_doi(doi) for doi in dois}
        db = RetractionDatabase._of_records(
            {doi: records[doi] for doi in wanted if doi in records}, self.snapshot
        )
        db._extra = {doi: self._extra[doi] for doi in wanted if doi in self._extra}
        db._found = {key: date for key, date in self._found.items() if key[0] in wanted}
        return db

    def notices(self, doi: str) -> list[Notice]:
        """Every notice recorded for the paper with this DOI (normalised here)."""
        key = normalize_doi(doi)
        found = self._records.get(key)
        notices = []
        for nature_text, date_text, reason_text, notice_doi, record_id in found or ():
            nature = Nature.parse(nature_text)
            if nature is None:
                continue
            notices.append(
                Notice(
                    nature=nature,
                    date=parse_rw_date(date_text),
                    reasons=parse_reasons(reason_text),
                    notice_doi=notice_doi.strip(),
                    record_id=record_id.strip(),
                    source=self._source,
                )
            )
        extra = self._extra.get(key)
        if extra:
            seen = {notice_key(n) for n in notices}
            notices.extend(n for n in extra if notice_key(n) not in seen)
        if self._found:
            notices = [
                replace(n, found=self._found[key, notice_key(n)])
                if (key, notice_key(n)) in self._found
                else n
                for n in notices
            ]
        return notices

    def dois(self) -> set[str]:
        """Every normalised DOI with a record, from the snapshot or elsewhere."""
        return {*self._records, *self._extra}

    def __len__(self) -> int:
        return len(self._records)


def _read_rows(reader: Reader, display: str) -> tuple[Records, int, bool, int]:
    """The records of every row by normalised DOI, the number of rows after the header,
    whether the live export's trailing comma is there, and how many DOIs are not example
    DOIs."""
    header = next(reader, None)
    trailing = header is not None and len(header) == len(COLUMNS) + 1 and not header[-1].strip()
    if (
        header is None
        or [h.strip() for h in header[: len(COLUMNS)]] != list(COLUMNS)
        or (len(header) != len(COLUMNS) and not trailing)
    ):
        raise DossierError(
            "not a Retraction Watch CSV: expected the 20 columns "
            f"'{COLUMNS[0]}' ... '{COLUMNS[-1]}'",
            Location(display, 1),
        )
    width = len(COLUMNS)
    doi_col = _DOI_INDEX
    nature_col, date_col, reason_col, notice_col, id_col = _NEEDED_INDEX
    records: Records = {}
    shared: dict[str, str] = {}  # one copy of each nature, date and reason text
    count = 0
    foreign = 0
    for row in reader:
        count += 1
        if len(row) != width and not (len(row) == width + 1 and not row[width]):
            raise DossierError(
                f"row has {len(row)} columns, expected {len(header)}",
                Location(display, reader.line_num),
                hint="the file may be cut off or damaged: download it again"
                if len(row) < width
                else "",
            )
        doi = normalize_doi(row[doi_col])
        if doi.startswith("10."):
            if not doi.startswith(EXAMPLE_PREFIX):
                foreign += 1
            nature, day, reason = row[nature_col], row[date_col], row[reason_col]
            record = (
                shared.setdefault(nature, nature),
                shared.setdefault(day, day),
                shared.setdefault(reason, reason),
                row[notice_col],
                row[id_col],
            )
            found = records.get(doi)
            if found is None:
                records[doi] = [record]
            else:
                found.append(record)
    return records, count, trailing, foreign


def _csv_error(exc: csv.Error, display: str, line: int) -> DossierError:
    """A csv module error as a DossierError naming the file and the line it stopped at."""
    text = str(exc)
    if "field larger than field limit" in text:
        return DossierError(
            f"a field is longer than {MAX_FIELD_CHARS:,} characters; "
            "not a Retraction Watch CSV (an unclosed quote?)",
            Location(display, line),
            hint="check the quotes on this line and the lines before it",
        )
    return DossierError(f"not a valid CSV file: {text}", Location(display, line))


def _record(row: list[str]) -> _Record:
    nature, date, reason, notice_doi, record_id = (row[i] for i in _NEEDED_INDEX)
    return (nature, date, reason, notice_doi, record_id)


def notice_from_fields(fields: Mapping[str, str]) -> Notice | None:
    """A notice recorded in a BibTeX entry (``retraction``, ``retraction_date``, ...).

    Raises ValueError with a readable reason when the fields do not make sense.
    """
    nature_text = fields.get("retraction", "").strip()
    if not nature_text:
        return None
    nature = Nature.parse(nature_text)
    if nature is None:
        allowed = ", ".join(n.value for n in Nature)
        raise ValueError(f"retraction = {{{nature_text}}} is not one of: {allowed}")
    date_text = fields.get("retraction_date", "").strip()
    date = None
    if date_text:
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            raise ValueError(f"retraction_date = {{{date_text}}} is not YYYY-MM-DD") from None
    return Notice(
        nature=nature,
        date=date,
        reasons=parse_reasons(fields.get("retraction_reason", "")),
        notice_doi=fields.get("retraction_doi", "").strip(),
        source="bibtex",
    )

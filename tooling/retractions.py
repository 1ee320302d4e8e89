"""Retraction status of references: from the BibTeX entry itself or a Retraction Watch CSV.

The CSV is the one Crossref distributes (20 columns, dates like ``2/2/2010 0:00``, reasons
``;``-separated with a leading ``+``). A DOI may have several notices; they are replayed in
date order so that a later Reinstatement clears an earlier Retraction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.diagnostics import DossierError, Location
from tooling.doi import normalize_doi

if TYPE_CHECKING:
    from _csv import Reader

__all__ = [
    "COLUMNS",
    "MAX_FIELD_CHARS",
    "Nature",
    "Notice",
    "RetractionDatabase",
    "Snapshot",
    "current_notice",
    "normalize_doi",  # re-exported: the one DOI normalisation lives in tooling.doi
    "notice_from_fields",
    "parse_reasons",
    "parse_rw_date",
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
    source: str = ""  # "bibtex" or the database file name

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons)


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
    day_part = text.split(" ", 1)[0]
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
    """Which database file a check ran against: path, SHA-256, date and size."""

    path: str
    sha256: str
    date: str
    records: int


# Columns a notice needs, in the order `_Record` keeps them.
_NEEDED = ("RetractionNature", "RetractionDate", "Reason", "RetractionDOI", "Record ID")
_NEEDED_INDEX = tuple(COLUMNS.index(c) for c in _NEEDED)
_DOI_INDEX = COLUMNS.index("OriginalPaperDOI")
_Record = tuple[str, str, str, str, str]  # nature, date, reason, notice DOI, record id


class RetractionDatabase:
    """Notices by normalised DOI of the original paper, read from a Retraction Watch CSV.

    Only the five columns a notice needs are kept per row, as raw text; they become
    `Notice` objects when a DOI is looked up. A 60,000-row snapshot then loads in half a
    second and takes a quarter of the memory that whole rows took.
    """

    def __init__(self, rows: Mapping[str, list[list[str]]], snapshot: Snapshot) -> None:
        self._records: dict[str, list[_Record]] = {
            doi: [_record(row) for row in found] for doi, found in rows.items()
        }
        self.snapshot = snapshot
        self._source = Path(snapshot.path).name

    @classmethod
    def _of_records(
        cls, records: dict[str, list[_Record]], snapshot: Snapshot
    ) -> RetractionDatabase:
        db = cls({}, snapshot)
        db._records = records
        return db

    @classmethod
    def empty(cls) -> RetractionDatabase:
        return cls({}, Snapshot("", "", "", 0))

    @classmethod
    def from_csv(cls, path: Path, *, display: str, date: str = "") -> RetractionDatabase:
        """Read a Retraction Watch CSV snapshot.

        Args:
            path: The CSV file (UTF-8, or Windows-1252 as older exports are).
            display: The file's name as messages show it.
            date: The snapshot's date, as configured.

        Returns:
            The database, keyed by normalised DOI of the original paper.

        Raises:
            DossierError: The file cannot be read, is not a Retraction Watch CSV, is not
                valid CSV, or has a field over `MAX_FIELD_CHARS`; it names the file and,
                where there is one, the line.
        """
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DossierError(
                f"cannot read retraction database: {exc.strerror}",
                Location(display),
                hint="set [retractions] database in dossier.toml",
            ) from None
        digest = hashlib.sha256(raw).hexdigest()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")  # older Retraction Watch exports are Windows-1252
        del raw
        reader = csv.reader(io.StringIO(text, newline=""))  # quoted fields may hold newlines
        # The limit is the csv module's global; keep ours only while this file is read.
        previous_limit = csv.field_size_limit(MAX_FIELD_CHARS)
        try:
            records, count = _read_rows(reader, display)
        except csv.Error as exc:
            raise _csv_error(exc, display, reader.line_num) from None
        finally:
            csv.field_size_limit(previous_limit)
        return cls._of_records(records, Snapshot(display, digest, date, count))

    def subset(self, dois: Iterable[str]) -> RetractionDatabase:
        """The records of these DOIs only (normalised here), under the same snapshot.

        Small enough to send to another process: a helper that loads dossiers asks for the
        records of its references rather than reading the whole snapshot again.
        """
        records = self._records
        wanted = {normalize_doi(doi) for doi in dois}
        return RetractionDatabase._of_records(
            {doi: records[doi] for doi in wanted if doi in records}, self.snapshot
        )

    def notices(self, doi: str) -> list[Notice]:
        """Every notice recorded for the paper with this DOI (normalised here)."""
        found = self._records.get(normalize_doi(doi))
        if not found:
            return []
        notices = []
        for nature_text, date_text, reason_text, notice_doi, record_id in found:
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
        return notices

    def __len__(self) -> int:
        return len(self._records)


def _read_rows(reader: Reader, display: str) -> tuple[dict[str, list[_Record]], int]:
    """The records of every row by normalised DOI, and the number of rows after the header."""
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != list(COLUMNS):
        raise DossierError(
            "not a Retraction Watch CSV: expected the 20 columns "
            f"'{COLUMNS[0]}' ... '{COLUMNS[-1]}'",
            Location(display, 1),
        )
    width = len(COLUMNS)
    doi_col = _DOI_INDEX
    nature_col, date_col, reason_col, notice_col, id_col = _NEEDED_INDEX
    records: dict[str, list[_Record]] = {}
    shared: dict[str, str] = {}  # one copy of each nature, date and reason text
    count = 0
    for row in reader:
        count += 1
        if len(row) != width:
            raise DossierError(
                f"row has {len(row)} columns, expected {width}",
                Location(display, reader.line_num),
            )
        doi = normalize_doi(row[doi_col])
        if doi.startswith("10."):
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
    return records, count


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

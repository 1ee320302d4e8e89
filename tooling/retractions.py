"""Retraction status of references: from the BibTeX entry itself or a Retraction Watch CSV.

The CSV is the one Crossref distributes (20 columns, dates like ``2/2/2010 0:00``, reasons
``;``-separated with a leading ``+``). A DOI may have several notices; they are replayed in
date order so that a later Reinstatement clears an earlier Retraction.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tooling.diagnostics import DossierError, Location

COLUMNS = (
    "Record ID", "Title", "Subject", "Institution", "Journal", "Publisher", "Country", "Author",
    "URLS", "ArticleType", "RetractionDate", "RetractionDOI", "RetractionPubMedID",
    "OriginalPaperDate", "OriginalPaperDOI", "OriginalPaperPubMedID", "RetractionNature",
    "Reason", "Paywalled", "Notes",
)  # fmt: skip
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)


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


def normalize_doi(text: str) -> str:
    """Normalise a DOI for comparison: no URL or ``doi:`` prefix, no whitespace, lower case."""
    doi = "".join(text.split())
    doi = _DOI_PREFIX.sub("", doi)
    return doi.lower()


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


class RetractionDatabase:
    """Notices by normalised DOI of the original paper, read from a Retraction Watch CSV."""

    def __init__(self, rows: Mapping[str, list[list[str]]], snapshot: Snapshot) -> None:
        self._rows = rows
        self.snapshot = snapshot

    @classmethod
    def empty(cls) -> RetractionDatabase:
        return cls({}, Snapshot("", "", "", 0))

    @classmethod
    def from_csv(cls, path: Path, *, display: str, date: str = "") -> RetractionDatabase:
        """Read the CSV; raise DossierError naming the file when it is not one."""
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
        reader = csv.reader(text.splitlines())
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != list(COLUMNS):
            raise DossierError(
                "not a Retraction Watch CSV: expected the 20 columns "
                f"'{COLUMNS[0]}' ... '{COLUMNS[-1]}'",
                Location(display, 1),
            )
        doi_col = COLUMNS.index("OriginalPaperDOI")
        rows: dict[str, list[list[str]]] = {}
        count = 0
        for count, row in enumerate(reader, start=1):
            if len(row) != len(COLUMNS):
                raise DossierError(
                    f"row has {len(row)} columns, expected {len(COLUMNS)}",
                    Location(display, count + 1),
                )
            doi = normalize_doi(row[doi_col])
            if doi.startswith("10."):
                rows.setdefault(doi, []).append(row)
        return cls(rows, Snapshot(display, digest, date, count))

    def notices(self, doi: str) -> list[Notice]:
        """Every notice recorded for the paper with this DOI (normalised here)."""
        found = self._rows.get(normalize_doi(doi))
        if not found:
            return []
        col = COLUMNS.index
        notices = []
        for row in found:
            nature = Nature.parse(row[col("RetractionNature")])
            if nature is None:
                continue
            notices.append(
                Notice(
                    nature=nature,
                    date=parse_rw_date(row[col("RetractionDate")]),
                    reasons=parse_reasons(row[col("Reason")]),
                    notice_doi=row[col("RetractionDOI")].strip(),
                    record_id=row[col("Record ID")].strip(),
                    source=Path(self.snapshot.path).name,
                )
            )
        return notices

    def __len__(self) -> int:
        return len(self._rows)


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

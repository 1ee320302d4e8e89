"""Retraction Watch notices of one DOI from Crossref's REST API (``updated-by``).

Since 2025 ``GET /works/<doi>`` carries, under ``message.updated-by``, the Retraction Watch
notices of the work, each with ``source: retraction-watch`` and its ``record-id``::

    {"DOI": "10.…/notice", "type": "retraction", "label": "Retraction",
     "source": "retraction-watch", "record-id": "12345",
     "updated": {"date-parts": [[2023, 3, 14]]}}

They become the same `Notice` values a snapshot row gives, so the check cannot tell where a
notice came from except by its ``source``. Updates a publisher deposited itself
(``source: publisher``) are left out: the snapshot does not have them either, and the
Retraction Watch record is the curated one.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from tooling.diagnostics import DossierError, Location
from tooling.fetch import Notify, fetch, redact
from tooling.retractions import Nature, Notice, decompress

__all__ = ["SOURCE", "lookup_doi", "notices_of_work", "works_url"]

SOURCE = "Crossref REST API"
"""`Notice.source` of notices found by a lookup."""

_TYPES = {
    "retraction": Nature.RETRACTION,
    "correction": Nature.CORRECTION,
    "expression_of_concern": Nature.CONCERN,
    "reinstatement": Nature.REINSTATEMENT,
}


def works_url(api: str, doi: str, mailto: str = "") -> str:
    """``<api>/works/<doi>``, the DOI escaped, with ``?mailto=`` for the polite pool."""
    query = f"?{urlencode({'mailto': mailto})}" if mailto else ""
    return f"{api.rstrip('/')}/works/{quote(doi, safe='')}{query}"


def notices_of_work(message: Mapping[str, Any]) -> list[Notice]:
    """The Retraction Watch notices in a work's ``updated-by`` list, as `Notice` values.

    Entries of another source, or of a type Retraction Watch does not use, are skipped (the
    snapshot reader skips unknown natures too).
    """
    notices = []
    for entry in message.get("updated-by") or ():
        if not isinstance(entry, Mapping) or entry.get("source") != "retraction-watch":
            continue
        nature = _TYPES.get(str(entry.get("type", "")).lower()) or Nature.parse(
            str(entry.get("label", ""))
        )
        if nature is None:
            continue
        notices.append(
            Notice(
                nature=nature,
                date=_date(entry.get("updated")),
                notice_doi=str(entry.get("DOI") or "").strip(),
                record_id=str(entry.get("record-id") or "").strip(),
                source=SOURCE,
            )
        )
    return notices


def _date(value: object) -> dt.date | None:
    """Crossref's ``{"date-parts": [[y, m, d]]}`` (or its ``date-time``), else None."""
    if not isinstance(value, Mapping):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and len(parts[0]) == 3:
        try:
            year, month, day = (int(p) for p in parts[0])
            return dt.date(year, month, day)
        except (TypeError, ValueError):
            pass
    stamp = value.get("date-time")
    if isinstance(stamp, str):
        try:
            return dt.date.fromisoformat(stamp[:10])
        except ValueError:
            return None
    return None


def _quiet(_line: str) -> None:
    pass


def lookup_doi(
    api: str,
    doi: str,
    *,
    mailto: str = "",
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 2.0,
    notify: Notify | None = None,
) -> list[Notice] | None:
    """The Retraction Watch notices Crossref has for ``doi``; None when Crossref has no such DOI.

    Raises:
        DossierError: The request failed (after the retries), or the answer is not the JSON
            of a work.
    """
    url = works_url(api, doi, mailto)
    agent = "dossier-tooling (https://dossier-tooling.invalid" + (
        f"; mailto:{mailto})" if mailto else ")"
    )
    fetched = fetch(
        url,
        timeout=timeout,
        retries=retries,
        backoff=backoff,
        max_bytes=20_000_000,
        headers={"Accept": "application/json", "User-Agent": agent},
        missing_ok=True,
        notify=notify or _quiet,
    )
    if fetched is None:
        return None
    try:
        answer = json.loads(decompress(fetched.data, redact(url)))
        message = answer["message"]
        if not isinstance(message, Mapping):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        raise DossierError(
            f"Crossref's answer for {doi} is not the JSON of a work",
            Location(redact(url)),
            hint="check [retractions] api in dossier.toml",
        ) from None
    return notices_of_work(message)

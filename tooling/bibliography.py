"""References from a dossier's `references.bib`, each with its line and retraction notice."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

from tooling.diagnostics import Finding, Location, Severity
from tooling.retractions import Notice, normalize_doi, notice_from_fields

# bibtexparser logs parse failures itself; we report them as findings with a location instead.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

_BRACES = re.compile(r"[{}]")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@dataclass(frozen=True)
class Reference:
    """One bibliography entry: key, type, fields (without braces) and where it stands."""

    key: str
    entry_type: str
    fields: dict[str, str]
    location: Location
    notices: tuple[Notice, ...] = field(default=())

    @property
    def doi(self) -> str:
        return normalize_doi(self.fields.get("doi", ""))

    @property
    def title(self) -> str:
        return self.fields.get("title", "")

    @property
    def year(self) -> str:
        return self.fields.get("year", "")

    @property
    def url(self) -> str:
        if self.doi:
            return f"https://doi.org/{self.doi}"
        return self.fields.get("url", "")

    @property
    def is_placeholder(self) -> bool:
        return self.fields.get("note", "").lower().startswith("placeholder")


def parse_bibliography(text: str, display: str) -> tuple[dict[str, Reference], list[Finding]]:
    """Parse BibTeX text; every entry or block that cannot be used becomes a finding."""
    library = bibtexparser.parse_string(text)
    findings: list[Finding] = []
    references: dict[str, Reference] = {}
    for entry in library.entries:
        location = Location(display, entry.start_line + 1, 1)
        fields = {
            k.lower(): _BRACES.sub("", str(f.value)).strip() for k, f in entry.fields_dict.items()
        }
        notices: tuple[Notice, ...] = ()
        try:
            notice = notice_from_fields(fields)
            notices = (notice,) if notice else ()
        except ValueError as exc:
            findings.append(Finding("BIB003", Severity.ERROR, str(exc), location))
        doi = fields.get("doi", "")
        if doi and not _DOI.match(normalize_doi(doi)):
            findings.append(
                Finding(
                    "BIB004",
                    Severity.ERROR,
                    f"'{doi}' in '{entry.key}' is not a DOI",
                    location,
                    hint="a DOI looks like 10.1234/abc",
                ),
            )
        references[entry.key] = Reference(entry.key, entry.entry_type, fields, location, notices)
    for block in library.failed_blocks:
        location = Location(display, block.start_line + 1, 1)
        if isinstance(block, DuplicateBlockKeyBlock):
            findings.append(
                Finding("BIB002", Severity.ERROR, f"duplicate BibTeX key '{block.key}'", location)
            )
        elif isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", None) or str(block.error)
            findings.append(
                Finding(
                    "BIB001",
                    Severity.ERROR,
                    f"cannot parse BibTeX entry: {reason}".strip(),
                    location,
                )
            )
    return references, findings

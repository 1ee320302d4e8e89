"""References from a dossier's `references.bib`, each with its line and retraction notice."""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import unquote

from tooling.diagnostics import Finding, Location, Severity
from tooling.doi import normalize_doi
from tooling.retractions import Notice, notice_from_fields

# bibtexparser logs parse failures itself; we report them as findings with a location instead.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)

_BRACES = re.compile(r"[{}]")
_DOI = re.compile(r"10\.\d{4,9}/\S+")  # matched in full against the normalised DOI


@dataclass(frozen=True)
class Reference:
    """One bibliography entry: key, type, fields (without braces) and where it stands."""

    key: str
    entry_type: str
    fields: dict[str, str]
    location: Location
    notices: tuple[Notice, ...] = field(default=())

    @property
    def doi_key(self) -> str:
        """The DOI normalised for comparison (`tooling.doi.normalize_doi`); '' without one.

        Use this to look a reference up (retraction database, duplicates): any way of
        writing the DOI gives the same key.
        """
        return normalize_doi(self.fields.get("doi", ""))

    @property
    def doi(self) -> str:
        """The DOI as the entry writes it, for display: its own case, no link or prefix.

        ``https://doi.org/10.1002/JCC.21.`` shows as ``10.1002/JCC.21``: what `doi_key`
        strips (a doi.org link, ``doi:``, invisible characters, wrapping quotes, trailing
        punctuation) is left out, the case is kept. Never use it to compare or look up a
        DOI; `doi_key` is for that. '' without a DOI.
        """
        return shown_doi(self.fields.get("doi", ""))

    @property
    def title(self) -> str:
        return self.fields.get("title", "")

    @property
    def year(self) -> str:
        return self.fields.get("year", "")

    @property
    def url(self) -> str:
        if self.doi_key:
            return f"https://doi.org/{self.doi_key}"
        return self.fields.get("url", "")

    @property
    def is_placeholder(self) -> bool:
        return self.fields.get("note", "").lower().startswith("placeholder")


def shown_doi(written: str) -> str:
    """A DOI as written, for display: the part of ``written`` that `normalize_doi` keeps.

    Args:
        written: The DOI field's text, as in the BibTeX entry.

    Returns:
        The DOI in its own case, without a link or ``doi:`` prefix, invisible characters or
        trailing punctuation: always a text that normalises to the same key. The normalised
        key itself when the written text cannot be followed (percent-escapes in a link,
        fullwidth digits); '' for an empty field.
    """
    key = normalize_doi(written)
    if not key or written == key:
        return key
    text = unicodedata.normalize("NFKC", written)
    text = "".join(ch for ch in text if ch.isprintable() and not ch.isspace())
    for form in (text, unquote(text)):
        lowered = form.lower()
        start = lowered.find(key)
        if start >= 0 and len(lowered) == len(form):
            shown = form[start : start + len(key)]
            if normalize_doi(shown) == key:
                return shown
    return key


def parse_bibliography(text: str, display: str) -> tuple[dict[str, Reference], list[Finding]]:
    """Parse BibTeX text; every entry or block that cannot be used becomes a finding.

    Plain, well-formed files (the usual case) go through a small scanner, four times as fast
    as bibtexparser; anything outside its narrow grammar (``@string``, ``#``, macros,
    comments with ``@``, syntax errors, duplicates...) is left to bibtexparser, which stays
    the reference: both give the same result wherever the scanner answers.
    """
    parsed = _scan(text)
    if parsed is None:
        return _parse_with_bibtexparser(text, display)
    findings: list[Finding] = []
    references: dict[str, Reference] = {}
    for line, entry_type, key, raw_fields in parsed:
        fields = {k.lower(): _BRACES.sub("", v).strip() for k, v in raw_fields}
        _add_entry(references, findings, key, entry_type, fields, Location(display, line, 1))
    return references, findings


def _add_entry(
    references: dict[str, Reference],
    findings: list[Finding],
    key: str,
    entry_type: str,
    fields: dict[str, str],
    location: Location,
) -> None:
    notices: tuple[Notice, ...] = ()
    try:
        notice = notice_from_fields(fields)
        notices = (notice,) if notice else ()
    except ValueError as exc:
        findings.append(Finding("bib-retraction-field", Severity.ERROR, str(exc), location))
    doi = fields.get("doi", "")
    if doi and not _DOI.fullmatch(normalize_doi(doi)):
        findings.append(
            Finding(
                "bib-bad-doi",
                Severity.ERROR,
                f"'{doi}' in '{key}' is not a DOI",
                location,
                hint="a DOI looks like 10.1234/abc",
            ),
        )
    references[key] = Reference(key, entry_type, fields, location, notices)


def _parse_with_bibtexparser(text: str, display: str) -> tuple[dict[str, Reference], list[Finding]]:
    from bibtexparser.entrypoint import parse_string  # only this fallback needs bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    library = parse_string(text)
    findings: list[Finding] = []
    references: dict[str, Reference] = {}
    for entry in library.entries:
        location = Location(display, (entry.start_line or 0) + 1, 1)
        fields = {
            k.lower(): _BRACES.sub("", str(f.value)).strip() for k, f in entry.fields_dict.items()
        }
        _add_entry(references, findings, entry.key, entry.entry_type, fields, location)
    for block in library.failed_blocks:
        location = Location(display, (block.start_line or 0) + 1, 1)
        if isinstance(block, DuplicateBlockKeyBlock):
            findings.append(
                Finding(
                    "bib-duplicate-key",
                    Severity.ERROR,
                    f"duplicate BibTeX key '{block.key}'",
                    location,
                )
            )
        elif isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", None) or str(block.error)
            findings.append(
                Finding(
                    "bib-syntax",
                    Severity.ERROR,
                    f"cannot parse BibTeX entry: {reason}".strip(),
                    location,
                )
            )
    return references, findings


# The scanner's grammar: entries `@type{key, name = value, ...}` with values `{...}` (nested
# braces; a brace after a backslash does not count, as in bibtexparser), `"..."` without
# braces, quotes or backslashes, or digits; between entries any text without `@`.
_ENTRY_START = re.compile(r"@(\w+)\{\s*([^\s{}\",=@\\#%()]+)\s*,")
_FIELD_NAME = re.compile(r"\s*([^\s{}\",=@\\#%()]+)\s*=\s*")
_ENTRY_END = re.compile(r"\s*\}")
# The common field in one match: a braced value without nested braces, backslashes or `@`.
_SIMPLE_FIELD = re.compile(r"\s*([^\s{}\",=@\\#%()]+)\s*=\s*\{([^{}\\@]*)\}\s*([,}])")
_AFTER_VALUE = re.compile(r"\s*([,}])")
_QUOTED = re.compile(r'"([^"{}\\@]*)"')
_NUMBER = re.compile(r"\d+")
_UNESCAPED_BRACE = re.compile(r"(?<!\\)[{}]")
_SPECIAL_BLOCKS = ("comment", "preamble", "string")

ScannedEntry = tuple[int, str, str, list[tuple[str, str]]]  # line, type, key, raw fields


def _scan(text: str) -> list[ScannedEntry] | None:
    """Entries of a plain BibTeX file, or None when bibtexparser must decide."""
    if "\\\n" in text:  # bibtexparser does not count a newline after a backslash
        return None
    entries: list[ScannedEntry] = []
    keys: set[str] = set()
    line, counted = 1, 0
    pos = 0
    find, count = text.find, text.count
    while True:
        at = find("@", pos)
        if at < 0:
            return entries
        start = _ENTRY_START.match(text, at)
        if start is None:
            return None
        entry_type = start.group(1).lower()
        key = start.group(2)
        if entry_type.startswith(_SPECIAL_BLOCKS) or key in keys:
            return None
        keys.add(key)
        line += count("\n", counted, at)
        counted = at
        fields: list[tuple[str, str]] = []
        names: set[str] = set()
        pos = start.end()
        while True:
            simple = _SIMPLE_FIELD.match(text, pos)
            if simple is not None:
                name, value, after_value = simple.groups()
                lowered = name.lower()
                if lowered in names:
                    return None
                names.add(lowered)
                fields.append((name, value))
                pos = simple.end()
                if after_value == "}":
                    break
                continue
            end = _ENTRY_END.match(text, pos)
            if end is not None:
                pos = end.end()
                break
            name_match = _FIELD_NAME.match(text, pos)
            if name_match is None:
                return None
            name = name_match.group(1)
            lowered = name.lower()
            if lowered in names:
                return None
            names.add(lowered)
            pos = name_match.end()
            opening = text[pos : pos + 1]
            if opening == "{":
                close = _closing_brace(text, pos)
                if close < 0:
                    return None
                value = text[pos + 1 : close]
                if "@" in value:
                    return None
                pos = close + 1
            elif opening == '"':
                quoted = _QUOTED.match(text, pos)
                if quoted is None:
                    return None
                value = quoted.group(1)
                pos = quoted.end()
            else:
                number = _NUMBER.match(text, pos)
                if number is None:
                    return None
                value = number.group()
                pos = number.end()
            fields.append((name, value))
            after = _AFTER_VALUE.match(text, pos)
            if after is None:
                return None
            pos = after.end()
            if after.group(1) == "}":
                break
        entries.append((line, entry_type, key, fields))


def _closing_brace(text: str, start: int) -> int:
    """Index of the brace closing the one at ``start``, or -1 when it is never closed."""
    depth = 0
    for match in _UNESCAPED_BRACE.finditer(text, start):
        if match.group() == "{":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return match.start()
    return -1

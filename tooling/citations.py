"""Numbered citations and a Vancouver-style reference list, with retractions marked.

One formatter serves the site, the PDF and the DOCX, so a reference reads the same in every
document. Pandoc's citeproc cannot mark a retracted entry in the list and costs a pandoc run
per site page; see docs/citations.md for the measurement behind this choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import escape

from tooling.bibliography import Reference
from tooling.i18n import message
from tooling.load import _CITATION_GROUP, _CITATION_KEY
from tooling.retractions import Notice

_MAX_AUTHORS = 6  # Vancouver: list six, then "et al."


@dataclass(frozen=True)
class CitedText:
    """Markdown with citations numbered, and the references in citation order."""

    markdown: str
    order: tuple[str, ...]


def number_citations(
    markdown: str, flags: Mapping[str, Notice], order: Sequence[str] = (), language: str = "nl"
) -> CitedText:
    """Replace ``[@a; @b]`` by ``[1, 2]``, numbering by first appearance after ``order``.

    A flagged reference is marked where it is cited, so no reader meets it unwarned.
    """
    numbers: dict[str, int] = {key: i + 1 for i, key in enumerate(order)}

    def replace(match: re.Match[str]) -> str:
        keys = [k.group(1) for k in _CITATION_KEY.finditer(match.group(1))]
        parts = []
        for key in keys:
            number = numbers.setdefault(key, len(numbers) + 1)
            flag = flags.get(key)
            parts.append(
                f"{number}"
                + (
                    f" ({message('ref.flag.' + flag.nature.value, language).lower()})"
                    if flag
                    else ""
                )
            )
        return "[" + ", ".join(parts) + "]"

    text = _CITATION_GROUP.sub(replace, markdown)
    return CitedText(text, tuple(numbers))


def format_authors(authors: str) -> str:
    """'Doe, John and Roe, R. A.' -> 'Doe J, Roe RA' (Vancouver initials, six then et al.).

    BibTeX's ``and others`` (the authors not named) is "et al." too: 'Doe, John and Roe,
    R. and others' -> 'Doe J, Roe R, et al'. The caller adds the final full stop.
    """
    if not authors.strip():
        return ""
    names = [a.strip() for a in re.split(r"\s+and\s+", authors) if a.strip()]
    more = len(names) > _MAX_AUTHORS
    if names and names[-1].lower() == "others":
        names.pop()
        more = True
    if not names:
        return "et al" if more else ""
    formatted = []
    for name in names[:_MAX_AUTHORS]:
        if "," in name:
            last, first = (p.strip() for p in name.split(",", 1))
        else:
            pieces = name.split()
            last, first = pieces[-1], " ".join(pieces[:-1])
        initials = "".join(part[0] for part in re.split(r"[\s.\-]+", first) if part)
        formatted.append(f"{last} {initials}".strip())
    text = ", ".join(formatted)
    return text + ", et al" if more else text


def format_reference(ref: Reference, flag: Notice | None = None, language: str = "nl") -> str:
    """One reference in Vancouver style, as Markdown, with its DOI (or URL) as a link.

    BibTeX comes from reference managers: every field is escaped (`<`, `>`, `&`, quotes), so
    a title cannot bring markup into a document or page.
    """
    if ref.is_placeholder:
        # A placeholder is the writer's note to fill in later, never a fact to print: the
        # reader is told plainly that the source does not name the work.
        text = f"{message('ref.not_stated', language)}."
        return f"{text} {flag_badge(flag, language)}" if flag is not None else text
    f = {key: str(escape(value)) for key, value in ref.fields.items()}
    parts: list[str] = []
    authors = (
        format_authors(f.get("author", "")) or f.get("institution", "") or f.get("organization", "")
    )
    if authors:
        parts.append(authors.rstrip(".") + ".")
    if ref.title:
        parts.append(str(escape(ref.title)).rstrip(".") + ".")
    journal = f.get("journal", "")
    if journal:
        volume = f.get("volume", "")
        issue = f"({f['number']})" if f.get("number") else ""
        pages = f":{f['pages'].replace('--', '-')}" if f.get("pages") else ""
        year = str(escape(ref.year))
        tail = f"{year};{volume}{issue}{pages}" if volume else year
        parts.append(f"{journal}. {tail}.".replace(". .", "."))
    else:
        publisher = f.get("publisher") or (
            f.get("institution") if authors != f.get("institution") else ""
        )
        place = f.get("address", "")
        where = ": ".join(x for x in (place, publisher) if x)
        year = str(escape(ref.year))
        if where or year:
            parts.append("; ".join(x for x in (where, year) if x) + ".")
    if ref.doi:
        target = quote(ref.doi, safe="/:;.-_")
        parts.append(f"doi:[{escape(ref.doi)}](https://doi.org/{target})")
    elif ref.fields.get("url"):
        url = ref.fields["url"]
        shown = f"<{url}>" if _PLAIN_URL.fullmatch(url) else str(escape(url))
        parts.append(f"{message('ref.available', language)}: {shown}")
    text = " ".join(parts)
    if flag is not None:
        text += " " + flag_badge(flag, language)
    return text


_PLAIN_URL = re.compile(r"https?://[^\s<>\[\]()\"'`]+")


def flag_badge(flag: Notice, language: str = "nl") -> str:
    """'**Teruggetrokken** (2 februari 2010): reden' as Markdown."""
    from tooling.templating import format_partial_date

    label = message("ref.flag." + flag.nature.value, language)
    date = f" ({format_partial_date(flag.date, language=language)})" if flag.date else ""
    reason = f": {escape(flag.reason)}" if flag.reason else ""
    return f"**{label}**{date}{reason}"


def cited_keys(markdown: str) -> list[str]:
    """The keys of every ``[@key]`` citation, in order of appearance (with repeats)."""
    return [
        key.group(1)
        for group in _CITATION_GROUP.finditer(markdown)
        for key in _CITATION_KEY.finditer(group.group(1))
    ]


def first_appearance(texts: Iterable[str], then: Iterable[str] = ()) -> dict[str, int]:
    """Citation numbers of a dossier: by first appearance in ``texts``, then ``then``.

    ``texts`` are the dossier's documents in their order (the position first), so the
    position reads [1], [2], [3]...; a reference cited only outside the documents (on a site
    page) gets a number after them. Every document and page of the dossier uses these
    numbers, so a reference has one number wherever a reader meets it.
    """
    numbers: dict[str, int] = {}
    for text in texts:
        for key in cited_keys(text):
            numbers.setdefault(key, len(numbers) + 1)
    for key in then:
        numbers.setdefault(key, len(numbers) + 1)
    return numbers


def reference_list(
    numbers: Mapping[str, int],
    keys: Iterable[str],
    references: Mapping[str, Reference],
    flags: Mapping[str, Notice],
    language: str = "nl",
) -> str:
    """The references ``keys`` as Markdown paragraphs, each with its dossier-wide number."""
    lines = []
    for key in sorted(set(keys), key=lambda k: numbers[k]):
        ref = references.get(key)
        if ref is not None:
            lines.append(f"\\[{numbers[key]}\\] {format_reference(ref, flags.get(key), language)}")
    return "\n\n".join(lines)

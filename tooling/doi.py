"""DOI normalisation: one function, used wherever two DOIs are compared.

A DOI is written in many ways: as a doi.org link, with a ``doi:`` prefix, in capitals, copied
from a PDF with a zero-width space or fullwidth digits, or with the full stop of the sentence
it ended. DOIs are case-insensitive (ASCII), so all of these name the same paper. The
BibTeX side (`tooling.bibliography`) and the Retraction Watch side (`tooling.retractions`)
both key on `normalize_doi`, so whatever the one writes, the other finds.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

__all__ = ["normalize_doi"]

# The usual case, a bare ASCII DOI without anything to strip: only lower-casing is left.
# The Retraction Watch snapshot normalises 60,000 DOIs on every check, so this path matters.
_PLAIN = re.compile(r"10\.[0-9]+/[!-~]*[0-9A-Za-z_\-/]")

_URL_PREFIX = re.compile(r"^(?:https?://)?(?:www\.|dx\.)?doi\.org/", re.IGNORECASE)
_DOI_PREFIX = re.compile(r"^doi:", re.IGNORECASE)

# Characters that wrap a DOI in running text or Markdown: "…", ‘…’, «…», (…), <…>, […].
_OPENERS = "\"'“‘«(<["
_QUOTES = "\"'”’»“‘«"
_CLOSERS = {")": "(", "]": "[", ">": "<"}
# Sentence punctuation that ends up after a DOI written at the end of a clause.
_TRAILING = ".,;:"


def _visible(ch: str) -> bool:
    """False for format characters (zero-width space, BOM, soft hyphen...) and controls."""
    return unicodedata.category(ch) not in ("Cf", "Cc") and not ch.isspace()


def normalize_doi(text: str) -> str:
    """The comparison key of a DOI as written anywhere.

    Steps, in order: Unicode NFKC (fullwidth ``１０．５５５５`` becomes ``10.5555``); drop
    whitespace, controls and invisible format characters (category Cf: zero-width spaces,
    word joiners, soft hyphens, byte-order marks) wherever they stand; drop wrapping quotes
    and brackets; drop a doi.org link prefix (``http(s)://``, ``dx.``/``www.``, percent-escapes
    decoded) and a ``doi:`` prefix in any case; drop trailing sentence punctuation, quotes and
    closing brackets that have no opening partner inside the DOI; lower-case.

    Text that is not a DOI is cleaned the same way and otherwise left alone: ``""`` stays
    ``""``, ``"unavailable"`` stays ``"unavailable"``, and a link to another site keeps its
    host.

    Args:
        text: A DOI as written in a BibTeX field, a CSV cell or a link.

    Returns:
        The normalised DOI, e.g. ``10.5555/abc.1`` for ``https://doi.org/10.5555/ABC.1.``.
    """
    if _PLAIN.fullmatch(text):
        return text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    if not (text.isascii() and text.isprintable() and " " not in text):
        text = "".join(ch for ch in text if _visible(ch))
    # A prefix may sit inside quotes or brackets and a link may carry a `doi:` of its own
    # ("<doi:10.1/x>", "doi:https://doi.org/10.1/x"): strip until nothing changes.
    while True:
        before = text
        text = text.lstrip(_OPENERS)
        text = _strip_trailing(text)
        url = _URL_PREFIX.match(text)
        if url is not None:
            text = unquote(text[url.end() :])  # links escape "/" and "<>" as %2F, %3C...
        text = _DOI_PREFIX.sub("", text, count=1)
        if text == before:
            return text.lower()


def _strip_trailing(text: str) -> str:
    """Without sentence punctuation, quotes and unbalanced closing brackets at the end."""
    while text:
        last = text[-1]
        if (
            last in _TRAILING
            or last in _QUOTES
            or (last in _CLOSERS and text.count(last) > text.count(_CLOSERS[last]))
        ):
            text = text[:-1]
        else:
            break
    return text

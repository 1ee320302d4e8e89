"""Keep scripts and active markup out of the published site.

Dossier prose, plain YAML fields, FAQ answers, glossary definitions, BibTeX titles and the
retraction database's reasons all end up in the site's HTML. Python-Markdown passes raw HTML
through, and its ``attr_list`` extension lets a writer add any attribute (``{: onclick=... }``).
This module is the last line before a page is published:

* `sanitize_html` cleans a page's content (what Markdown made of it) with nh3, an allow-list
  sanitiser (the Rust library ammonia): only the elements, attributes and URL schemes that our
  pages and the Markdown extensions in mkdocs.yml produce survive;
* `add_csp` puts a Content-Security-Policy ``<meta>`` first in a finished page's ``<head>``,
  which lets the browser run only the site's own script files and the theme's own inline
  scripts (by hash), so anything that got past the sanitiser, or came in through the theme's
  templates (page titles, navigation), still does not run;
* `raw_format_blocks` finds pandoc raw blocks and spans (```` ```{=typst} ````,
  `` `...`{=openxml} ``), which pass text unchanged into the PDF or DOCX, for a check rule.

See docs/security.md, "Script and markup injection".
"""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import importlib.resources
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from html.parser import HTMLParser

import nh3

# --- sanitising page content ----------------------------------------------------------------

ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        # text
        "p", "br", "hr", "span", "div", "blockquote", "pre", "code", "kbd", "samp", "var",
        "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
        "abbr", "dfn", "cite", "q", "time", "wbr",
        "h1", "h2", "h3", "h4", "h5", "h6",
        # links and images
        "a", "img", "figure", "figcaption",
        # lists (def_list: dl, dt, dd)
        "ul", "ol", "li", "dl", "dt", "dd",
        # tables
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        # collapsible blocks (details/summary, as pymdownx.details would make them)
        "details", "summary",
        # sections a writer might wrap with md_in_html
        "section", "article", "aside", "header", "footer",
        # the decision aid's form controls (no <form>: nothing is ever submitted)
        "fieldset", "legend", "label", "input", "select", "option", "output", "button",
    }
)  # fmt: skip
"""Elements kept in page content. Everything else is removed (its text is kept, except for
the elements in `REMOVED_WITH_CONTENT`)."""

REMOVED_WITH_CONTENT: frozenset[str] = frozenset(
    {
        "script", "style", "template", "noscript", "noembed", "noframes", "xmp", "iframe",
        "frame", "frameset", "object", "embed", "applet", "svg", "math", "textarea", "title",
    }
)  # fmt: skip
"""Elements removed together with everything inside them (scripts, style sheets, embedded
documents, SVG and MathML, which carry their own script and link mechanisms)."""

GLOBAL_ATTRIBUTES: frozenset[str] = frozenset(
    {"id", "class", "title", "lang", "dir", "role", "aria-label", "aria-hidden"}
)
"""Attributes kept on every allowed element (``id``: heading anchors and footnotes;
``class``: admonitions, badges, footnotes, ``headerlink``; ``role``/``aria-*``: badges)."""

ALLOWED_ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href", "hreflang"}),
    "img": frozenset({"src", "alt", "width", "height", "loading"}),
    "th": frozenset({"style", "align", "colspan", "rowspan", "scope"}),
    "td": frozenset({"style", "align", "colspan", "rowspan"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "details": frozenset({"open"}),
    "time": frozenset({"datetime"}),
    "del": frozenset({"datetime", "cite"}),
    "ins": frozenset({"datetime", "cite"}),
    "q": frozenset({"cite"}),
    "blockquote": frozenset({"cite"}),
    # form controls: no action, formaction, form, src or event handler
    "input": frozenset({"type", "name", "value", "placeholder", "inputmode", "autocomplete"}),
    "select": frozenset({"name"}),
    "option": frozenset({"value", "selected"}),
    "label": frozenset({"for"}),
    "output": frozenset({"for", "name"}),
    "button": frozenset({"type", "name", "value"}),
}
"""Attributes kept per element, besides `GLOBAL_ATTRIBUTES`. No ``on*`` handler, no ``style``
except on table cells (the ``tables`` extension aligns columns with ``text-align``)."""

STYLE_PROPERTIES: frozenset[str] = frozenset({"text-align"})
"""The only CSS property kept in a ``style`` attribute (table column alignment)."""

URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
"""Schemes kept in ``href``, ``src`` and ``cite``; relative and fragment URLs are kept too.
``javascript:``, ``vbscript:``, ``data:`` and every other scheme are removed."""

RESERVED_ID_PREFIX = "__"
"""Material's own elements have ids such as ``__config`` (its settings, read with
``querySelector``), ``__drawer`` and ``__search``; content must not shadow them."""


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: drop ids that could shadow the theme's own elements."""
    if attribute == "id" and value.startswith(RESERVED_ID_PREFIX):
        return None
    return value


@cache
def _cleaner() -> nh3.Cleaner:
    attributes = {tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()}
    attributes["*"] = set(GLOBAL_ATTRIBUTES)
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(REMOVED_WITH_CONTENT),
        attributes=attributes,
        attribute_filter=_keep_attribute,
        strip_comments=True,
        link_rel=None,  # internal links stay as Markdown made them; no target= is allowed
        url_schemes=set(URL_SCHEMES),
        filter_style_properties=set(STYLE_PROPERTIES),
    )


def sanitize_html(fragment: str) -> str:
    """Clean an HTML fragment (a page's content) so that it can carry no script.

    Keeps what Markdown and the extensions in mkdocs.yml produce (headings with ids and
    ``headerlink`` anchors, tables with aligned cells, admonitions, footnotes, definition
    lists, code blocks, badges, links and images) and removes everything else: ``<script>``,
    ``<style>``, ``<iframe>``, ``<object>``, ``<svg>``, forms, event-handler attributes,
    ``style`` (except ``text-align`` on table cells), ``javascript:``/``vbscript:``/``data:``
    URLs and HTML comments. The output is re-serialised, so entities and void elements may be
    written differently from the input (``&para;`` as ``¶``, ``<hr />`` as ``<hr>``).

    Args:
        fragment: HTML that may contain anything a dossier writer typed.

    Returns:
        The same content with only allowed elements, attributes and URLs.
    """
    return _cleaner().clean(fragment)


def escape_text(text: str) -> str:
    """Escape plain text for HTML (``<``, ``>``, ``&``, both quotes), e.g. a navigation title.

    Args:
        text: text from a dossier that is meant to be shown as it is.

    Returns:
        The text with every character that HTML treats specially written as an entity.
    """
    return html_lib.escape(text, quote=True)


# --- Content-Security-Policy ----------------------------------------------------------------

CSP_META_NAME = "Content-Security-Policy"

_SCRIPT = re.compile(r"<script\b(?P<attrs>[^>]*)>(?P<body>.*?)</script\s*>", re.I | re.S)
_ATTRIBUTE = re.compile(
    r"""(?P<name>[^\s"'>/=]+)(?:\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s"'=<>`]+)))?"""
)
_HEAD = re.compile(r"<head\b[^>]*>", re.I)
_JAVASCRIPT_TYPES = frozenset(
    {
        "", "module", "text/javascript", "application/javascript", "application/ecmascript",
        "application/x-ecmascript", "application/x-javascript", "text/ecmascript",
        "text/jscript", "text/livescript", "text/x-ecmascript", "text/x-javascript",
        "text/javascript1.0", "text/javascript1.1", "text/javascript1.2", "text/javascript1.3",
        "text/javascript1.4", "text/javascript1.5",
    }
)  # fmt: skip
"""``type`` values that make a ``<script>`` run; any other type is a data block (JSON)."""

_TEMPLATE_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.S)
_URL_VALUE = r"[A-Za-z0-9._~/:-]*"
"""What a Jinja expression in a theme script may expand to: a URL such as ``..`` or ``/``,
never a quote, a parenthesis or a ``<`` that could end the string it sits in."""


@dataclass(frozen=True, slots=True)
class InlineScript:
    """An inline ``<script>`` of a finished page that the browser would run."""

    body: str
    """The text between ``<script ...>`` and ``</script>``, exactly as in the page."""

    @property
    def hash_source(self) -> str:
        """The CSP source expression that allows this script: ``'sha256-<base64>'``."""
        digest = hashlib.sha256(self.body.encode("utf-8")).digest()
        return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def inline_scripts(page: str) -> list[InlineScript]:
    """Every inline script in a page that a browser would execute, in page order.

    Scripts with a ``src`` (covered by ``'self'``) and data blocks such as
    ``<script type="application/json">`` are left out.

    Args:
        page: a complete HTML page.

    Returns:
        The executable inline scripts.
    """
    found: list[InlineScript] = []
    for match in _SCRIPT.finditer(page):
        attributes = _attributes(match["attrs"])
        if "src" in attributes:
            continue
        kind = attributes.get("type", "").strip().lower()
        if kind not in _JAVASCRIPT_TYPES:
            continue
        found.append(InlineScript(match["body"]))
    return found


def _attributes(text: str) -> dict[str, str]:
    attributes: dict[str, str] = {}
    for match in _ATTRIBUTE.finditer(text):
        value = match["dq"] if match["dq"] is not None else match["sq"]
        if value is None:
            value = match["bare"] or ""
        attributes.setdefault(match["name"].lower(), html_lib.unescape(value))
    return attributes


@cache
def theme_script_patterns() -> tuple[re.Pattern[str], ...]:
    """The inline scripts the Material theme can emit, as exact patterns.

    Material keeps them in ``material/templates/partials/javascripts/*.html``, each a single
    minified ``<script>`` whose only variable part is a URL (``{{ base_url }}``). Reading them
    from the installed theme keeps the patterns right when Material is upgraded.

    Returns:
        One full-match pattern per theme script.
    """
    folder = importlib.resources.files("material") / "templates" / "partials" / "javascripts"
    patterns: list[re.Pattern[str]] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".html"):
            continue
        for match in _SCRIPT.finditer(entry.read_text(encoding="utf-8")):
            body = match["body"]
            if "{%" in body or "{#" in body:
                continue  # control flow inside a script: not a shape we can trust
            parts = _TEMPLATE_EXPRESSION.split(body)
            patterns.append(re.compile(_URL_VALUE.join(re.escape(p) for p in parts), re.S))
    return tuple(patterns)


def is_theme_script(
    script: InlineScript, patterns: Sequence[re.Pattern[str]] | None = None
) -> bool:
    """Tell whether an inline script is one the theme emits (and not text from a dossier).

    Args:
        script: an inline script of a finished page.
        patterns: the theme's scripts; default `theme_script_patterns`.

    Returns:
        True when the script's text is exactly one of the theme's scripts.
    """
    if patterns is None:
        patterns = theme_script_patterns()
    return any(p.fullmatch(script.body) for p in patterns)


def content_security_policy(page: str, *, trusted: Sequence[re.Pattern[str]] | None = None) -> str:
    """The Content-Security-Policy for a finished page.

    Only the site's own files may load (``'self'``); inline scripts run only when they are
    the theme's own (each allowed by its SHA-256). Inline styles stay allowed: Material and
    the ``tables`` extension set ``style`` attributes, and the sanitiser keeps none from
    dossier text. ``data:`` images are Material's icons (SVG in its style sheet).

    Args:
        page: the complete HTML page the policy is for.
        trusted: patterns of the inline scripts to allow; default `theme_script_patterns`.

    Returns:
        The policy, e.g. ``default-src 'self'; script-src 'self' 'sha256-...'; ...``.
    """
    hashes = _unique(s.hash_source for s in inline_scripts(page) if is_theme_script(s, trusted))
    directives = [
        "default-src 'self'",
        " ".join(["script-src 'self'", *hashes]),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'none'",
    ]
    return "; ".join(directives)


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def untrusted_inline_scripts(
    page: str, *, trusted: Sequence[re.Pattern[str]] | None = None
) -> list[InlineScript]:
    """The inline scripts of a page that are not the theme's (the CSP blocks them).

    Args:
        page: a complete HTML page.
        trusted: patterns of the allowed inline scripts; default `theme_script_patterns`.

    Returns:
        The scripts `content_security_policy` gives no hash.
    """
    return [s for s in inline_scripts(page) if not is_theme_script(s, trusted)]


_ACTIVE_ELEMENTS = frozenset({"iframe", "frame", "object", "embed", "applet", "base"})
_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data"})
_SCRIPT_SCHEME = re.compile(r"^(?:java|vb)script:", re.I)
_IGNORED_IN_URL = re.compile(r"[\x00-\x20]")
_HANDLER_NAME = re.compile(r"on[a-z]+\s*=")
_EMBEDDING = re.compile(r"<\s*/?(?:iframe|frame|object|embed|applet|base)\b")
_ENTITY_IN_URL = re.compile(r"&(?:#|tab;|newline;|colon;)")


def _may_hold_active_markup(page: str) -> bool:
    """A quick over-approximation of `_ActiveMarkup` (a full parse costs about 5 ms a page).

    True when the page has ``on...=`` after a space, slash or quote (where an attribute can
    start), an embedding element, a character reference (``jav&#x09;ascript:``), or
    ``script:`` once tabs and newlines (which browsers drop from URLs) are taken out.
    """
    low = page.lower()
    return (
        any(low[m.start() - 1] in " \t\n\r\f/\"'" for m in _HANDLER_NAME.finditer(low))
        or _EMBEDDING.search(low) is not None
        or _ENTITY_IN_URL.search(low) is not None
        or "script:" in low.replace("\t", "").replace("\n", "").replace("\r", "")
    )


class _ActiveMarkup(HTMLParser):
    """Collects event-handler attributes, script URLs and embedding elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_ELEMENTS:
            self.found.append(f"a <{tag}> element")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"an {name} attribute on <{tag}>: {value or ''!r}")
            elif name in _URL_ATTRIBUTES and _SCRIPT_SCHEME.match(
                _IGNORED_IN_URL.sub("", value or "")
            ):
                self.found.append(f"a script URL in <{tag} {name}>: {value!r}")


def active_markup(page: str, *, trusted: Sequence[re.Pattern[str]] | None = None) -> list[str]:
    """What in a finished page could run code and is not the theme's own.

    The sanitiser cleans page content only; the theme prints some texts of its own, such as
    navigation titles, without escaping them. This finds what got into a page that way:
    inline scripts that are not the theme's, event-handler attributes (``onerror=``),
    ``javascript:`` and ``vbscript:`` URLs, and ``<iframe>``, ``<object>``, ``<embed>`` and
    ``<base>`` elements. The theme itself uses none of these (a ``javascript:`` link only
    with Material's ``search.share`` feature, which mkdocs.yml does not turn on).

    Args:
        page: a complete HTML page.
        trusted: patterns of the allowed inline scripts; default `theme_script_patterns`.

    Returns:
        One description per finding, in page order (scripts first); empty when clean.
    """
    found = [
        f"an inline script that is not the theme's: {s.body[:80]!r}"
        for s in untrusted_inline_scripts(page, trusted=trusted)
    ]
    if not _may_hold_active_markup(page):
        return found
    parser = _ActiveMarkup()
    parser.feed(page)
    parser.close()
    return found + parser.found


def add_csp(page: str, *, trusted: Sequence[re.Pattern[str]] | None = None) -> str:
    """Put a Content-Security-Policy ``<meta>`` first in a finished page's ``<head>``.

    First, so that it is in force before anything else in the page is parsed. A page that
    already has such a meta, or that has no ``<head>`` tag, is returned unchanged.

    Args:
        page: the complete HTML page.
        trusted: patterns of the inline scripts to allow; default `theme_script_patterns`.

    Returns:
        The page with the policy from `content_security_policy`.
    """
    head = _HEAD.search(page)
    if head is None or _has_csp_meta(page[: _end_of_head(page)]):
        return page
    policy = content_security_policy(page, trusted=trusted)
    meta = f'<meta http-equiv="{CSP_META_NAME}" content="{html_lib.escape(policy, quote=False)}">'
    return page[: head.end()] + meta + page[head.end() :]


def _end_of_head(page: str) -> int:
    end = page.lower().find("</head")
    return len(page) if end < 0 else end


def _has_csp_meta(head: str) -> bool:
    return re.search(r"http-equiv\s*=\s*[\"']?content-security-policy", head, re.I) is not None


# --- pandoc raw blocks ----------------------------------------------------------------------

_RAW_ATTRIBUTE = re.compile(r"\{[ \t]*=(?P<format>[\w-]+)[ \t]*\}")
_CONTAINER = r"(?:[ ]{0,3}>[ ]?|[ ]{0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+)*"
"""Block quote markers and list markers before a fence."""
_FENCE = re.compile(
    rf"^(?P<prefix>{_CONTAINER})(?P<indent>[ \t]*)(?P<fence>`{{3,}}|~{{3,}})(?P<info>.*)$"
)
_BACKTICKS = re.compile(r"`+")
_LOOSE_RAW_SPAN = re.compile(rf"(?P<ticks>`+){_RAW_ATTRIBUTE.pattern}")


def raw_format_blocks(markdown: str) -> list[tuple[int, int, str]]:
    """Find pandoc raw blocks and raw inline spans in Markdown.

    A raw block is a fenced code block whose info string is a raw attribute
    (```` ```{=typst} ````, ``~~~ {=openxml}``); a raw span is a code span followed at once by
    one (`` `#read("/etc/passwd")`{=typst} ``). Pandoc copies their content unchanged into
    the output of that format (the PDF's typst, the DOCX's OpenXML, LaTeX, HTML).

    The search errs on the side of reporting: a fence line with a raw attribute is reported
    however far it is indented (in a list it is a real fence) and even when it is never
    closed (pandoc then reads a paragraph). The content of another fenced code block is
    skipped only when that fence is closed and indented at most three spaces, so that it is
    surely a fence and not a line of an indented code block.

    Args:
        markdown: Markdown text.

    Returns:
        ``(line, column, format)`` for each, 1-based, in text order, pointing at the opening
        fence or backtick; ``format`` as written (``typst``, ``openxml``, ``latex``...).
    """
    found: list[tuple[int, int, str]] = []
    lines = markdown.splitlines()
    closing: int | None = None  # the line that ends the fenced block we are in
    paragraph: list[tuple[int, str]] = []  # (line number, text): searched for raw spans
    for index, line in enumerate(lines):
        number = index + 1
        if closing is not None:
            if index == closing:
                closing = None
            continue
        opened = _FENCE.match(line)
        if opened is not None and not (opened["fence"][0] == "`" and "`" in opened["info"]):
            # (a backtick fence's info string has no backtick; otherwise it is a code span)
            raw = _RAW_ATTRIBUTE.fullmatch(opened["info"].strip())
            if raw is not None:
                column = len(opened["prefix"]) + len(opened["indent"]) + 1
                found.append((number, column, raw["format"]))
            end = _closing_fence(lines, index, opened["fence"])
            if end is not None and (raw is not None or len(opened["indent"].expandtabs(4)) <= 3):
                found.extend(_inline_spans(paragraph))
                paragraph = []
                closing = end
                continue
            # never closed: pandoc reads it as a paragraph, and so do we
        if not line.strip():
            found.extend(_inline_spans(paragraph))
            paragraph = []
        else:
            paragraph.append((number, line))
    found.extend(_inline_spans(paragraph))
    return sorted(set(found))


def _closing_fence(lines: list[str], opening: int, fence: str) -> int | None:
    """The index of the line that closes the fence opened at ``opening``, or None."""
    for index in range(opening + 1, len(lines)):
        stripped = lines[index].strip(" \t>")
        if stripped.startswith(fence) and set(stripped) <= {fence[0]}:
            return index
    return None


def _inline_spans(paragraph: list[tuple[int, str]]) -> list[tuple[int, int, str]]:
    """Code spans followed by a raw attribute in one paragraph (a span may cross lines).

    A backtick followed at once by a raw attribute that closes no span found here (the
    paragraph may really be an indented code block followed by text, which this simple
    reading does not tell apart) is reported too, at that backtick.
    """
    if not paragraph:
        return []
    text = "\n".join(line for _, line in paragraph)
    starts: list[int] = []  # where each line starts in text
    offset = 0
    for _, line in paragraph:
        starts.append(offset)
        offset += len(line) + 1

    def place(position: int) -> tuple[int, int]:
        index = max(i for i, start in enumerate(starts) if start <= position)
        return paragraph[index][0], position - starts[index] + 1

    found: list[tuple[int, int, str]] = []
    closings: set[int] = set()
    position = 0
    while (opening := _BACKTICKS.search(text, position)) is not None:
        begin = opening.start()
        backslashes = begin - len(text[:begin].rstrip("\\"))
        if backslashes % 2:
            begin += 1  # an escaped backtick is literal; the rest of the run may open a span
            if begin == opening.end():
                position = opening.end()
                continue
        closing = _closing_run(text, opening.end(), opening.end() - begin)
        if closing is None:
            position = opening.end()  # no closing run: these backticks are literal
            continue
        raw = _RAW_ATTRIBUTE.match(text, closing)
        if raw is not None:
            found.append((*place(begin), raw["format"]))
            closings.add(closing)
        position = closing
    for loose in _LOOSE_RAW_SPAN.finditer(text):
        if loose.end("ticks") not in closings:
            found.append((*place(loose.start()), loose["format"]))
    return found


def _closing_run(text: str, start: int, length: int) -> int | None:
    """The offset just after the next run of exactly ``length`` backticks, or None."""
    for run in _BACKTICKS.finditer(text, start):
        if len(run[0]) == length:
            return run.end()
    return None

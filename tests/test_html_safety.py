"""html_safety: the sanitiser's allow-list, the Content-Security-Policy and pandoc raw blocks."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import markdown
import pytest
import yaml

from tooling.html_safety import (
    ALLOWED_TAGS,
    URL_SCHEMES,
    InlineScript,
    active_markup,
    add_csp,
    content_security_policy,
    escape_text,
    inline_scripts,
    raw_format_blocks,
    sanitize_html,
    theme_script_patterns,
)

REPO = Path(__file__).resolve().parent.parent
PWNED = "window.__pwned=1"


def site_markdown(text: str) -> str:
    """Markdown as the site converts it: the extensions and settings of mkdocs.yml."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    names: list[str] = []
    settings: dict[str, Any] = {}
    for entry in config["markdown_extensions"]:
        if isinstance(entry, dict):
            ((name, options),) = entry.items()
            names.append(name)
            settings[name] = options or {}
        else:
            names.append(entry)
    return str(markdown.markdown(text, extensions=names, extension_configs=settings))


class _Tokens(HTMLParser):
    """An HTML fragment as comparable tokens: tags with sorted attributes, and text."""

    VOID = frozenset({"br", "hr", "img", "col", "wbr", "input", "meta", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._text = ""

    def _flush(self) -> None:
        if self._text:
            self.tokens.append(self._text)
            self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        values = {k: _normal_style(v or "") if k == "style" else v or "" for k, v in attrs}
        self.tags.append((tag, values))
        self.tokens.append(f"<{tag} {sorted(values.items())}>")

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        if tag not in self.VOID:
            self.tokens.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self._text += data

    def handle_comment(self, data: str) -> None:
        self._flush()
        self.tokens.append(f"<!--{data}-->")


def _normal_style(value: str) -> str:
    return value.replace(" ", "").rstrip(";")


def tokens(fragment: str) -> _Tokens:
    parser = _Tokens()
    parser.feed(fragment)
    parser.close()
    parser._flush()
    return parser


# --- what the site's Markdown legitimately produces survives ---------------------------------

LEGITIMATE = """\
# Titel van het dossier

Een alinea met *nadruk*, **sterk**, `code`, <abbr title="Testpijn">TP</abbr>, <mark>gemarkeerd</mark>,
<del>weg</del>, <ins>erbij</ins>, H<sub>2</sub>O, x<sup>2</sup>, <kbd>Ctrl</kbd> en een
voetnoot[^1]. Een [link](https://example.org/pagina "titel"), een [relatieve link](../andere/),
een [anker](#tabel), [mail](mailto:info@example.org) en een ![afbeelding](plaatje.png "Titel").

<span class="dossier-badge dossier-badge--meets" title="Voldoet">Voldoet</span>
<span class="dossier-alert" role="img" title="Let op" aria-label="Let op">⚠</span>
<span id="ref-jansen2020"></span>**[1]** Jansen A. Een studie.

## Tabel {#tabel}

| links | midden | rechts |
|:------|:------:|-------:|
| a     | b      | c      |

!!! danger "Deze conclusie staat niet meer"

    De studie is ingetrokken.

!!! note
    Gewone notitie.

Term
:   De definitie van de term.

Code:

    ingesprongen code

> Een citaat.

1. een
2. twee

- los
- punt

<details class="note" open><summary>Meer</summary><p>Inhoud.</p></details>

<div class="grid" markdown>
Markdown *binnen* HTML.
</div>

Een alinea met klasse.
{: .lead #intro }

---

[^1]: De voetnoot.
"""


def test_legitimate_site_markup_is_kept() -> None:
    html = site_markdown(LEGITIMATE)
    # the sample really exercises the extensions
    for needle in (
        'class="headerlink"',
        'class="admonition danger"',
        'class="footnote-ref"',
        'href="#fn:1"',
        'class="footnote"',
        'class="footnote-backref"',
        "<dl>",
        'style="text-align: right;"',
        "<pre><code>ingesprongen code",
        'id="intro"',
        "<details",
    ):
        assert needle in html, needle
    assert tokens(sanitize_html(html)).tokens == tokens(html).tokens


def test_table_alignment_keeps_only_text_align() -> None:
    html = '<table><tr><td style="text-align: center; position: fixed; top: 0">x</td></tr></table>'
    assert 'style="text-align:center"' in sanitize_html(html)


def test_only_allowed_tags_survive() -> None:
    html = site_markdown(LEGITIMATE) + "<form><input name=a><button>b</button></form><marquee>m"
    assert {tag for tag, _ in tokens(sanitize_html(html)).tags} <= ALLOWED_TAGS


# --- every kind of payload is removed --------------------------------------------------------

PAYLOADS = {
    "script": f"<script>{PWNED}</script>",
    "script-upper": f"<SCRIPT>{PWNED}</SCRIPT>",
    "script-src": '<script src="https://evil.example/x.js"></script>',
    "img-onerror": f'<img src=x onerror="{PWNED}">',
    "svg-onload": f'<svg onload="{PWNED}"><circle r="1"/></svg>',
    "svg-script": f"<svg><script>{PWNED}</script></svg>",
    "math": f'<math><mtext><a href="javascript:{PWNED}">x</a></mtext></math>',
    "body-onload": f'<body onload="{PWNED}">',
    "details-ontoggle": f'<details open ontoggle="{PWNED}"><summary>x</summary></details>',
    "markdown-js-link": f"[klik](javascript:{PWNED})",
    "html-js-link": f'<a href="javascript:{PWNED}">klik</a>',
    "js-link-mixed-case": f'<a href="JaVaScRiPt:{PWNED}">klik</a>',
    "js-link-entities": '<a href="&#106;avascript:window.__pwned=1">klik</a>',
    "js-link-tab": '<a href="jav&#x09;ascript:window.__pwned=1">klik</a>',
    "js-link-spaces": f'<a href=" javascript:{PWNED}">klik</a>',
    "vbscript-link": '<a href="vbscript:msgbox(1)">klik</a>',
    "data-link": '<a href="data:text/html,<script>window.__pwned=1</script>">klik</a>',
    "data-img": '<img src="data:image/svg+xml,<svg onload=window.__pwned=1>">',
    "markdown-js-image": f"![x](javascript:{PWNED})",
    "attr-list-onclick": f'Alinea\n{{: onclick="{PWNED}" }}',
    "attr-list-style": 'Alinea\n{: style="position:fixed;top:0;left:0;width:100%;height:100%" }',
    "attr-list-href": f"[link](https://example.org){{: href='javascript:{PWNED}' }}",
    "iframe": f'<iframe src="javascript:{PWNED}"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>window.__pwned=1</script>"></iframe>',
    "object": f'<object data="javascript:{PWNED}"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "form": f'<form action="javascript:{PWNED}"><button>ok</button></form>',
    "button-formaction": f'<button formaction="javascript:{PWNED}">ok</button>',
    "input-autofocus": f'<input autofocus onfocus="{PWNED}">',
    "style-element": "<style>body{background:url(javascript:alert(1))}</style>",
    "link-element": '<link rel="stylesheet" href="https://evil.example/x.css">',
    "meta-refresh": f'<meta http-equiv="refresh" content="0;url=javascript:{PWNED}">',
    "base": '<base href="https://evil.example/">',
    "template": f"<template><img src=x onerror={PWNED}></template>",
    "noscript": f'<noscript><p title="</noscript><img src=x onerror={PWNED}>"></noscript>',
    "comment": f"<!--><img src=x onerror={PWNED}>-->",
    "md-in-html": f'<div markdown onmouseover="{PWNED}">*x*</div>',
    "theme-id": '<div id="__config">{"search": "https://evil.example/worker.js"}</div>',
}


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_payloads_are_removed(payload: str) -> None:
    clean = sanitize_html(site_markdown(f"Tekst voor.\n\n{payload}\n\nTekst na.\n"))
    parsed = tokens(clean)
    assert {tag for tag, _ in parsed.tags} <= ALLOWED_TAGS
    for tag, attributes in parsed.tags:
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name)
            assert name != "style" or value.startswith("text-align"), (tag, value)
            assert name != "id" or not value.startswith("__"), (tag, value)
            if name in {"href", "src", "cite", "action", "formaction", "data"}:
                scheme = re.match(r"^([a-zA-Z][a-zA-Z0-9+.-]*):", value)
                assert scheme is None or scheme[1].lower() in URL_SCHEMES, (tag, value)
    assert "<script" not in clean.lower()
    assert "Tekst voor." in clean and "Tekst na." in clean


def test_script_content_is_removed_not_shown() -> None:
    assert sanitize_html(f"<p>a<script>{PWNED}</script>b</p>") == "<p>ab</p>"


def test_escaped_text_stays_escaped() -> None:
    assert sanitize_html("<p>&lt;script&gt;x&lt;/script&gt;</p>") == (
        "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    )


def test_escape_text() -> None:
    assert escape_text("<b title=\"x\">A & 'B'</b>") == (
        "&lt;b title=&quot;x&quot;&gt;A &amp; &#x27;B&#x27;&lt;/b&gt;"
    )


# --- Content-Security-Policy -----------------------------------------------------------------


def theme_scripts(base_url: str) -> dict[str, str]:
    """Material's inline scripts as its templates render them for a page at ``base_url``.

    By file name (``base``, ``palette``, ``content``...); only the scripts rendered with no
    features turned on.
    """
    import material

    folder = Path(material.__file__).parent / "templates" / "partials" / "javascripts"
    env = jinja2.Environment()
    bodies = {}
    for path in sorted(folder.glob("*.html")):
        rendered = env.from_string(path.read_text(encoding="utf-8")).render(
            base_url=base_url, config={"extra": {}}, features=[]
        )
        (bodies[path.stem],) = re.findall(r"<script>(.*?)</script>", rendered, re.S)
    return bodies


def page(head: str = "", body: str = "", base_url: str = "..") -> str:
    """A page shaped like Material's, with its base script in the head, palette in the body."""
    scripts = theme_scripts(base_url)
    return (
        '<!doctype html>\n<html lang="nl">\n  <head>\n    <meta charset="utf-8">\n'
        f"    <title>T</title>\n    <script>{scripts['base']}</script>{head}\n  </head>\n"
        f"  <body>\n    <script>{scripts['palette']}</script>{body}\n"
        '    <script id="__config" type="application/json">{"base": ".."}</script>\n'
        '    <script src="../assets/javascripts/bundle.min.js"></script>\n  </body>\n</html>\n'
    )


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def csp_of(html: str) -> str:
    match = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert match is not None
    return match[1]


def directives(policy: str) -> dict[str, list[str]]:
    parts = (d.split() for d in policy.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.parametrize("base_url", [".", "..", "../..", "/"])
def test_every_theme_script_is_recognised(base_url: str) -> None:
    scripts = theme_scripts(base_url)
    assert {"base", "palette", "content"} <= scripts.keys()
    assert len(theme_script_patterns()) >= len(scripts)
    for name, body in scripts.items():
        assert any(p.fullmatch(body) for p in theme_script_patterns()), name


def test_add_csp_puts_the_meta_first_in_head_with_theme_script_hashes() -> None:
    original = page()
    result = add_csp(original)
    head = result.split("<head>", 1)[1]
    assert head.startswith('<meta http-equiv="Content-Security-Policy" content="')
    assert result.replace(re.search(r"<meta http-equiv[^>]*>", result)[0], "") == original  # type: ignore[index]
    policy = directives(csp_of(result))
    scripts = theme_scripts("..")
    assert policy["script-src"] == ["'self'", sha256(scripts["base"]), sha256(scripts["palette"])]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["font-src"] == ["'self'"]
    assert policy["worker-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["script-src"]


def test_scripts_that_are_not_the_theme_s_get_no_hash() -> None:
    result = add_csp(page(head=f"<script>{PWNED}</script>", body=f"<script>{PWNED}</script>"))
    assert sha256(PWNED) not in csp_of(result)
    # a copy of a theme script with something appended is not the theme's either
    scripts = theme_scripts("..")
    tampered = scripts["base"].replace('URL("..",location)', f'URL("..",location),{PWNED}')
    assert tampered != scripts["base"]
    assert sha256(tampered) not in csp_of(add_csp(page(body=f"<script>{tampered}</script>")))
    # nor a theme script whose URL breaks out of its string
    breakout = scripts["base"].replace('"..",location', '"",alert(1),"",location')
    assert breakout != scripts["base"]
    assert sha256(breakout) not in csp_of(add_csp(page(body=f"<script>{breakout}</script>")))


def test_json_and_external_scripts_need_no_hash() -> None:
    found = inline_scripts(page())
    scripts = theme_scripts("..")
    assert [s.body for s in found] == [scripts["base"], scripts["palette"]]
    assert InlineScript("x").hash_source == sha256("x")


def test_add_csp_is_idempotent_and_leaves_pages_without_head_alone() -> None:
    once = add_csp(page())
    assert add_csp(once) == once
    assert add_csp("<p>no head</p>") == "<p>no head</p>"


def test_content_security_policy_is_what_add_csp_writes() -> None:
    assert csp_of(add_csp(page())) == content_security_policy(page())


def test_active_markup_outside_content() -> None:
    assert active_markup(page()) == []
    found = active_markup(
        page(
            body=f'<span>Titel <script>{PWNED}</script></span><img src=x onerror="{PWNED}">'
            f'<a href=" JavaScript:{PWNED}">x</a><iframe src="x"></iframe>'
        )
    )
    assert found == [
        f"an inline script that is not the theme's: {PWNED!r}",
        f"an onerror attribute on <img>: {PWNED!r}",
        f"a script URL in <a href>: ' JavaScript:{PWNED}'",
        "a <iframe> element",
    ]


@pytest.mark.parametrize(
    "markup",
    [
        '<a href="java\tscript:x">',
        '<a href="java\nscript:x">',
        '<a href=" \x01javascript:x">',
        '<a href="jav&#x09;ascript:x">',
        '<a href="javascript&colon;x">',
        "<a HREF=JavaScript:x>",
        "<a href=vbscript:x>",
        '<svg><a xlink:href="javascript:x">',
        "<img/onerror=x>",
        '<img src="x"onerror=x>',
        "<p\tONCLICK = x>",
        "<iframe src=x>",
        "<BASE href=x>",
        "<object data=x>",
    ],
)
def test_active_markup_sees_through_spelling(markup: str) -> None:
    """The quick pre-check lets every spelling through to the full parse."""
    assert len(active_markup(page(body=markup))) == 1


def test_active_markup_ignores_look_alikes() -> None:
    text = "<p>De optie on=uit, aria-controls=x, zie javascripts/ en het script: tekst.</p>"
    assert active_markup(page(body=text)) == []


# --- pandoc raw blocks -----------------------------------------------------------------------

RAW_CASES: list[tuple[str, list[tuple[int, int, str]]]] = [
    ("Gewone tekst met `code`.", []),
    ('Een `#read("/etc/passwd")`{=typst} span.', [(1, 5, "typst")]),
    ("`<w:p/>`{=openxml}", [(1, 1, "openxml")]),
    ("a `x`{=latex} b `y`{=tex} c `z`{=html}", [(1, 3, "latex"), (1, 17, "tex"), (1, 29, "html")]),
    ("spaties `x`{ =ms }", [(1, 9, "ms")]),
    ("niet na het =-teken `x`{= ms}", []),
    ("`x`{=open-xml_2} `y`{=ÿ}", [(1, 1, "open-xml_2"), (1, 18, "ÿ")]),
    ("dubbel ``a ` b``{=typst}", [(1, 8, "typst")]),
    ("een spatie ervoor `x` {=typst} is geen raw span", []),
    ("een klasse `x`{.python} is geen raw span", []),
    ("`x`{=typst .a} ook niet", []),
    ("over twee\nregels `een\nspan`{=typst}", [(2, 8, "typst")]),
    ("geen sluiting `x{=typst}", []),
    ("```{=openxml}\n<w:p/>\n```", [(1, 1, "openxml")]),
    ('~~~ {=typst}\n#read("x")\n~~~', [(1, 1, "typst")]),
    ("``` { =typst }\nx\n```", [(1, 1, "typst")]),
    ("````{=latex}\n```\n`x`{=html}\n````", [(1, 1, "latex")]),
    ("   ```{=typst}\n   x\n   ```", [(1, 4, "typst")]),
    ("> ```{=typst}\n> x\n> ```", [(1, 3, "typst")]),
    ("- lijst\n\n    ```{=typst}\n    x\n    ```", [(3, 5, "typst")]),
    ("1. ```{=html}\n   <b>\n   ```", [(1, 4, "html")]),
    ("```markdown\n`x`{=typst} is hier code\n```", []),
    ("```\n```{=typst}\n```", []),  # a fence with an info string closes nothing
    ("    ```\n`x`{=typst}\n```", [(2, 3, "typst")]),  # indented code, then a span (its end)
    ("tekst\n```{=html}\n<b>\n```\nna `y`{=typst}", [(2, 1, "html"), (5, 4, "typst")]),
]
CONSERVATIVE: list[tuple[str, list[tuple[int, int, str]]]] = [
    # pandoc reads an unclosed raw fence as a paragraph; we report it all the same
    ("```{=typst}\nnooit gesloten", [(1, 1, "typst")]),
    # a lone backtick right before a raw attribute opens no span for pandoc
    ("`` `{=typst}", [(1, 4, "typst")]),
    ("ontsnapt \\`x`{=typst} opent niets", [(1, 13, "typst")]),
    # pandoc pairs the unclosed fence's last backtick with the first one of `x`
    ("```\nnooit gesloten `x`{=typst}", [(2, 16, "typst")]),
]


@pytest.mark.parametrize(("text", "expected"), RAW_CASES + CONSERVATIVE)
def test_raw_format_blocks(text: str, expected: list[tuple[int, int, str]]) -> None:
    assert raw_format_blocks(text) == expected


@pytest.mark.parametrize(("text", "expected"), RAW_CASES)
def test_raw_format_blocks_agree_with_pandoc(
    text: str, expected: list[tuple[int, int, str]]
) -> None:
    """The cases above are what pandoc itself reads as raw (the binary the PDFs are made with)."""
    import pypandoc

    native = pypandoc.convert_text(text, "native", format="markdown")
    formats = re.findall(r'Raw(?:Block|Inline) \(Format "([^"]*)"\)', native)
    # Haskell's show writes a character outside ASCII as a decimal escape: "\\255"
    decoded = [re.sub(r"\\(\d+)", lambda m: chr(int(m[1])), f) for f in formats]
    assert sorted(decoded) == sorted(f for _, _, f in expected)


def test_raw_format_blocks_in_the_example_dossiers() -> None:
    for path in sorted(REPO.glob("dossiers/*/*.md")):
        assert raw_format_blocks(path.read_text(encoding="utf-8")) == [], path

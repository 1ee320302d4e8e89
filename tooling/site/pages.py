"""The site's pages: Markdown generated from the rendered dossiers, for any static-site engine.

A pure function of its inputs: plain Markdown with the extensions that Material for MkDocs
and its successor read (admonition, attr_list, md_in_html, tables, footnotes, def_list, toc),
and a navigation in mkdocs.yml form. Nothing here knows MkDocs (`tooling.engines.mkdocs`
does); page addresses come from `tooling.site.paths`. See docs/site.md.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
from markupsafe import Markup

from tooling import facts
from tooling.diagnostics import Finding
from tooling.documents import RenderedDossier
from tooling.html_safety import escape_text
from tooling.i18n import message
from tooling.processes import on_two_cores
from tooling.retractions import Snapshot
from tooling.site.history import has_history, history_nav, history_pages, superseded_link
from tooling.site.paths import (
    CHECK_PAGE,
    HOME,
    document_page,
    dossier_page,
    download_path,
    indication_page,
    relative,
    versions_page,
)
from tooling.site.views import DossierView, Downloads, FailingDossier, dossier_view
from tooling.templating import format_indication, render_template


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _code(value: object) -> Markup:
    """A Markdown code span, whatever backticks the text holds (shown exactly as written)."""
    text = " ".join(str(value).split())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")


def _label(value: object) -> str:
    """Text safe as a Markdown link label."""
    return str(value).replace("[", "\\[").replace("]", "\\]")


def _findings_block(findings: Sequence[Finding], indent: int = 8) -> Markup:
    """Findings as `dossier check` says them, as an indented Markdown code block.

    Each finding is its place, code and severity on one line, then its message and hint
    wrapped at 88 characters, so the box needs no scrolling. Markdown shows a code block
    exactly as written and escapes ``<``, ``>`` and ``&`` itself, so nothing in a message is
    read as Markdown or HTML; every line is indented (8: inside an admonition), so no line
    of a message can end the block.
    """
    lines: list[str] = []
    for finding in findings:
        if lines:
            lines.append("")
        lines.append(f"{finding.location}: {finding.code} {finding.severity.value}:")
        text = finding.message + (f" ({finding.hint})" if finding.hint else "")
        for paragraph in text.expandtabs(4).splitlines():
            wrapped = textwrap.wrap(paragraph, 88, break_long_words=False, break_on_hyphens=False)
            lines.extend(f"  {line}" for line in wrapped or [""])
    pad = " " * indent
    return Markup("\n".join(f"{pad}{line}" if line.strip() else "" for line in lines))


def site_filters(env: jinja2.Environment, language: str) -> jinja2.Environment:
    """The document environment with the site's filters; templates live in templates/site/."""
    env.filters.update(cell=_cell, label=_label, code=_code, findings_block=_findings_block)
    return env


def generate_pages(
    dossiers: Sequence[RenderedDossier],
    env: jinja2.Environment,
    language: str,
    *,
    snapshot: Snapshot | None = None,
    summary: Mapping[str, object] | None = None,
    downloads: Downloads | None = None,
    failing: Sequence[FailingDossier] = (),
    memo: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Every page of the site: relative path -> Markdown. A pure function of its inputs.

    ``downloads`` tells which PDF/DOCX files exist (default: all, as after a build); links
    to absent ones are left out so no link is broken. ``failing`` (the preview of `mkdocs
    serve` only): dossiers with errors, each shown by its findings at its own address and
    listed on the home page. ``memo`` (the live preview, `pipeline.RenderMemo`): a
    dossier's view and pages from the last call, used again while the dossier is the very
    same object and the same downloads of it exist; the caller empties it when the
    templates change.
    """
    kept: dict[str, Any] = memo if memo is not None else {}
    present = [_present(d, downloads) for d in dossiers]
    views = [
        kept[d.slug][2]
        if d.slug in kept and kept[d.slug][0] is d and kept[d.slug][1] == there
        else dossier_view(d, language, downloads)
        for d, there in zip(dossiers, present, strict=True)
    ]

    def render(page: str, template: str, **context: Any) -> str:
        return render_template(
            env,
            f"site/{template}",
            {
                "page": page,
                "link": lambda target: relative(page, target),
                "facts": facts,
                "dossier_page": dossier_page,
                "home": HOME,
                "check_page": CHECK_PAGE,
                "has_history": has_history,
                "versions_page": versions_page,
                "superseded_link": superseded_link,
                **context,
            },
        )

    pages = {HOME: render(HOME, "home.md.j2", dossiers=views, failing=list(failing))}
    hits = {  # (memo: the view is the kept one when the dossier and its downloads are)
        d.slug: kept[d.slug][3]
        for d, v in zip(dossiers, views, strict=True)
        if d.slug in kept and kept[d.slug][2] is v
    }
    todo = [v for d, v in zip(dossiers, views, strict=True) if d.slug not in hits]
    made: list[dict[str, str]] = []
    if todo:  # the first here, so that its templates are loaded before the work is shared
        made = [_dossier_pages(todo[0], render)]
        made += on_two_cores(lambda view: _dossier_pages(view, render), todo[1:])
    fresh = iter(made)
    for dossier, there, view in zip(dossiers, present, views, strict=True):
        own = hits[dossier.slug] if dossier.slug in hits else next(fresh)
        if memo is not None:
            memo[dossier.slug] = (dossier, there, view, own)
        pages.update(own)
    from tooling.site.decisions import decision_pages  # decision tables and their JSON

    pages.update(decision_pages(dossiers, render, language))
    pages.update(
        history_pages(dossiers, render, language, downloads)
    )  # versions, superseded positions
    for item in failing:
        if item.page is not None:
            pages[item.page] = render(item.page, "failing.md.j2", item=item)
    pages[CHECK_PAGE] = render(  # for readers: the snapshot and what it found, no warnings
        CHECK_PAGE,
        "check.md.j2",
        snapshot=snapshot or Snapshot("", "", "", 0),
        summary=dict(summary or {}),
        dossiers=views,
    )
    return pages


def _present(dossier: RenderedDossier, downloads: Downloads | None) -> tuple[bool, ...]:
    """Which of the dossier's PDF and DOCX files exist (all, without ``downloads``)."""
    if downloads is None:
        return ()
    return tuple(
        downloads(download_path(dossier.slug, doc.id, extension))
        for doc in dossier.documents
        for extension in ("pdf", "docx")
    )


def _dossier_pages(view: DossierView, render: Any) -> dict[str, str]:
    pages = {view.page: render(view.page, "dossier.md.j2", view=view, dossier=view.model)}
    for item in view.indications:
        pages[item.page] = render(
            item.page, "indication.md.j2", view=view, dossier=view.model, item=item
        )
    for doc in view.documents:
        pages[doc.page] = render(
            doc.page, "document.md.j2", view=view, dossier=view.model, item=doc
        )
    return pages


def generate_nav(
    dossiers: Sequence[RenderedDossier], language: str, failing: Sequence[FailingDossier] = ()
) -> list[Any]:
    """The navigation in mkdocs.yml form: home, one section per dossier, the check page.

    A dossier's section starts with its index page (Material's ``navigation.indexes``), then
    its indications in dossier order, then its documents. Titles are text: the theme puts
    them into the HTML as they are, so they are escaped here. Dossiers with errors
    (``failing``, `mkdocs serve` only) follow with their one page.
    """
    from tooling.site.decisions import decision_nav  # a dossier's decision tables page

    nav: list[Any] = [{message("site.nav.home", language): HOME}]
    for rendered in dossiers:
        model, slug = rendered.model, rendered.slug
        section: list[Any] = [dossier_page(slug)]
        section.extend(
            {escape_text(format_indication(ind, "short", language)): indication_page(slug, ind.id)}
            for _, ind in facts.walk_indications(model)
        )
        section.extend(decision_nav(rendered, language))
        section.extend(history_nav(rendered, language))
        if rendered.documents:
            section.append(
                {
                    message("site.nav.documents", language): [
                        {escape_text(d.title): document_page(slug, d.id)}
                        for d in rendered.documents
                    ]
                }
            )
        nav.append({escape_text(model.title): section})
    nav.extend({escape_text(f.title): f.page} for f in failing if f.page is not None)
    nav.append({message("site.nav.check", language): CHECK_PAGE})
    return nav

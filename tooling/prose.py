"""Dossier prose rendered once: every Markdown text of a dossier through the sandbox.

Prose (letter bodies, the position's text, summaries, FAQ answers, leaflet sections,
rationales, notes) may quote the dossier as a Jinja template (`{{ rules['garantie'] }}`,
`{{ since('fbss', 'insured') | date }}`). It is rendered here, once per dossier, during the
check: a mistake in it is a finding at its line, so what `dossier check` passes the build
can render. The rendered text keeps its citations as ``[@key]``; they are numbered when the
documents are (`tooling.documents`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tooling.dates import PartialDate
from tooling.diagnostics import Finding, Location, Severity
from tooling.load import LoadedDossier, body_files, inline_prose
from tooling.model import Dossier, Letter
from tooling.sandbox import Where, where_in_file
from tooling.templating import TemplateError, prose_context, render_prose
from tooling.yamlsource import SourceMap

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class RenderedProse:
    """Every prose text of one dossier, rendered, by the path of its key in dossier.yaml.

    A body file is found by the key that names it: ``("letters", 0, "body_file")``.
    """

    texts: Mapping[YamlPath, str]

    def __call__(self, path: YamlPath) -> str:
        """The rendered text at ``path`` ('' for an empty or absent text)."""
        return self.texts.get(tuple(path), "")


def render_dossier_prose(
    loaded: LoadedDossier, language: str
) -> tuple[RenderedProse, list[Finding]]:
    """Render every prose text of a schema-valid dossier; mistakes become findings."""
    model = loaded.model
    assert model is not None, "prose is rendered for schema-valid dossiers only"
    texts: dict[YamlPath, str] = {}
    findings: list[Finding] = []
    for path, text, where, context in _sources(loaded, model):
        if not text:
            continue
        if "{" not in text:  # most prose quotes nothing: no context to build, nothing to render
            texts[path] = text
            continue
        try:
            values = context()
        except KeyError:  # a letter names an unknown indication: a finding of its own rule
            continue
        try:
            texts[path] = render_prose(text, values, where, language)
        except TemplateError as exc:
            findings.append(
                Finding(
                    "prose-template",
                    Severity.ERROR,
                    exc.message,
                    exc.location or Location(loaded.yaml_path),
                    hint=exc.hint,
                )
            )
    return RenderedProse(texts), findings


def _sources(
    loaded: LoadedDossier, model: Dossier
) -> Iterator[tuple[YamlPath, str, Location | Where, Callable[[], dict[str, Any]]]]:
    """Each prose text with its place and (lazily) the context it is rendered with."""
    contexts: dict[PartialDate | None, dict[str, Any]] = {}

    def context_on(when: PartialDate | None) -> Callable[[], dict[str, Any]]:
        """The context of texts of a document of this date (rules quote the value then)."""

        def context() -> dict[str, Any]:
            if when not in contexts:
                contexts[when] = prose_context(model, on=when)
            return contexts[when]

        return context

    dossier_context = context_on(None)
    source = loaded.source
    for path, text in inline_prose(model):
        context = context_on(_document_date(model, path))
        if text and "{" in text and source is not None:  # only template text needs its place
            yield path, text, _in_value(source, path), context
        elif text:
            yield path, text, Location(loaded.yaml_path), context
    for name, path in body_files(model):
        body = loaded.prose.get(name)
        if body is None:
            continue  # missing or unreadable: already a finding of the loader
        letter: Letter | None = model.letters[int(path[1])] if path[0] == "letters" else None

        def context(letter: Letter | None = letter) -> dict[str, Any]:
            return prose_context(model, letter) if letter else dossier_context()

        yield path, body.text, where_in_file(body.display), context


def _document_date(model: Dossier, path: YamlPath) -> PartialDate | None:
    """The date of the document a text of dossier.yaml belongs to, when it has one."""
    if path[0] == "faq" and model.faq is not None:
        return model.faq.date
    if path[0] == "leaflets":
        return model.leaflets[int(path[1])].date
    if path[0] == "position" and model.position is not None:
        return model.position.date
    return None


def _in_value(source: SourceMap, path: YamlPath) -> Where:
    """Positions in a text of dossier.yaml: a line and column of the text, in the file."""
    return lambda line, column: source.locate_in_value(path, line, column)

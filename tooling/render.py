"""Render every document of a dossier as Markdown plus metadata: a pure function of the model.

Nothing here writes files: `publish` does that. Each document kind has one template in
`templates/`; facts come from `tooling.facts`, words from `tooling.i18n`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jinja2
import yaml

from tooling import facts
from tooling.citations import number_citations, reference_list
from tooling.dates import PartialDate
from tooling.diagnostics import Location
from tooling.i18n import message
from tooling.load import LoadedDossier
from tooling.model import Dossier, Letter
from tooling.templating import format_partial_date, prose_context, render_prose, render_template


@dataclass(frozen=True)
class Document:
    """One rendered document of one dossier."""

    dossier: str
    id: str
    kind: str  # position | addendum | letter | faq | leaflet
    title: str
    date: PartialDate | None
    status: str
    page: str  # complete Markdown: the site page and the DOCX
    pdf_body: str  # Markdown for the PDF template (letters leave the letterhead to it)
    metadata: dict[str, Any] = field(default_factory=dict)
    pdf_template: str = "document"  # templates/pdf/<name>.typst
    warnings: tuple[str, ...] = ()  # conclusions that no longer stand, shown on top

    @property
    def filename(self) -> str:
        return self.id

    def pandoc_source(self, *, for_pdf: bool) -> str:
        """Markdown with a YAML metadata block, as pandoc takes it."""
        meta = yaml.safe_dump(self.metadata, allow_unicode=True, sort_keys=True)
        return f"---\n{meta}---\n\n{self.pdf_body if for_pdf else self.page}"


def _join(items: list[str], language: str = "nl") -> str:
    """'A', 'A en B', 'A, B en C' (Dutch lists)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " en " + items[-1]


class Renderer:
    """Renders the documents of loaded dossiers with one Jinja environment."""

    def __init__(self, env: jinja2.Environment, language: str = "nl") -> None:
        self.env = env
        self.language = language
        env.filters.setdefault("join_nl", _join)

    def render(self, loaded: LoadedDossier) -> list[Document]:
        """Every document of one (valid) dossier."""
        model = loaded.model
        assert model is not None, "render only dossiers that passed the check"
        docs: list[Document] = []
        if model.position:
            docs.append(self._position(loaded, model))
            docs.extend(
                self._addendum(loaded, model, i) for i in range(len(model.position.addenda))
            )
        docs.extend(self._letter(loaded, model, i) for i in range(len(model.letters)))
        if model.faq:
            docs.append(self._faq(loaded, model))
        docs.extend(self._leaflet(loaded, model, i) for i in range(len(model.leaflets)))
        return docs

    # -- shared pieces -------------------------------------------------------------------

    def _prose(
        self,
        loaded: LoadedDossier,
        text: str,
        path: tuple[str | int, ...],
        letter: Letter | None = None,
    ) -> str:
        assert loaded.model is not None
        return render_prose(
            text, prose_context(loaded.model, letter), loaded.locate(path), self.language
        )

    def _base_context(self, loaded: LoadedDossier) -> dict[str, Any]:
        model = loaded.model
        assert model is not None
        return {
            "dossier": model,
            "facts": facts,
            "flags": loaded.flags,
            "references": loaded.references,
            "variant_names": lambda ind, c=None: facts.variant_names(model, ind, c),
            "prose": lambda text, path: self._prose(loaded, text, path),
        }

    def _withdrawn_warnings(self, model: Dossier) -> tuple[str, ...]:
        notes = []
        for _, indication in facts.walk_indications(model):
            for c in indication.conclusions:
                if not facts.conclusion_stands(c) and c.revision is not None:
                    notes.append(
                        f"{indication.name}: "
                        + message(
                            "doc.conclusion_withdrawn",
                            self.language,
                            kind=message(f"revision.{c.revision.kind}", self.language).lower(),
                            date=format_partial_date(c.revision.date, language=self.language),
                            reason=c.revision.reason,
                        )
                    )
        return tuple(notes)

    def _cite(self, loaded: LoadedDossier, markdown: str, extra_keys: tuple[str, ...] = ()) -> str:
        """Number citations and append the reference list when there is anything to list."""
        cited = number_citations(markdown, loaded.flags, extra_keys, self.language)
        if not cited.order:
            return cited.markdown
        listing = reference_list(cited.order, loaded.references, loaded.flags, self.language)
        return f"{cited.markdown.rstrip()}\n\n## {message('doc.references', self.language)}\n\n{listing}\n"

    def _meta(
        self, model: Dossier, title: str, date: PartialDate | None, **extra: Any
    ) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "lang": model.language,
            "title": title,
            "date": str(date.earliest()) if date else "",
            "date_text": format_partial_date(date, language=self.language),
            "sender": {
                "name": model.issuer.name,
                "address": list(model.issuer.address),
                "website": model.issuer.website or "",
            },
            "labels": {k.split(".", 1)[1]: v for k, v in _letter_labels(self.language).items()},
        }
        meta.update(extra)
        return meta

    def _document(
        self,
        loaded: LoadedDossier,
        *,
        id: str,
        kind: str,
        title: str,
        date: PartialDate | None,
        status: str,
        template: str,
        context: dict[str, Any],
        warnings: tuple[str, ...] = (),
    ) -> Document:
        assert loaded.model is not None
        body = render_template(self.env, template, {**self._base_context(loaded), **context})
        evidence_keys = tuple(context.get("evidence_keys", ()))
        body = self._cite(loaded, body, evidence_keys)
        meta = self._meta(loaded.model, title, date, status_banner=" ".join(warnings))
        return Document(
            loaded.slug, id, kind, title, date, status, body, body, meta, "document", warnings
        )

    # -- the kinds of documents ------------------------------------------------------------

    def _position(self, loaded: LoadedDossier, model: Dossier) -> Document:
        assert model.position is not None
        units = facts.assessed(model)
        evidence = tuple(dict.fromkeys(k for u in units for c in u.conclusions for k in c.evidence))
        return self._document(
            loaded,
            id="standpunt",
            kind="position",
            title=model.position.title,
            date=model.position.date,
            status=model.position.status,
            template="position.md.j2",
            context={"position": model.position, "units": units, "evidence_keys": evidence},
            warnings=self._withdrawn_warnings(model),
        )

    def _addendum(self, loaded: LoadedDossier, model: Dossier, index: int) -> Document:
        assert model.position is not None
        addendum = model.position.addenda[index]
        return self._document(
            loaded,
            id=addendum.id,
            kind="addendum",
            title=f"{message('kind.addendum', self.language)} {format_partial_date(addendum.date, language=self.language)}: {model.position.title}",
            date=addendum.date,
            status=model.position.status,
            template="addendum.md.j2",
            context={"position": model.position, "addendum": addendum},
        )

    def _faq(self, loaded: LoadedDossier, model: Dossier) -> Document:
        assert model.faq is not None
        return self._document(
            loaded,
            id=model.faq.id,
            kind="faq",
            title=model.faq.title,
            date=model.faq.date,
            status=model.faq.status,
            template="faq.md.j2",
            context={"faq": model.faq},
        )

    def _leaflet(self, loaded: LoadedDossier, model: Dossier, index: int) -> Document:
        leaflet = model.leaflets[index]
        return self._document(
            loaded,
            id=leaflet.id,
            kind="leaflet",
            title=leaflet.title,
            date=leaflet.date,
            status=leaflet.status,
            template="leaflet.md.j2",
            context={"leaflet": leaflet, "leaflet_path": ("leaflets", index)},
        )

    def _letter(self, loaded: LoadedDossier, model: Dossier, index: int) -> Document:
        letter = model.letters[index]
        display = next((p for p in loaded.prose if p.endswith(letter.body_file)), letter.body_file)
        text = loaded.prose.get(display, "")
        body = render_prose(text, prose_context(model, letter), Location(display, 1), self.language)
        body = self._cite(loaded, body)
        sender = letter.sender or model.issuer
        meta = self._meta(
            model,
            letter.subject,
            letter.date,
            sender={
                "name": sender.name,
                "address": list(sender.address),
                "website": sender.website or "",
            },
            recipient={
                "organisation": letter.recipient.organisation,
                "attention": letter.recipient.attention or "",
                "address": list(letter.recipient.address),
            },
            cc=list(letter.cc),
            subject=letter.subject,
            their_letter=format_partial_date(letter.in_reply_to.date, language=self.language)
            if letter.in_reply_to
            else "",
            reference=letter.reference or "",
            signatory={"name": letter.signatory.name, "role": letter.signatory.role or ""},
            closing=letter.closing,
        )
        page = render_template(
            self.env,
            "letter.md.j2",
            {
                **self._base_context(loaded),
                "letter": letter,
                "sender": sender,
                "meta": meta,
                "body": body,
            },
        )
        kind_title = message(f"audience.{letter.audience}", self.language)
        return Document(
            loaded.slug,
            letter.id,
            "letter",
            f"{kind_title}: {letter.subject}",
            letter.date,
            letter.status,
            page,
            body,
            meta,
            "letter",
            (),
        )


def _letter_labels(language: str) -> dict[str, str]:
    keys = ("date", "subject", "attention", "cc", "their_letter", "reference", "page", "of")
    return {f"letter.{k}": message(f"letter.{k}", language) for k in keys}

"""Every document of a dossier as Markdown plus metadata: a pure function of the checked dossier.

Nothing here writes files (`tooling.publish` does). Each kind of document has one template in
`templates/`; facts come from `tooling.facts`, prose from `tooling.prose` (rendered once, in
the check), words from `tooling.i18n`. Citations are numbered once per dossier, in order of
first appearance across its documents (the position first), and every document and site page
of the dossier uses those numbers (`DossierDocuments.numbers`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jinja2
import yaml
from markupsafe import Markup

from tooling import facts
from tooling.citations import (
    cited_keys,
    first_appearance,
    format_reference,
    number_citations,
    reference_list,
)
from tooling.dates import PartialDate
from tooling.i18n import message
from tooling.load import LoadedDossier
from tooling.model import Dossier, Organisation
from tooling.prose import RenderedProse
from tooling.templating import format_partial_date, render_template


@dataclass(frozen=True)
class Document:
    """One rendered document of one dossier."""

    dossier: str
    id: str
    kind: str  # position | addendum | letter | faq | leaflet
    title: str
    date: PartialDate | None
    status: str
    markdown: str  # the complete document: its site page and its DOCX
    pdf_body: str  # Markdown for the PDF template (letters leave the letterhead to it)
    metadata: Mapping[str, Any] = field(default_factory=dict)
    pdf_template: str = "document"  # templates/pdf/<name>.typst
    notices: tuple[facts.RevisedConclusion, ...] = ()  # revisions this document concerns

    @property
    def notice_in_text(self) -> bool:
        """Whether the document's own text carries its notices (see facts.NOTICE_IN_TEXT)."""
        return self.kind in facts.NOTICE_IN_TEXT

    def pandoc_source(self, *, for_pdf: bool) -> str:
        """Markdown with a YAML metadata block, as pandoc takes it."""
        meta = yaml.safe_dump(dict(self.metadata), allow_unicode=True, sort_keys=True)
        return f"---\n{meta}---\n\n{self.pdf_body if for_pdf else self.markdown}"


@dataclass(frozen=True)
class RenderedDossier:
    """One checked dossier with its prose, its documents and the citation numbers they share
    with its site pages."""

    loaded: LoadedDossier
    prose: RenderedProse
    documents: tuple[Document, ...]
    numbers: Mapping[str, int]

    @property
    def slug(self) -> str:
        return self.loaded.slug

    @property
    def model(self) -> Dossier:
        assert self.loaded.model is not None
        return self.loaded.model


@dataclass(frozen=True)
class _Draft:
    """A document before its citations are numbered: ``[@key]`` still in the text."""

    id: str
    kind: str
    title: str
    date: PartialDate | None
    status: str
    markdown: str
    pdf_body: str
    metadata: dict[str, Any]
    pdf_template: str = "document"


def render_documents(
    loaded: LoadedDossier,
    prose: RenderedProse,
    env: jinja2.Environment,
    language: str = "nl",
    site_keys: Callable[[], list[str]] | None = None,
) -> RenderedDossier:
    """Every document of one checked dossier, with its citations numbered.

    Args:
        loaded: A dossier that passed the check.
        prose: Its prose, rendered by the check.
        env: The document environment (`templating.document_environment`).
        language: The readers' language.
        site_keys: References cited outside the documents (site pages), numbered after them.
    """
    model = loaded.model
    assert model is not None, "render only dossiers that passed the check"
    drafts = _Drafter(loaded, model, prose, env, language).drafts()
    numbers = first_appearance(
        (text for d in drafts for text in (d.markdown, d.pdf_body)),
        then=site_keys() if site_keys else (),
    )
    order = tuple(numbers)
    documents = []
    for draft in drafts:

        def cite(text: str) -> str:
            text = _expand_citation_footnotes(text, numbers, loaded, language)
            return number_citations(text, loaded.flags, order, language).markdown

        # A footnote that only cites (`[^1]: [@key]`) shows the reference itself; the list
        # at the end holds what the text cites elsewhere.
        keys = cited_keys(_FOOTNOTE_CITATION.sub("", draft.markdown))
        listing = reference_list(numbers, keys, loaded.references, loaded.flags, language)
        tail = f"\n\n## {message('doc.references', language)}\n\n{listing}\n" if listing else ""
        markdown, body = cite(draft.markdown), cite(draft.pdf_body)
        metadata = dict(draft.metadata)
        if draft.pdf_template == "letter" and listing:
            # The letterhead template lays out the body, then the signature: the list follows
            # the signature, as in the institute's letters.
            metadata["reference_list"] = f"**{message('doc.references', language)}**\n\n{listing}"
            pdf_body = body
        else:
            pdf_body = f"{body.rstrip()}{tail}" if tail else body
        documents.append(
            Document(
                dossier=loaded.slug,
                id=draft.id,
                kind=draft.kind,
                title=draft.title,
                date=draft.date,
                status=draft.status,
                markdown=f"{markdown.rstrip()}{tail}" if tail else markdown,
                pdf_body=pdf_body,
                metadata=metadata,
                pdf_template=draft.pdf_template,
                notices=tuple(
                    facts.notices(model, facts.named_indications(model, draft.kind, draft.id))
                ),
            )
        )
    return RenderedDossier(loaded, prose, tuple(documents), numbers)


_FOOTNOTE_CITATION = re.compile(r"^(\[\^[^\]]+\]:[ \t]*)(\[[^\[\]]*@[^\[\]]*\])[ \t]*$", re.M)


def _expand_citation_footnotes(
    text: str, numbers: Mapping[str, int], loaded: LoadedDossier, language: str
) -> str:
    """`[^1]: [@key]` -> the footnote gives the reference in full, with its number."""

    def full(match: re.Match[str]) -> str:
        entries = [
            f"[{numbers[key]}] {format_reference(loaded.references[key], loaded.flags.get(key), language)}"
            for key in cited_keys(match.group(2))
            if key in loaded.references and key in numbers
        ]
        return match.group(1) + ("; ".join(entries) or match.group(2))

    return _FOOTNOTE_CITATION.sub(full, text)


POSITION_ID = "standpunt"
"""The position's document id (its files are standpunt.pdf, standpunt.docx...)."""


def document_ids(model: Dossier) -> list[str]:
    """The ids of a dossier's documents, in the order `render_documents` makes them."""
    ids = []
    if model.position:
        ids.append(POSITION_ID)
        ids.extend(a.id for a in model.position.addenda)
    ids.extend(letter.id for letter in model.letters)
    if model.faq:
        ids.append(model.faq.id)
    ids.extend(leaflet.id for leaflet in model.leaflets)
    return ids


class _Drafter:
    """Renders the documents of one dossier, citations not yet numbered."""

    def __init__(
        self,
        loaded: LoadedDossier,
        model: Dossier,
        prose: RenderedProse,
        env: jinja2.Environment,
        language: str,
    ) -> None:
        self.loaded, self.model, self.prose, self.env = loaded, model, prose, env
        self.language = language

    def drafts(self) -> list[_Draft]:
        model = self.model
        drafts: list[_Draft] = []
        if model.position:
            drafts.append(self.position())
            drafts.extend(self.addendum(i) for i in range(len(model.position.addenda)))
        drafts.extend(self.letter(i) for i in range(len(model.letters)))
        if model.faq:
            drafts.append(self.faq())
        drafts.extend(self.leaflet(i) for i in range(len(model.leaflets)))
        return drafts

    # -- shared pieces -------------------------------------------------------------------

    def context(self, **extra: Any) -> dict[str, Any]:
        model = self.model
        return {
            "dossier": model,
            "facts": facts,
            "flags": self.loaded.flags,
            "references": self.loaded.references,
            "variant_names": lambda ind, c=None: facts.variant_names(model, ind, c),
            # Prose is Markdown that the writer wrote on purpose: not escaped again.
            "prose": lambda _text, path: Markup(self.prose(tuple(path))),
            **extra,
        }

    def meta(
        self,
        title: str,
        date: PartialDate | None,
        issuer: Organisation,
        status: str,
        **extra: Any,
    ) -> dict[str, Any]:
        """The metadata a PDF and DOCX carry: only what the source says.

        The date is the document's own, in the PDF's and DOCX's properties only when it is
        known to the day (a year is not a day); the issuer is the document's own.
        """
        meta: dict[str, Any] = {
            "lang": self.model.language,
            "title": title,
            "date": str(date.earliest()) if date is not None and date.day is not None else "",
            "date_text": format_partial_date(date, language=self.language),
            "sender": _organisation(issuer),
            "labels": {k: message(f"letter.{k}", self.language) for k in _LETTER_LABELS},
        }
        if status == "concept":
            meta["watermark"] = message("doc.concept_watermark", self.language)
        meta.update(extra)
        return meta

    def document(
        self,
        *,
        id: str,
        kind: str,
        title: str,
        date: PartialDate | None,
        status: str,
        template: str,
        context: dict[str, Any],
        issuer: Organisation | None = None,
    ) -> _Draft:
        issuer = issuer or self.model.issuer
        body = render_template(self.env, template, self.context(issuer=issuer, **context))
        meta = self.meta(title, date, issuer, status)
        return _Draft(id, kind, title, date, status, body, body, meta)

    # -- the kinds of documents ------------------------------------------------------------

    def position(self) -> _Draft:
        position = self.model.position
        assert position is not None
        notices = facts.notices(self.model)  # the position's own text carries them
        return self.document(
            id=POSITION_ID,
            kind="position",
            title=position.title,
            date=position.published,
            status=position.status,
            template="position.md.j2",
            issuer=position.issuer,
            context={
                "position": position,
                "units": facts.assessed(self.model),
                "notices": notices,
                "body": Markup(self.prose(("position", "body_file"))),
                "as_of": self.loaded.as_of,  # rendered as the dossier stood on that day
            },
        )

    def addendum(self, index: int) -> _Draft:
        position = self.model.position
        assert position is not None
        addendum = position.addenda[index]
        date = format_partial_date(addendum.date, language=self.language)
        return self.document(
            id=addendum.id,
            kind="addendum",
            title=f"{message('kind.addendum', self.language)} {date}: {position.title}",
            date=addendum.date,
            status=position.status,
            template="addendum.md.j2",
            issuer=position.issuer,
            context={
                "position": position,
                "addendum": addendum,
                "details": Markup(self.prose(("position", "addenda", index, "details"))),
            },
        )

    def faq(self) -> _Draft:
        faq = self.model.faq
        assert faq is not None
        return self.document(
            id=faq.id,
            kind="faq",
            title=faq.title,
            date=faq.date,
            status=faq.status,
            template="faq.md.j2",
            context={"faq": faq},
            issuer=faq.issuer,
        )

    def leaflet(self, index: int) -> _Draft:
        leaflet = self.model.leaflets[index]
        return self.document(
            id=leaflet.id,
            kind="leaflet",
            title=leaflet.title,
            date=leaflet.date,
            status=leaflet.status,
            template="leaflet.md.j2",
            context={"leaflet": leaflet, "leaflet_path": ("leaflets", index)},
            issuer=leaflet.issuer,
        )

    def letter(self, index: int) -> _Draft:
        letter = self.model.letters[index]
        body = Markup(self.prose(("letters", index, "body_file")))
        sender = letter.sender or self.model.issuer
        kind_title = message(f"audience.{letter.audience}", self.language)
        title = f"{kind_title}: {letter.subject}" if letter.subject else kind_title
        meta = self.meta(
            title,
            letter.date,
            sender,
            letter.status,
            recipient={
                "organisation": letter.recipient.organisation,
                "attention": letter.recipient.attention or "",
                "address": list(letter.recipient.address),
            },
            cc=list(letter.cc),
            subject=letter.subject or "",
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
            self.context(letter=letter, sender=sender, meta=meta, body=body),
        )
        return _Draft(
            letter.id,
            "letter",
            title,
            letter.date,
            letter.status,
            page,
            body,
            meta,
            "letter",
        )


_LETTER_LABELS = ("date", "subject", "attention", "cc", "their_letter", "reference", "page", "of")


def _organisation(organisation: Organisation) -> dict[str, Any]:
    return {
        "name": organisation.name,
        "address": list(organisation.address),
        "website": organisation.website or "",
        "contact": list(organisation.contact),
    }

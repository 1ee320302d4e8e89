"""The site's view of each dossier: everything its pages show, derived once, in Python.

Prose comes rendered from the check (`tooling.prose`), citation numbers from the documents
(`tooling.documents`), facts from `tooling.facts`: a page formats, it does not compute.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from markupsafe import Markup

from tooling import facts
from tooling.bibliography import Reference
from tooling.citations import format_reference, number_citations
from tooling.diagnostics import Finding, Severity
from tooling.documents import Document, RenderedDossier
from tooling.i18n import join_list, message
from tooling.load import LoadedDossier
from tooling.model import Conclusion, CoveragePeriod, Dossier, Indication
from tooling.retractions import Nature, Notice
from tooling.site.chrome import SiteChrome
from tooling.site.paths import (
    RESERVED,
    document_page,
    dossier_page,
    download_path,
    indication_page,
)

Downloads = Callable[[str], bool]
"""Tells whether a download (``documenten/<dossier>/<id>.pdf``) exists in the site."""


# -- view models: everything the templates show, derived once, in Python ----------------------


@dataclass(frozen=True)
class RefView:
    """A reference with its number in the dossier, its text and what the retraction data says."""

    key: str
    number: int
    text: str  # Markdown, from citations.format_reference (without the flag: shown as a badge)
    flag: Notice | None

    @property
    def flag_class(self) -> str:
        return _FLAG_CLASS[self.flag.nature] if self.flag else ""


_FLAG_CLASS = {
    Nature.RETRACTION: "retracted",
    Nature.CONCERN: "concern",
    Nature.CORRECTION: "correction",
    Nature.REINSTATEMENT: "reinstated",
}


@dataclass(frozen=True)
class Revised:
    """A conclusion that no longer stands (or is being reassessed), for the warnings on top."""

    indication: Indication
    conclusion: Conclusion
    page: str  # the indication's page

    @property
    def revision(self) -> Any:
        return self.conclusion.revision

    @property
    def stands(self) -> bool:
        return facts.conclusion_stands(self.conclusion)


@dataclass(frozen=True)
class ConclusionView:
    conclusion: Conclusion
    stands: bool
    variants: list[str]
    rationale: str
    evidence: list[RefView]
    missing: list[str]
    status: facts.EvidenceStatus
    replaced_by: str | None  # page of the indication that has the replacing conclusion
    replaced_by_name: str
    source: Document | None  # the document that records the revision

    @property
    def source_page(self) -> str | None:
        return document_page(self.source.dossier, self.source.id) if self.source else None


@dataclass(frozen=True)
class PeriodView:
    period: CoveragePeriod
    variants: str
    conditions: str
    centres: str
    note: str


@dataclass
class IndicationView:
    indication: Indication
    page: str
    depth: int
    parent: IndicationView | None = None
    children: list[IndicationView] = field(default_factory=list)
    description: str = ""
    variants: list[str] = field(default_factory=list)
    current: Conclusion | None = None
    coverage: facts.CoverageState = field(
        default_factory=lambda: facts.CoverageState(None, None, False)
    )
    conclusions: list[ConclusionView] = field(default_factory=list)
    periods: list[PeriodView] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # optional timeline columns with data
    conditions: list[tuple[int, str]] = field(default_factory=list)
    revised: list[Revised] = field(default_factory=list)

    @property
    def stands(self) -> bool:
        return self.current is None or facts.conclusion_stands(self.current)


@dataclass(frozen=True)
class DocumentView:
    doc: Document
    page: str
    kind: str
    pdf: str | None
    docx: str | None
    revised: list[Revised]


@dataclass
class DossierView:
    """One dossier, ready for the templates."""

    loaded: LoadedDossier
    model: Dossier
    slug: str
    page: str
    date: Any
    summary: str
    intervention: str
    variants: list[tuple[str, str]]
    indications: list[IndicationView]
    fallen: list[Revised]
    documents: list[DocumentView]
    references: list[RefView]
    position: DocumentView | None
    addenda: dict[str, DocumentView]
    transitional_details: str
    count: facts.Count
    verdicts: list[tuple[str, Any, bool, int]]  # verdict, date, stands, how many
    coverage: list[tuple[str | None, Any, bool, int]]  # status, since, pending, how many

    def document(self, ident: str) -> DocumentView | None:
        return next((d for d in self.documents if d.doc.id == ident), None)


def site_chrome(
    name: str,
    logo: Path | None,
    footer: str,
    issuers: list[str],
    language: str,
    full_menu: bool = True,
) -> SiteChrome:
    """The site's name, logo and footer: as configured ([site] in dossier.toml), else derived.

    The name defaults to the issuer of the dossiers when they all share one, else to a
    neutral name (``site.default_name``); the footer defaults to the name.
    """
    if not name:
        distinct = list(dict.fromkeys(i.strip() for i in issuers if i.strip()))
        name = distinct[0] if len(distinct) == 1 else message("site.default_name", language)
    return SiteChrome(name, logo, footer or name, full_menu)


@dataclass(frozen=True)
class FailingDossier:
    """A dossier folder the check found errors in (the preview of `mkdocs serve` shows them)."""

    name: str  # the folder's name, as the findings' paths have it
    title: str  # the dossier's title when its dossier.yaml could be read, else the name
    findings: tuple[Finding, ...]  # all of the folder's findings, errors and warnings
    page: str | None  # its index page; None when the folder name cannot be an address

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)


class _Builder:
    """Derives the views of one dossier: prose rendered, citations numbered, facts applied."""

    def __init__(
        self,
        rendered: RenderedDossier,
        language: str,
        downloads: Downloads,
    ) -> None:
        loaded, documents = rendered.loaded, rendered
        assert loaded.model is not None
        self.loaded = loaded
        self.model = loaded.model
        self.slug = loaded.slug
        self.language = language
        self.rendered = rendered.prose
        self.numbers = documents.numbers
        self.order = tuple(self.numbers)
        self.documents = documents.documents
        self.downloads = downloads
        self.variant_names = facts.variants_of(self.model)
        self.condition_numbers = (
            {c.id: (i + 1, c.text) for i, c in enumerate(self.model.position.conditions)}
            if self.model.position
            else {}
        )

    def prose(self, _text: str, path: tuple[str | int, ...]) -> str:
        """Dossier prose as the site shows it: rendered by the check, citations numbered."""
        rendered = self.rendered(path)
        if not rendered:
            return Markup("")
        cited = number_citations(rendered, self.loaded.flags, self.order, self.language)
        return Markup(cited.markdown)  # Markdown the writer wrote: not escaped again

    def ref(self, key: str) -> RefView | None:
        reference: Reference | None = self.loaded.references.get(key)
        if reference is None or key not in self.numbers:
            return None
        return RefView(
            key,
            self.numbers[key],
            Markup(format_reference(reference, None, self.language)),  # escaped field by field
            self.loaded.flags.get(key),
        )

    def build(self) -> DossierView:
        model = self.model
        views: list[IndicationView] = []
        by_path: dict[tuple[str | int, ...], IndicationView] = {}
        index = facts.indication_index(model)
        for path, indication in facts.walk_indications(model):
            parent = by_path.get(path[:-2]) if len(path) > 2 else None
            view = IndicationView(
                indication,
                indication_page(self.slug, indication.id),
                depth=(len(path) - 2) // 2,
                parent=parent,
            )
            if parent is not None:
                parent.children.append(view)
            by_path[path] = view
            views.append(view)
        conclusion_home = {c.id: ind for ind in index.values() for c in ind.conclusions}
        for path, view in by_path.items():
            self.fill_indication(view, path, conclusion_home)
        fallen = [w for v in views for w in v.revised if not w.stands]
        pages = {v.indication.id: v.page for v in views}
        docs = [self.document_view(doc, pages) for doc in self.documents]
        position = next((d for d in docs if d.doc.kind == "position"), None)
        addenda: dict[str, DocumentView] = {}
        if model.position:  # the renderer writes one addendum document per addendum, in order
            rendered = [d for d in docs if d.doc.kind == "addendum"]
            addenda = {a.id: d for a, d in zip(model.position.addenda, rendered, strict=False)}
        transitional = ""
        if model.position and model.position.transitional_arrangement:
            transitional = self.prose(
                model.position.transitional_arrangement.details,
                ("position", "transitional_arrangement", "details"),
            )
        return DossierView(
            loaded=self.loaded,
            model=model,
            slug=self.slug,
            page=dossier_page(self.slug),
            date=dossier_date(model),
            summary=self.prose(model.summary, ("summary",)),
            intervention=self.prose(
                model.intervention.description, ("intervention", "description")
            ),
            variants=[(v.abbreviation or v.name, v.name) for v in model.intervention.variants],
            indications=views,
            fallen=fallen,
            documents=docs,
            references=[r for r in (self.ref(k) for k in self.order) if r is not None],
            position=position,
            addenda=addenda,
            transitional_details=transitional,
            count=facts.count(model),
            verdicts=_tally(
                (c.verdict, c.date, facts.conclusion_stands(c))
                for c in (facts.current_conclusion(u) for u in facts.assessed(model))
                if c is not None
            ),
            coverage=_tally(
                (s.status, s.since, s.pending)
                for s in (facts.coverage_state(u) for u in facts.assessed(model))
            ),
        )

    def fill_indication(
        self,
        view: IndicationView,
        path: tuple[str | int, ...],
        conclusion_home: Mapping[str, Indication],
    ) -> None:
        ind = view.indication
        view.description = self.prose(ind.description, (*path, "description"))
        view.variants = [self.variant_names.get(v, v) for v in ind.variants]
        view.current = facts.current_conclusion(ind)
        view.coverage = facts.coverage_state(ind)
        for j, c in enumerate(ind.conclusions):
            status = facts.evidence_status(c, self.loaded.references, self.loaded.flags)
            replaced_by = replaced_name = None
            if c.revision and c.revision.replaced_by and c.revision.replaced_by in conclusion_home:
                home = conclusion_home[c.revision.replaced_by]
                replaced_by, replaced_name = indication_page(self.slug, home.id), home.name
            source = next(
                (d for d in self.documents if c.revision and d.id == c.revision.source), None
            )
            view.conclusions.append(
                ConclusionView(
                    conclusion=c,
                    stands=facts.conclusion_stands(c),
                    variants=facts.variant_names(self.model, ind, c) if c.variants else [],
                    rationale=self.prose(c.rationale, (*path, "conclusions", j, "rationale")),
                    evidence=[r for r in (self.ref(k) for k in c.evidence) if r is not None],
                    missing=list(status.missing),
                    status=status,
                    replaced_by=replaced_by,
                    replaced_by_name=replaced_name or "",
                    source=source,
                )
            )
            if c.revision is not None:
                view.revised.append(Revised(ind, c, view.page))
        used: dict[str, None] = {}
        for k, period in enumerate(ind.coverage):
            numbers = [
                self.condition_numbers[c][0]
                for c in period.conditions
                if c in self.condition_numbers
            ]
            used.update(dict.fromkeys(c for c in period.conditions if c in self.condition_numbers))
            centres = ""
            if period.centres is not None:
                centres = ", ".join(period.centres.names) or (
                    message("doc.centres_count", self.language, count=period.centres.count)
                    if period.centres.count
                    else ""
                )
            view.periods.append(
                PeriodView(
                    period=period,
                    variants=join_list(
                        [self.variant_names.get(v, v) for v in period.variants], self.language
                    )
                    or message("site.all_variants", self.language),
                    conditions=", ".join(str(n) for n in numbers),
                    centres=centres,
                    note=Markup(
                        " ".join(self.prose(period.note, (*path, "coverage", k, "note")).split())
                    ),
                )
            )
        view.columns = [
            name
            for name, present in (
                ("variants", any(p.period.variants for p in view.periods)),
                ("conditions", any(p.conditions for p in view.periods)),
                ("study", any(p.period.study for p in view.periods)),
                ("centres", any(p.centres for p in view.periods)),
                ("agreed_until", any(p.period.agreed_until for p in view.periods)),
                ("note", any(p.note for p in view.periods)),
            )
            if present
        ]
        view.conditions = [self.condition_numbers[c] for c in used]

    def document_view(self, doc: Document, pages: Mapping[str, str]) -> DocumentView:
        pdf = download_path(doc.dossier, doc.id, "pdf")
        docx = download_path(doc.dossier, doc.id, "docx")
        return DocumentView(
            doc=doc,
            page=document_page(doc.dossier, doc.id),
            kind=message(f"kind.{doc.kind}", self.language),
            pdf=pdf if self.downloads(pdf) else None,
            docx=docx if self.downloads(docx) else None,
            revised=[
                Revised(n.indication, n.conclusion, pages[n.indication.id]) for n in doc.notices
            ],
        )


def dossier_date(model: Dossier) -> Any:
    """The date a reader knows a dossier by: the position's, else the latest letter's.

    A dossier with neither (only an FAQ or a leaflet) goes by its latest dated document.
    """
    if model.position is not None:
        return model.position.date
    if model.letters:
        return max(letter.date for letter in model.letters)
    dates = [d.date for d in (model.faq, *model.leaflets) if d is not None and d.date is not None]
    return max(dates) if dates else None


def dossier_view(
    rendered: RenderedDossier, language: str, downloads: Downloads | None = None
) -> DossierView:
    """The view of one rendered dossier that every page of it formats."""
    available: Downloads = downloads or (lambda _path: True)
    return _Builder(rendered, language, available).build()


def site_keys(loaded: LoadedDossier) -> list[str]:
    """References the site shows beyond the documents, in the order its pages show them.

    Conclusions list their evidence on indication pages and the dossier page lists every
    reference, so all of them get a number (after those the documents cite).
    """
    model = loaded.model
    assert model is not None
    keys: dict[str, None] = {}
    for _, indication in facts.walk_indications(model):
        for conclusion in indication.conclusions:
            keys.update(dict.fromkeys(conclusion.evidence))
    keys.update(dict.fromkeys(c.key for c in loaded.citations))
    keys.update(dict.fromkeys(loaded.references))
    return [k for k in keys if k in loaded.references]


def _tally(items: Iterable[tuple[Any, Any, bool]]) -> list[tuple[Any, Any, bool, int]]:
    """Equal (value, date, flag) triples counted, in order of first appearance."""
    counts: dict[tuple[Any, Any, bool], int] = {}
    for item in items:
        counts[item] = counts.get(item, 0) + 1
    return [(*key, n) for key, n in counts.items()]


def failing_dossiers(
    findings: Sequence[Finding], loaded: Sequence[LoadedDossier], dossiers_folder: str
) -> tuple[FailingDossier, ...]:
    """The dossier folders the check found errors in, each with all of its findings.

    A finding belongs to the folder its path is in; one outside every dossier folder (a
    stray file in the dossiers folder) is shown under its own path, without a page.
    """
    base = dossiers_folder.rstrip("/") + "/"
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        path = finding.location.path
        name = path[len(base) :].split("/")[0] if path.startswith(base) else path
        grouped.setdefault(name, []).append(finding)
    by_slug = {d.slug: d for d in loaded}
    failing = []
    for name, found in grouped.items():
        if not any(f.severity is Severity.ERROR for f in found):
            continue
        dossier = by_slug.get(name)
        usable = dossier is not None and not any(f.code == "bad-folder-name" for f in found)
        failing.append(
            FailingDossier(
                name=name,
                title=dossier.model.title if dossier and dossier.model else name,
                findings=tuple(found),
                page=dossier_page(name) if usable and name not in RESERVED else None,
            )
        )
    return tuple(failing)

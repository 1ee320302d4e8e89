"""The static site: a tree of Markdown pages generated from the checked dossiers, built by MkDocs.

Page generation (`generate_pages`, `generate_nav`) is a pure function of the rendered
dossiers and knows nothing of MkDocs: the pages are plain Markdown with the extensions that
Material for MkDocs and its successor read (admonition, attr_list, md_in_html, tables,
footnotes, def_list, toc). Only `build_site` runs MkDocs, and `tooling.mkdocs_plugin` adds the
same pages to `mkdocs serve`. See docs/site.md.

Page tree (paths relative to the docs folder)::

    index.md                          every dossier: status, date, last change, indications
    controle.md                       warnings of the check, the retraction snapshot used
    <dossier>/index.md                summary, indication table, position, documents, literature
    <dossier>/<indication>.md         PICO, conclusions, coverage timeline (also subgroups)
    documenten/<dossier>/<id>.md      a rendered document (letter, FAQ, leaflet, position...)
    documenten/<dossier>/<id>.pdf     ... and its PDF and DOCX (written by publish.write_documents)
    stylesheets/dossier.css           copied from templates/site/assets/
"""

from __future__ import annotations

import logging
import posixpath
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

from tooling import facts
from tooling.bibliography import Reference
from tooling.citations import format_reference, number_citations
from tooling.config import Config
from tooling.diagnostics import DossierError, Location
from tooling.i18n import message
from tooling.load import LoadedDossier
from tooling.model import Conclusion, CoveragePeriod, Dossier, Indication
from tooling.render import Document, _join
from tooling.retractions import Nature, Notice
from tooling.templating import (
    document_environment,
    prose_context,
    render_prose,
    render_template,
)

if TYPE_CHECKING:
    from tooling.mkdocs_process import MkDocsProcess
    from tooling.publish import Progress, RenderResult

MKDOCS_FILE = "mkdocs.yml"
DOCUMENTS = "documenten"
HOME = "index.md"
CHECK_PAGE = "controle.md"
ASSETS = Path("site") / "assets"  # below the templates folder: copied into the docs folder as is
RESERVED = frozenset(
    {DOCUMENTS, "controle", "index", "stylesheets", "javascripts", "assets", "search"}
)
"""Names a dossier folder cannot have: the site uses them for its own pages and assets."""

Downloads = Callable[[str], bool]
"""Tells whether a download (``documenten/<dossier>/<id>.pdf``) exists in the site."""


# -- paths -------------------------------------------------------------------------------------


def dossier_page(slug: str) -> str:
    return f"{slug}/index.md"


def indication_page(slug: str, ident: str) -> str:
    """``<dossier>/<indication>.md``; an indication called 'index' must not replace the dossier page."""
    return f"{slug}/{'indicatie-index' if ident == 'index' else ident}.md"


def document_page(doc: Document) -> str:
    return f"{DOCUMENTS}/{doc.dossier}/{doc.filename}.md"


def download_path(doc: Document, extension: str) -> str:
    return f"{DOCUMENTS}/{doc.dossier}/{doc.filename}.{extension}"


def relative(page: str, target: str) -> str:
    """A link from one page to another file, relative to the page's folder (posix paths)."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")


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
class Withdrawn:
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
        return document_page(self.source) if self.source else None


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
    coverage: CoveragePeriod | None = None
    conclusions: list[ConclusionView] = field(default_factory=list)
    periods: list[PeriodView] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)  # optional timeline columns with data
    conditions: list[tuple[int, str]] = field(default_factory=list)
    withdrawn: list[Withdrawn] = field(default_factory=list)

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
    withdrawn: list[Withdrawn]


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
    withdrawn: list[Withdrawn]
    documents: list[DocumentView]
    references: list[RefView]
    position: DocumentView | None
    addenda: dict[str, DocumentView]
    transitional_details: str
    indication_count: int

    def document(self, ident: str) -> DocumentView | None:
        return next((d for d in self.documents if d.doc.id == ident), None)


class _Builder:
    """Derives the views of one dossier: prose rendered, citations numbered, facts applied."""

    def __init__(
        self,
        loaded: LoadedDossier,
        documents: Sequence[Document],
        language: str,
        downloads: Downloads,
    ) -> None:
        assert loaded.model is not None
        self.loaded = loaded
        self.model = loaded.model
        self.slug = loaded.slug
        self.language = language
        self.context = prose_context(self.model)
        self.order = tuple(loaded.references)
        self.numbers = {key: i + 1 for i, key in enumerate(self.order)}
        self.documents = documents
        self.downloads = downloads
        self.variant_names = facts.variants_of(self.model)
        self.condition_numbers = (
            {c.id: (i + 1, c.text) for i, c in enumerate(self.model.position.conditions)}
            if self.model.position
            else {}
        )

    def prose(self, text: str, path: tuple[str | int, ...]) -> str:
        """Dossier prose as the site shows it: rendered (sandboxed) with citations numbered."""
        if not text:
            return ""
        rendered = render_prose(text, self.context, self.loaded.locate(path), self.language)
        return number_citations(rendered, self.loaded.flags, self.order, self.language).markdown

    def ref(self, key: str) -> RefView | None:
        reference: Reference | None = self.loaded.references.get(key)
        if reference is None:
            return None
        return RefView(
            key,
            self.numbers[key],
            format_reference(reference, None, self.language),
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
        withdrawn = [w for v in views for w in v.withdrawn if not w.stands]
        docs = [self.document_view(doc, withdrawn, views) for doc in self.documents]
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
            withdrawn=withdrawn,
            documents=docs,
            references=[r for r in (self.ref(k) for k in self.order) if r is not None],
            position=position,
            addenda=addenda,
            transitional_details=transitional,
            indication_count=len(views),
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
        view.coverage = facts.current_coverage(ind)
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
                view.withdrawn.append(Withdrawn(ind, c, view.page))
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
                    variants=_join([self.variant_names.get(v, v) for v in period.variants])
                    or message("site.all_variants", self.language),
                    conditions=", ".join(str(n) for n in numbers),
                    centres=centres,
                    note=" ".join(self.prose(period.note, (*path, "coverage", k, "note")).split()),
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

    def document_view(
        self, doc: Document, withdrawn: Sequence[Withdrawn], indications: Sequence[IndicationView]
    ) -> DocumentView:
        pdf, docx = download_path(doc, "pdf"), download_path(doc, "docx")
        return DocumentView(
            doc=doc,
            page=document_page(doc),
            kind=message(f"kind.{doc.kind}", self.language),
            pdf=pdf if self.downloads(pdf) else None,
            docx=docx if self.downloads(docx) else None,
            withdrawn=[w for w in withdrawn if self.states(doc, w, indications)],
        )

    def states(
        self, doc: Document, withdrawn: Withdrawn, indications: Sequence[IndicationView]
    ) -> bool:
        """Whether a document speaks about the indication of a withdrawn conclusion.

        Letters and leaflets name their indications; a letter or leaflet that names none, and
        every other kind (position, addendum, FAQ), covers the whole dossier.
        """
        named: list[str] = []
        if doc.kind == "letter":
            letter = next((x for x in self.model.letters if x.id == doc.id), None)
            named = list(letter.indications) if letter else []
        elif doc.kind == "leaflet":
            leaflet = next((x for x in self.model.leaflets if x.id == doc.id), None)
            named = [leaflet.indication] if leaflet and leaflet.indication else []
        if not named:
            return True
        related: set[str] = set()
        for view in indications:
            if view.indication.id in named:
                related.update(v.indication.id for v in _lineage(view))
        return withdrawn.indication.id in related


def _lineage(view: IndicationView) -> Iterator[IndicationView]:
    """An indication, its ancestors and all its descendants."""
    node: IndicationView | None = view
    while node is not None:
        yield node
        node = node.parent
    stack = list(view.children)
    while stack:
        child = stack.pop()
        yield child
        stack.extend(child.children)


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


# -- page generation -------------------------------------------------------------------------


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell: one line, pipes escaped."""
    return " ".join(str(value).split()).replace("|", "\\|")


def _text(value: object) -> str:
    """Plain text that Markdown must not read as HTML."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _label(value: object) -> str:
    """Text safe as a Markdown link label."""
    return str(value).replace("[", "\\[").replace("]", "\\]")


def site_environment(config: Config) -> jinja2.Environment:
    """The document environment with the site's filters; templates live in templates/site/."""
    env = document_environment(config.templates_dir, config.language)
    env.filters.update(cell=_cell, label=_label, text=_text, join_nl=_join)
    return env


def _check_slugs(result: RenderResult) -> None:
    for loaded in result.checked.dossiers:
        if loaded.slug in RESERVED:
            raise DossierError(
                f"a dossier folder cannot be called '{loaded.slug}': the site uses that name",
                Location(loaded.yaml_path),
                hint=f"rename the folder; reserved names: {', '.join(sorted(RESERVED))}",
            )


def dossier_views(
    result: RenderResult, config: Config, downloads: Downloads | None = None
) -> list[DossierView]:
    """A view of every dossier, in the order the check found them."""
    _check_slugs(result)
    available: Downloads = downloads or (lambda _path: True)
    by_dossier: dict[str, list[Document]] = {}
    for doc in result.documents:
        by_dossier.setdefault(doc.dossier, []).append(doc)
    return [
        _Builder(loaded, by_dossier.get(loaded.slug, []), config.language, available).build()
        for loaded in result.checked.dossiers
        if loaded.model is not None
    ]


def generate_pages(
    result: RenderResult, config: Config, *, downloads: Downloads | None = None
) -> dict[str, str]:
    """Every page of the site: relative path -> Markdown. A pure function of its inputs.

    ``downloads`` tells which PDF/DOCX files exist (default: all, as after
    `publish.write_documents`); links to absent ones are left out so no link is broken.
    """
    env = site_environment(config)
    views = dossier_views(result, config, downloads)

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
                **context,
            },
        )

    pages = {HOME: render(HOME, "home.md.j2", dossiers=views)}
    for view in views:
        pages[view.page] = render(view.page, "dossier.md.j2", view=view, dossier=view.model)
        for item in view.indications:
            pages[item.page] = render(
                item.page, "indication.md.j2", view=view, dossier=view.model, item=item
            )
        for doc in view.documents:
            pages[doc.page] = render(
                doc.page, "document.md.j2", view=view, dossier=view.model, item=doc
            )
    pages[CHECK_PAGE] = render(
        CHECK_PAGE, "check.md.j2", checked=result.checked, summary=result.checked.summary()
    )
    return pages


def generate_nav(result: RenderResult, config: Config) -> list[Any]:
    """The navigation in mkdocs.yml form: home, one section per dossier, the check page.

    A dossier's section starts with its index page (Material's ``navigation.indexes``), then
    its indications in dossier order, then its documents.
    """
    language = config.language
    by_dossier: dict[str, list[Document]] = {}
    for doc in result.documents:
        by_dossier.setdefault(doc.dossier, []).append(doc)
    nav: list[Any] = [{message("site.nav.home", language): HOME}]
    for loaded in result.checked.dossiers:
        model = loaded.model
        if model is None:
            continue
        section: list[Any] = [dossier_page(loaded.slug)]
        section.extend(
            {ind.name: indication_page(loaded.slug, ind.id)}
            for _, ind in facts.walk_indications(model)
        )
        docs = by_dossier.get(loaded.slug, [])
        if docs:
            section.append(
                {
                    message("site.nav.documents", language): [
                        {d.title: document_page(d)} for d in docs
                    ]
                }
            )
        nav.append({model.title: section})
    nav.append({message("site.nav.check", language): CHECK_PAGE})
    return nav


def write_pages(pages: Mapping[str, str], docs_dir: Path) -> None:
    """Write generated pages below ``docs_dir`` (replacing files of the same name)."""
    from tooling.output import write_file

    for relative_path, text in pages.items():
        write_file(docs_dir, relative_path, text)


def copy_assets(config: Config, docs_dir: Path) -> None:
    """Copy the site's static files (stylesheets) from templates/site/assets/."""
    source = config.templates_dir / ASSETS
    if source.is_dir():
        shutil.copytree(source, docs_dir, dirs_exist_ok=True)


# -- the build ---------------------------------------------------------------------------------


class _Collect(logging.Handler):
    """Keeps MkDocs' warnings and errors, so they can be reported without a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage().strip()
        if text and not text.startswith("Aborted with"):
            self.messages.append(f"{record.levelname.lower()}: {text}")


def run_mkdocs(
    config_file: Path, docs_dir: Path, site_dir: Path, nav: list[Any] | None = None
) -> None:
    """Run ``mkdocs build --strict`` in-process; any MkDocs warning becomes a DossierError."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    if not config_file.is_file():
        raise DossierError(
            f"no {config_file.name} in the project root",
            Location(str(config_file)),
            hint="the site is built with the MkDocs configuration there; see docs/site.md",
        )
    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False  # MkDocs' own lines stay out of our output; we report them
    try:
        overrides: dict[str, Any] = {
            "docs_dir": str(docs_dir),
            "site_dir": str(site_dir),
            "strict": True,
        }
        if nav is not None:
            overrides["nav"] = nav
        cfg = load_config(config_file=str(config_file), **overrides)
        plugin = cfg.plugins.get("dossiers")
        if plugin is not None:
            plugin.pages_on_disk = True
        build(cfg)
        if (
            handler.messages
        ):  # strict mode aborts on warnings; anything else logged is ours to report
            raise MkDocsException("warnings")
    except (MkDocsException, OSError) as exc:
        details = "\n  ".join(handler.messages) or str(exc)
        raise DossierError(
            f"the site build failed (MkDocs, strict mode):\n  {details}",
            Location(config_file.name),
            hint="every warning fails the build; see docs/site.md",
        ) from None
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def build_site(
    result: RenderResult,
    config: Config,
    out: Path,
    *,
    jobs: int = 2,
    progress: Progress,
    mkdocs: MkDocsProcess | None = None,
) -> None:
    """Generate the pages, write the documents and build the site into ``out`` with MkDocs.

    MkDocs runs in ``mkdocs`` (a process started early, see `tooling.mkdocs_process`) when
    given, else here.
    """
    from tooling.publish import write_documents

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        prefix=f".{out.name.lstrip('.')}.docs-", dir=out.parent
    ) as tmp:
        docs_dir = Path(tmp)
        copy_assets(config, docs_dir)
        write_documents(result, docs_dir / DOCUMENTS, config, jobs=jobs, progress=progress)
        pages = generate_pages(result, config)  # replaces the plain document Markdown
        write_pages(pages, docs_dir)
        progress.step(f"building the site: {len(pages)} pages")
        nav = generate_nav(result, config)
        if mkdocs is not None:
            mkdocs.run(config.root / MKDOCS_FILE, docs_dir, out, nav)
        else:
            run_mkdocs(config.root / MKDOCS_FILE, docs_dir, out, nav)

"""Writing what `pipeline.render` made: documents as Markdown, PDF and DOCX, and the site.

Only this module and `tooling.output` write files, and only into an output folder the toolkit
owns (`output.check_output_target`), through a staging folder swapped in atomically.

Site layout in the output folder: the HTML that MkDocs builds from the generated pages, with
every document's PDF and DOCX beside its page (``documenten/<dossier>/<id>.pdf``).
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tooling import pdf
from tooling.build_cache import BUILD, BuildCache, folder_digest, key, toolkit_fingerprint, versions
from tooling.config import Config
from tooling.documents import Document
from tooling.engines import mkdocs as engine
from tooling.output import check_output_target, staged_directory, write_file
from tooling.site.chrome import SiteChrome
from tooling.site.paths import DOCUMENTS

ASSETS = Path("site") / "assets"  # below the templates folder: copied into the docs folder as is
Progress = Callable[[str], None]


def claim_output(target: Path, config: Config) -> Path:
    """The output folder, after making sure the toolkit may replace it (before any work)."""
    return check_output_target(target, config)


@contextlib.contextmanager
def site_engine(config: Config, *, active: bool) -> Iterator[None]:
    """Let the site engine get ready while the dossiers are checked (when a site is built)."""
    if not active:
        yield
        return
    with engine.warm_up(config.root / engine.MKDOCS_FILE):
        yield


def open_cache(config: Config, *, enabled: bool = True) -> BuildCache | None:
    """The project's build cache (`tooling.build_cache`), or None with ``--no-cache``.

    `config.load_config` has made sure the cache folder lies inside the project.
    """
    if not enabled or config.cache_limit_mb == 0:
        return None
    return BuildCache(config.cache_dir / BUILD, config.cache_limit_mb * 1024 * 1024)


def write_documents(
    documents: Sequence[Document],
    root: Path,
    config: Config,
    *,
    jobs: int = 2,
    progress: Progress,
    cache: BuildCache | None = None,
) -> list[Path]:
    """Write each document as Markdown, PDF and DOCX below ``root/<dossier>/``.

    With ``cache``, a PDF or DOCX whose inputs (its pandoc source, the templates folder, the
    tools' versions, the toolkit's code) are unchanged is taken from it, not made again.
    """
    written = [write_file(root, f"{d.dossier}/{d.id}.md", d.markdown) for d in documents]
    made = make_documents(documents, config, jobs=jobs, progress=progress, cache=cache)
    written.extend(write_file(root, path, data) for path, data in made.items())
    return written


def make_documents(
    documents: Sequence[Document],
    config: Config,
    *,
    jobs: int = 2,
    progress: Progress,
    cache: BuildCache | None = None,
) -> dict[str, bytes]:
    """Each document's PDF and DOCX, by path (``<dossier>/<id>.pdf``); see `write_documents`."""
    pdf_dir = config.templates_dir / "pdf"
    shared = _shared_inputs(documents, pdf_dir) if cache is not None else ("", [])
    pdfs = _Outputs("pdf", documents, cache, shared, lambda d: d.pdf_body)
    docxs = _Outputs("docx", documents, cache, shared, lambda d: d.markdown)
    progress(f"rendering {pdfs.describe('PDF')} and {docxs.describe('DOCX')} on {jobs} worker(s)")
    reference_doc = pdf_dir / "reference.docx"

    def docx(doc: Document) -> bytes:
        return pdf.render_docx(doc.pandoc_source(for_pdf=False), reference_doc=reference_doc)

    # Each DOCX is a pandoc process of its own: threads only wait for them, so ``jobs`` of
    # them run at once, while the PDF workers (spawned processes) render the PDFs. The pool
    # is gone (its threads joined) before anything forks again.
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        made = pool.map(docx, docxs.todo)
        jobs_ = [
            (d.pandoc_source(for_pdf=True), pdf_dir / f"{d.pdf_template}.typst") for d in pdfs.todo
        ]
        pdfs.made(pdf.render_many(jobs_, workers=jobs))
        docxs.made(list(made))
    files = {f"{doc.dossier}/{doc.id}.pdf": data for doc, data in pdfs.results()}
    files.update({f"{doc.dossier}/{doc.id}.docx": data for doc, data in docxs.results()})
    return files


def _shared_inputs(documents: Sequence[Document], templates: Path) -> tuple[str, list[str]]:
    """What the keys of a document's PDF and DOCX share: the tools (the PDF templates
    folder, pandoc's, Typst's and PyYAML's versions, the toolkit's code) and its metadata."""
    tools = key(
        toolkit_fingerprint(),
        versions("pypandoc_binary", "pypandoc", "typst", "PyYAML"),
        folder_digest(templates),
    )
    metadata = [
        json.dumps(d.metadata, sort_keys=True, default=repr, ensure_ascii=False) for d in documents
    ]
    return tools, metadata


class _Outputs:
    """The PDFs (or DOCX files) of some documents: those the cache has, and those to make.

    The key of each is its pandoc source with everything else that decides the output:
    the PDF templates folder (Typst templates, reference.docx, images they name), pandoc's
    and Typst's versions and the toolkit's code. The source is `Document.pandoc_source`:
    the metadata as YAML, then the body; the key takes the metadata as sorted JSON and the
    body instead (with PyYAML's version and the toolkit's code, which decide the YAML), the
    same facts without writing YAML for every document of a rebuild.
    """

    def __init__(
        self,
        kind: str,
        documents: Sequence[Document],
        cache: BuildCache | None,
        shared: tuple[str, list[str]],
        body: Callable[[Document], str],
    ) -> None:
        self.kind = kind
        self.cache = cache
        self.documents = documents
        self.found: dict[int, bytes] = {}
        self.keys: list[str] = []
        if cache is not None:
            tools, metadata = shared
            for index, doc in enumerate(documents):
                digest = key(kind, tools, doc.pdf_template, metadata[index], body(doc))
                self.keys.append(digest)
                data = cache.get(kind, digest)
                if data is not None:
                    self.found[index] = data
        self.todo = [d for i, d in enumerate(documents) if i not in self.found]

    def describe(self, name: str) -> str:
        kept = f" ({len(self.found)} unchanged, from the cache)" if self.found else ""
        return f"{len(self.todo)} {name}{kept}"

    def made(self, outputs: Sequence[bytes]) -> None:
        todo = [i for i in range(len(self.documents)) if i not in self.found]
        for index, data in zip(todo, outputs, strict=True):
            self.found[index] = data
            if self.cache is not None:
                self.cache.put(self.kind, self.keys[index], data)

    def results(self) -> Iterator[tuple[Document, bytes]]:
        for index, doc in enumerate(self.documents):
            yield doc, self.found[index]


@contextlib.contextmanager
def _pages_folder(staging: Path) -> Iterator[Path]:
    """A folder for the generated pages beside the staging folder, removed afterwards.

    Named like a staging folder (its name only extends the random part), so that the next
    run removes it like one when this run is killed.
    """
    folder = staging.with_name(f"{staging.name}ff")
    folder.mkdir()
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish_documents(
    documents: Sequence[Document],
    config: Config,
    out: Path,
    *,
    jobs: int,
    progress: Progress,
    cache: BuildCache | None = None,
) -> None:
    """`dossier render`: every document into ``out``, replacing it only on success."""
    with staged_directory(out, config) as staging:
        write_documents(documents, staging, config, jobs=jobs, progress=progress, cache=cache)
    _trim(cache, progress)
    progress(f"wrote {config.display(out)}")


def _trim(cache: BuildCache | None, progress: Progress) -> None:
    """Keep the cache within its limit, after a build that succeeded."""
    if cache is None:
        return
    removed = cache.trim()
    if removed:
        progress(f"cache: removed {removed / 1e6:.0f} MB of outputs used longest ago")


def publish_site(
    documents: Sequence[Document],
    pages: Mapping[str, str],
    nav: list[Any],
    config: Config,
    out: Path,
    *,
    files: Mapping[str, str | bytes] | None = None,
    chrome: SiteChrome | None = None,
    jobs: int,
    progress: Progress,
    cache: BuildCache | None = None,
) -> None:
    """`dossier build`: the documents and the site into ``out``, replacing it only on success.

    ``files`` are written beside the pages as they are (the decision aids' JSON, the archived
    PDF and DOCX of released versions); ``chrome``
    is the site's name, logo and footer. With ``cache``, documents and pages whose inputs
    are unchanged are taken from it (`tooling.build_cache`).
    """
    with staged_directory(out, config) as staging, _pages_folder(staging) as docs_dir:
        source = config.templates_dir / ASSETS
        if source.is_dir():
            shutil.copytree(source, docs_dir, dirs_exist_ok=True)
        write_documents(
            documents, docs_dir / DOCUMENTS, config, jobs=jobs, progress=progress, cache=cache
        )
        for path, content in (files or {}).items():
            write_file(docs_dir, path, content)
        progress(f"building the site: {len(pages)} pages")
        kept = engine.build(
            config.root / engine.MKDOCS_FILE,
            docs_dir,
            staging,
            nav,
            chrome,
            cache=cache.folder if cache is not None else None,
            pages=pages,  # in memory: thousands of files less to write and remove
        )
        if kept:
            progress(f"pages: {kept}")
    _trim(cache, progress)
    progress(f"site ready in {config.display(out)}")

"""Writing what `pipeline.render` made: documents as Markdown, PDF and DOCX, and the site.

Only this module and `tooling.output` write files, and only into an output folder the toolkit
owns (`output.check_output_target`), through a staging folder swapped in atomically.

Site layout in the output folder: the HTML that MkDocs builds from the generated pages, with
every document's PDF and DOCX beside its page (``documenten/<dossier>/<id>.pdf``).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tooling import pdf
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


def write_documents(
    documents: Sequence[Document],
    root: Path,
    config: Config,
    *,
    jobs: int = 2,
    progress: Progress,
) -> list[Path]:
    """Write each document as Markdown, PDF and DOCX below ``root/<dossier>/``."""
    pdf_dir = config.templates_dir / "pdf"
    written = [write_file(root, f"{d.dossier}/{d.id}.md", d.markdown) for d in documents]
    progress(f"rendering {len(documents)} PDF documents on {jobs} worker(s)")
    jobs_ = [
        (d.pandoc_source(for_pdf=True), pdf_dir / f"{d.pdf_template}.typst") for d in documents
    ]
    for doc, data in zip(documents, pdf.render_many(jobs_, workers=jobs), strict=True):
        written.append(write_file(root, f"{doc.dossier}/{doc.id}.pdf", data))
    progress(f"rendering {len(documents)} DOCX documents on {jobs} worker(s)")
    reference_doc = pdf_dir / "reference.docx"

    def docx(doc: Document) -> bytes:
        return pdf.render_docx(doc.pandoc_source(for_pdf=False), reference_doc=reference_doc)

    # Each DOCX is a pandoc process of its own: threads only wait for them, so ``jobs`` of
    # them run at once. The pool is gone (its threads joined) before anything forks again.
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for doc, data in zip(documents, pool.map(docx, documents), strict=True):
            written.append(write_file(root, f"{doc.dossier}/{doc.id}.docx", data))
    return written


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
    documents: Sequence[Document], config: Config, out: Path, *, jobs: int, progress: Progress
) -> None:
    """`dossier render`: every document into ``out``, replacing it only on success."""
    with staged_directory(out, config) as staging:
        write_documents(documents, staging, config, jobs=jobs, progress=progress)
    progress(f"wrote {config.display(out)}")


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
) -> None:
    """`dossier build`: the documents and the site into ``out``, replacing it only on success.

    ``files`` are written beside the pages as they are (the decision aids' JSON, the archived
    PDF and DOCX of released versions); ``chrome``
    is the site's name, logo and footer.
    """
    with staged_directory(out, config) as staging, _pages_folder(staging) as docs_dir:
        source = config.templates_dir / ASSETS
        if source.is_dir():
            shutil.copytree(source, docs_dir, dirs_exist_ok=True)
        write_documents(documents, docs_dir / DOCUMENTS, config, jobs=jobs, progress=progress)
        for path, text in {**pages, **(files or {})}.items():  # a page replaces plain Markdown
            write_file(docs_dir, path, text)
        progress(f"building the site: {len(pages)} pages")
        engine.build(config.root / engine.MKDOCS_FILE, docs_dir, staging, nav, chrome)
    progress(f"site ready in {config.display(out)}")

"""`dossier render` and `dossier build`: check, render, then write outputs atomically."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tooling.config import Config
from tooling.diagnostics import CheckFailed
from tooling.mkdocs_process import MkDocsProcess
from tooling.output import staged_directory, write_file
from tooling.pipeline import CheckResult, check
from tooling.render import Document, Renderer
from tooling.templating import document_environment

EXIT_OK, EXIT_ERRORS = 0, 1


class Progress:
    """Short progress lines on stderr, so long work is never silent."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()

    def step(self, text: str) -> None:
        if not self.quiet:
            elapsed = time.perf_counter() - self.started
            print(f"[{elapsed:5.1f}s] {text}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class RenderResult:
    """The checked dossiers and every document rendered from them."""

    checked: CheckResult
    documents: list[Document]


def render_documents(config: Config, paths: Sequence[Path] = ()) -> RenderResult:
    """Check, then render every document; raise CheckFailed when the check found errors."""
    checked = check(config, paths)
    if checked.errors:
        raise CheckFailed(checked.errors)
    renderer = Renderer(
        document_environment(config.templates_dir, config.language), config.language
    )
    documents = [doc for dossier in checked.dossiers for doc in renderer.render(dossier)]
    return RenderResult(checked, documents)


def write_documents(
    result: RenderResult,
    root: Path,
    config: Config,
    *,
    jobs: int = 2,
    progress: Progress | None = None,
) -> list[Path]:
    """Write each document as Markdown, PDF and DOCX below ``root/<dossier>/``."""
    from tooling import pdf

    progress = progress or Progress(quiet=True)
    pdf_dir = config.templates_dir / "pdf"
    written = []
    for doc in result.documents:
        written.append(write_file(root, f"{doc.dossier}/{doc.filename}.md", doc.page))
    progress.step(f"rendering {len(result.documents)} PDF documents on {jobs} worker(s)")
    pdf_jobs = [
        (doc.pandoc_source(for_pdf=True), pdf_dir / f"{doc.pdf_template}.typst")
        for doc in result.documents
    ]
    for doc, data in zip(result.documents, pdf.render_many(pdf_jobs, workers=jobs), strict=True):
        written.append(write_file(root, f"{doc.dossier}/{doc.filename}.pdf", data))
    progress.step(f"rendering {len(result.documents)} DOCX documents")
    reference_doc = pdf_dir / "reference.docx"
    for doc in result.documents:
        data = pdf.render_docx(doc.pandoc_source(for_pdf=False), reference_doc=reference_doc)
        written.append(write_file(root, f"{doc.dossier}/{doc.filename}.docx", data))
    return written


def _print_findings(exc: CheckFailed) -> None:
    for finding in exc.findings:
        print(finding.format(), file=sys.stderr)
    print(
        f"dossier: stopped: the check found {len(exc.findings)} error(s); nothing was written",
        file=sys.stderr,
    )


def render_command(config: Config, args: argparse.Namespace) -> int:
    """`dossier render`: documents into the output folder, replacing it only on success."""
    progress = Progress(args.quiet)
    target = args.output or config.output_dir
    progress.step("checking dossiers")
    try:
        result = render_documents(config, args.paths)
    except CheckFailed as exc:
        _print_findings(exc)
        return EXIT_ERRORS
    progress.step(
        f"rendered {len(result.documents)} documents from {len(result.checked.dossiers)} dossiers"
    )
    with staged_directory(target) as staging:
        write_documents(result, staging, config, jobs=args.jobs, progress=progress)
    progress.step(f"wrote {config.display(target)}")
    return EXIT_OK


def build_command(
    config: Config, args: argparse.Namespace, *, mkdocs: MkDocsProcess | None = None
) -> int:
    """`dossier build`: check, documents and the site, into the site folder atomically.

    ``mkdocs``, when given, is a process that has loaded MkDocs meanwhile and builds there.
    """
    from tooling.site import build_site

    progress = Progress(args.quiet)
    target = args.output or config.site_dir
    progress.step("checking dossiers")
    try:
        result = render_documents(config, args.paths)
    except CheckFailed as exc:
        _print_findings(exc)
        return EXIT_ERRORS
    progress.step(
        f"rendered {len(result.documents)} documents from {len(result.checked.dossiers)} dossiers"
    )
    with staged_directory(target) as staging:
        build_site(result, config, staging, jobs=args.jobs, progress=progress, mkdocs=mkdocs)
    progress.step(f"site ready in {config.display(target)}")
    return EXIT_OK

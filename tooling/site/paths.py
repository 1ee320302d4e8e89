"""Where every page and download of the site lives: one place for the site's addresses.

Paths are relative to the docs folder, posix style::

    index.md                          every dossier
    controle.md                       the check: warnings and the retraction snapshot used
    <dossier>/index.md                one dossier
    <dossier>/<indication>.md         one indication or subgroup
    documenten/<dossier>/<id>.md      a rendered document, with its .pdf and .docx beside it
    <dossier>/versies/index.md        its published versions and the positions it superseded
    <dossier>/versies/<v>/index.md    one released version: its permanent address
    <dossier>/versies/<v>/documenten/<id>.md   a document of it, .pdf and .docx beside it
    <dossier>/versies/<v>/wijzigingen.md       what changed since the version before it

This module imports nothing of the toolkit, so every stage may ask it (the check refuses a
dossier folder named like one of the site's own folders).
"""

from __future__ import annotations

import posixpath

DOCUMENTS = "documenten"
HOME = "index.md"
CHECK_PAGE = "controle.md"
DECISIONS = "beslisregels"
RESERVED = frozenset(
    {DOCUMENTS, DECISIONS, "controle", "index", "stylesheets", "javascripts", "assets", "search"}
)
"""Names a dossier folder cannot have: the site uses them for its own pages and assets."""


def dossier_page(slug: str) -> str:
    return f"{slug}/index.md"


def indication_page(slug: str, ident: str) -> str:
    """``<dossier>/<indication>.md``; an indication called 'index' must not replace the dossier page."""
    return f"{slug}/{'indicatie-index' if ident == 'index' else ident}.md"


def document_page(dossier: str, ident: str) -> str:
    return f"{DOCUMENTS}/{dossier}/{ident}.md"


def decisions_page(dossier: str) -> str:
    """``beslisregels/<dossier>/index.md``: the decision tables and the decision aid."""
    return f"{DECISIONS}/{dossier}/index.md"


def decisions_data(dossier: str) -> str:
    """The decision tables as JSON, beside their page (the decision aid reads it)."""
    return f"{DECISIONS}/{dossier}/beslisregels.json"


def download_path(dossier: str, ident: str, extension: str) -> str:
    return f"{DOCUMENTS}/{dossier}/{ident}.{extension}"


VERSIONS = "versies"


def versions_page(slug: str) -> str:
    """``<dossier>/versies/index.md``: the dossier's version history."""
    return f"{slug}/{VERSIONS}/index.md"


def version_page(slug: str, version: str) -> str:
    """``<dossier>/versies/<version>/index.md``: the permanent page of a released version."""
    return f"{slug}/{VERSIONS}/{version}/index.md"


def version_document(slug: str, version: str, ident: str, extension: str = "md") -> str:
    """A document of a released version (its page, or its archived .pdf and .docx)."""
    return f"{slug}/{VERSIONS}/{version}/{DOCUMENTS}/{ident}.{extension}"


def version_changes_page(slug: str, version: str) -> str:
    """What changed between the version before ``version`` and ``version``."""
    return f"{slug}/{VERSIONS}/{version}/wijzigingen.md"


def in_released_version(path: str) -> bool:
    """Whether a site path is a page of a released version (``<dossier>/versies/<id>/...``).

    Those pages show nothing from outside their archive: no site menu (docs/history.md).
    """
    parts = path.split("/")
    return len(parts) >= 4 and parts[1] == VERSIONS


def relative(page: str, target: str) -> str:
    """A link from one page to another file, relative to the page's folder (posix paths)."""
    return posixpath.relpath(target, posixpath.dirname(page) or ".")

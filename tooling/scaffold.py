"""`dossier new`: a minimal dossier that passes the check, never over an existing one."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tooling.config import Config
from tooling.diagnostics import DossierError, Location

# Matched with fullmatch: `$` would also accept a name that ends in a newline.
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,79}")

DOSSIER_TEMPLATE = """\
# yaml-language-server: $schema={schema}
title: {title}
jurisdiction: NL
issuer:
  name: Zorginstituut Nederland
status: concept
updated: {today}
summary: >-
  Korte samenvatting van de beoordeling.
intervention:
  name: {title}
  variants: []
indications:
  - id: indicatie-1
    name: Eerste indicatie
    pico:
      population: Patiënten met ...
      intervention: {title}
      comparator: Gebruikelijke zorg
      outcomes: [Pijn, Kwaliteit van leven]
    conclusions:
      - id: indicatie-1-beoordeling
        verdict: pending
        date: {today}
"""

BIB_TEMPLATE = """\
% References of this dossier. Cite them in Markdown as [@key] and list them under a
% conclusion's `evidence`. Record a retraction with `retraction = {{Retraction}}`.
"""


def new_dossier(config: Config, slug: str, title: str | None = None) -> Path:
    """Create ``dossiers/<slug>/`` with dossier.yaml and references.bib.

    Args:
        config: The project configuration (where dossiers live).
        slug: The dossier's folder name: 1 to 80 of ``a-z``, ``0-9`` and ``-``, not starting
            with ``-``.
        title: The dossier's title; made from the slug when not given.

    Returns:
        The new folder.

    Raises:
        DossierError: The name has other characters (spaces, capitals, ``/``, a newline...)
            or the folder exists already.
    """
    import datetime as dt

    if not _SLUG.fullmatch(slug):
        raise DossierError(
            f"{slug!r} is not a valid dossier name: {_slug_problem(slug)}",
            hint="use lower-case letters, digits and hyphens, e.g. 'tavi-aortaklepstenose'",
        )
    target = config.dossiers_dir / slug
    if target.exists():
        raise DossierError(
            "already exists; `dossier new` never overwrites a dossier",
            Location(config.display(target)),
        )
    schema = Path("..") / ".." / "schema" / "dossier.schema.json"
    target.mkdir(parents=True)
    (target / "dossier.yaml").write_text(
        DOSSIER_TEMPLATE.format(
            schema=schema.as_posix(),
            title=json.dumps(title or slug.replace("-", " ").capitalize(), ensure_ascii=False),
            today=dt.date.today().isoformat(),
        ),
        encoding="utf-8",
    )
    (target / "references.bib").write_text(BIB_TEMPLATE, encoding="utf-8")
    return target


def _slug_problem(slug: str) -> str:
    """What is wrong with a dossier name that `_SLUG` refuses, in a few words."""
    if not slug:
        return "it is empty"
    if len(slug) > 80:
        return f"it has {len(slug)} characters, at most 80 are allowed"
    if slug.startswith("-"):
        return "it starts with a hyphen"
    bad = next((ch for ch in slug if not ("a" <= ch <= "z" or "0" <= ch <= "9" or ch == "-")), "")
    return f"it contains {bad!r}, only a-z, 0-9 and '-' are allowed"

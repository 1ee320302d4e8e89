"""Project configuration: where dossiers, templates, outputs and the retraction database are.

Read from `dossier.toml` at the project root (found upward from the working directory), so
the toolkit works on any repository laid out the same way. Every key has a default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from tooling.diagnostics import DossierError, Location

CONFIG_NAME = "dossier.toml"
CACHE_NAME = ".dossier-cache"
MENUS = ("auto", "full", "dossier")
MENU_FULL_UP_TO = 100
"""[site] menu = auto: up to this many dossiers every page's menu lists them all; above it,
each page's menu shows its own dossier (the home page lists them all). Material prints the
menu on every page, so a full menu makes every page cost time in proportion to the number of
dossiers, and the site's build time grow with their square."""
_KNOWN = {
    "project": {"dossiers", "templates", "output", "site", "language"},
    "retractions": {
        "database", "snapshot_date", "sha256", "mailto", "source", "api", "max_age_days",
        "ledger", "lookup",
    },
    "site": {"name", "logo", "footer", "menu"},
    "cache": {"size_mb"},
}  # fmt: skip
DEFAULT_SOURCE = "https://api.labs.crossref.org/data/retractionwatch"
"""Crossref's Retraction Watch CSV (``?mailto=`` is added from dossier.toml)."""
DEFAULT_API = "https://api.crossref.org"
"""Crossref's REST API, for `dossier retractions lookup` (``/works/<doi>``)."""
DEFAULT_MAX_AGE_DAYS = 30
DEFAULT_CACHE_MB = 1024
"""[cache] size_mb: how much the build cache (`tooling.build_cache`) may hold."""
LOGO_SUFFIXES = (".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp")
"""Image files a browser shows as the site's logo and favicon."""


@dataclass(frozen=True)
class Config:
    """Resolved, absolute paths and settings of one project."""

    root: Path
    dossiers_dir: Path
    templates_dir: Path
    output_dir: Path
    site_dir: Path
    cache_dir: Path  # the project's own cache (compiled templates); git-ignored
    language: str = "nl"
    retraction_db: Path | None = None
    retraction_snapshot_date: str = ""
    retraction_sha256: str = ""
    retraction_mailto: str = ""  # for Crossref's polite pool
    retraction_source: str = DEFAULT_SOURCE  # where `dossier retractions update` downloads
    retraction_api: str = DEFAULT_API  # where `dossier retractions lookup` asks
    retraction_max_age_days: int = DEFAULT_MAX_AGE_DAYS  # `dossier check` warns when older
    retraction_ledger: Path | None = None  # what updates found new, and when
    retraction_lookup: Path | None = None  # Crossref's per-DOI notices, cached
    site_name: str = ""  # [site] name; empty: the issuer of the dossiers (site.pages.site_chrome)
    site_logo: Path | None = None  # [site] logo: an image inside the project
    site_footer: str = ""  # [site] footer; empty: the site's name
    site_menu: str = "auto"  # [site] menu: full, dossier, or auto (see MENU_FULL_UP_TO)
    cache_limit_mb: int = DEFAULT_CACHE_MB  # [cache] size_mb: the build cache's limit

    def display(self, path: Path) -> str:
        """A path as the user should see it: relative to the project root when inside it."""
        # Most paths are built from the root: a plain prefix test spares resolving symlinks.
        plain = os.path.abspath(path)
        root = os.path.abspath(self.root)
        if plain.startswith(root + os.sep):
            return plain[len(root) + 1 :]
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)


def find_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` that has a dossier.toml; else ``start``."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate
    return start


def load_config(root: Path | None = None) -> Config:
    """Read dossier.toml (if any) and resolve every path against the project root."""
    root = find_root(root or Path.cwd())
    path = root / CONFIG_NAME
    data: dict[str, dict[str, object]] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DossierError(f"invalid {CONFIG_NAME}: {exc}", Location(CONFIG_NAME)) from None
        for section, value in data.items():
            if section not in _KNOWN or not isinstance(value, dict):
                raise DossierError(f"unknown section [{section}]", Location(CONFIG_NAME))
            unknown = set(value) - _KNOWN[section]
            if unknown:
                raise DossierError(
                    f"unknown key(s) in [{section}]: {', '.join(sorted(unknown))}",
                    Location(CONFIG_NAME),
                    hint=f"known: {', '.join(sorted(_KNOWN[section]))}",
                )
    project = data.get("project", {})
    retractions = data.get("retractions", {})
    site = data.get("site", {})

    def setting(section: dict[str, object], key: str, default: str) -> str:
        value = section.get(key, default)
        if not isinstance(value, str):
            raise DossierError(f"'{key}' must be a string", Location(CONFIG_NAME))
        return value

    database = setting(retractions, "database", "")
    ledger = setting(retractions, "ledger", "")
    lookup = setting(retractions, "lookup", "")
    max_age = retractions.get("max_age_days", DEFAULT_MAX_AGE_DAYS)
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age < 0:
        raise DossierError("'max_age_days' must be a whole number of days", Location(CONFIG_NAME))
    cache = data.get("cache", {})
    size_mb = cache.get("size_mb", DEFAULT_CACHE_MB)
    if not isinstance(size_mb, int) or isinstance(size_mb, bool) or size_mb < 0:
        raise DossierError(
            "[cache] size_mb must be a whole number of megabytes (0: keep no build outputs)",
            Location(CONFIG_NAME),
        )
    menu = setting(site, "menu", "auto")
    if menu not in MENUS:
        raise DossierError(
            f"[site] menu = '{menu}' is not one of: {', '.join(MENUS)}",
            Location(CONFIG_NAME),
            hint="auto shows every dossier in the menu up to "
            f"{MENU_FULL_UP_TO} dossiers and each page's own dossier above that (docs/site.md)",
        )
    cache_dir = root / CACHE_NAME
    if cache_dir.is_symlink() or not cache_dir.resolve().is_relative_to(root.resolve()):
        raise DossierError(
            f"the cache folder {CACHE_NAME} is a link or lies outside the project; the "
            "toolkit writes only inside the project",
            Location(CACHE_NAME),
            hint="`dossier clean` removes it (a link: only the link)",
        )
    return Config(
        root=root,
        dossiers_dir=root / setting(project, "dossiers", "dossiers"),
        templates_dir=root / setting(project, "templates", "templates"),
        output_dir=root / setting(project, "output", "build"),
        site_dir=root / setting(project, "site", "site"),
        cache_dir=cache_dir,
        language=setting(project, "language", "nl"),
        retraction_db=root / database if database else None,
        retraction_snapshot_date=setting(retractions, "snapshot_date", ""),
        retraction_sha256=setting(retractions, "sha256", ""),
        retraction_mailto=setting(retractions, "mailto", ""),
        retraction_source=setting(retractions, "source", DEFAULT_SOURCE),
        retraction_api=setting(retractions, "api", DEFAULT_API),
        retraction_max_age_days=max_age,
        retraction_ledger=root / ledger if ledger else None,
        retraction_lookup=root / lookup if lookup else None,
        site_name=setting(site, "name", "").strip(),
        site_logo=_site_logo(root, setting(site, "logo", "")),
        site_footer=setting(site, "footer", "").strip(),
        site_menu=menu,
        cache_limit_mb=size_mb,
    )


def _site_logo(root: Path, value: str) -> Path | None:
    """The [site] logo: an image file inside the project, or None when not set."""
    if not value:
        return None
    logo = root / value
    inside = logo.resolve().is_relative_to(root.resolve())
    if not inside or not logo.is_file() or logo.suffix.lower() not in LOGO_SUFFIXES:
        raise DossierError(
            f"[site] logo {value!r} is not an image file inside the project",
            Location(CONFIG_NAME),
            hint=f"give a path relative to the project root, ending in {', '.join(LOGO_SUFFIXES)}",
        )
    return logo

"""The site's chrome: what every page shows around its content (a leaf module).

Kept apart from the view layer so that the MkDocs side (the plugin, the warm build process)
can take it without loading the toolkit's models.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SiteChrome:
    """What every page shows around its content: the site's name, logo and footer.

    Name and footer are plain text; the logo is an image file of the project, or None for
    the theme's neutral icon.
    """

    name: str
    logo: Path | None = None
    footer: str = ""
    full_menu: bool = True  # every dossier in every page's menu, else only the page's own

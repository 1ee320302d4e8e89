"""The MkDocs engine: builds the site from the generated pages; nothing above imports MkDocs.

`build(config_file, docs_dir, site_dir, nav)` runs ``mkdocs build --strict`` on a folder of
pages and reports every MkDocs warning as a `DossierError`. The site's name, logo and footer
(`SiteChrome`) are an argument: the `dossiers` plugin puts them into MkDocs' configuration
(site_name, copyright, theme logo and favicon).

Fast path (private): importing MkDocs, Material, its plugins and Markdown extensions and
reading mkdocs.yml takes about 0.3 s before MkDocs builds anything. `warm_up` forks a process
that does this on the other core while the dossiers are checked and rendered; `build` then
hands it the pages. Where forking is unsafe (threads are running) or unavailable, or the
process died, `build` runs MkDocs in this process. The process dies with its parent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.diagnostics import DossierError, Location

if TYPE_CHECKING:  # this module stays light: `dossier build` imports it before anything else
    from tooling.site.chrome import SiteChrome

MKDOCS_FILE = "mkdocs.yml"
_warm: _WarmProcess | None = None


@contextlib.contextmanager
def warm_up(config_file: Path) -> Iterator[None]:
    """Start loading MkDocs in a process of its own for the next `build` in this block.

    Inside a block that already warms one up (the CLI starts it before it imports the rest
    of the toolkit), this one does nothing.
    """
    global _warm
    if _warm is not None:
        yield
        return
    process = _WarmProcess(config_file)
    _warm = process
    try:
        yield
    finally:
        _warm = None
        process.close()


def build(
    config_file: Path,
    docs_dir: Path,
    site_dir: Path,
    nav: list[Any] | None,
    chrome: SiteChrome | None = None,
    *,
    cache: Path | None = None,
    pages: Mapping[str, str] | None = None,
) -> str:
    """Build the site (in the warm process when one is waiting); raise DossierError on failure.

    With ``cache`` (a folder of `tooling.build_cache`), pages whose inputs are unchanged
    are taken from it. ``pages`` (path -> Markdown) are added to the docs folder's files in
    memory. Returns what the cache did, for the progress line ("" without one).
    """
    if _warm is not None:
        return _warm.run(config_file, docs_dir, site_dir, nav, chrome, cache, pages)
    return run_mkdocs(config_file, docs_dir, site_dir, nav, chrome, cache, pages)


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
    config_file: Path,
    docs_dir: Path,
    site_dir: Path,
    nav: list[Any] | None = None,
    chrome: SiteChrome | None = None,
    cache: Path | None = None,
    pages: Mapping[str, str] | None = None,
) -> str:
    """Run ``mkdocs build --strict`` in-process; any MkDocs warning becomes a DossierError.

    Args:
        config_file: mkdocs.yml.
        docs_dir: The generated pages and the files beside them.
        site_dir: Where MkDocs writes the site.
        nav: The navigation (mkdocs.yml form); None keeps mkdocs.yml's.
        chrome: The site's name, logo and footer, for the `dossiers` plugin to set.
        cache: The build cache's folder: pages whose inputs are unchanged come from there.
        pages: Pages (path -> Markdown) beside the docs folder's files, in memory.

    Returns:
        What the cache did ("" without one).
    """
    from tooling.engines import mkdocs_parallel

    return _strict_build(
        config_file,
        lambda: _load(config_file, docs_dir, site_dir, nav),
        chrome,
        pages,
        lambda cfg: mkdocs_parallel.build(cfg, cache=cache, fork=mkdocs_parallel.usable()),
    )


def _load(config_file: Path, docs_dir: Path, site_dir: Path, nav: list[Any] | None) -> Any:
    from mkdocs.config import load_config

    overrides: dict[str, Any] = {"docs_dir": str(docs_dir), "site_dir": str(site_dir)}
    if nav is not None:
        overrides["nav"] = nav
    return load_config(config_file=str(config_file), strict=True, **overrides)


def _strict_build(
    config_file: Path,
    load: Callable[[], Any],
    chrome: SiteChrome | None,
    pages: Mapping[str, str] | None,
    run: Callable[[Any], str],
) -> str:
    """Load the configuration and build with it; any MkDocs warning becomes a DossierError."""
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
    plugin: Any = None
    try:
        cfg = load()
        plugin = cfg.plugins.get("dossiers")
        if plugin is not None:
            plugin.pages_on_disk = True
            plugin.chrome = chrome
            plugin.pages = pages
        elif pages:
            raise DossierError(
                "mkdocs.yml does not list the `dossiers` plugin, which adds the pages",
                Location(config_file.name),
                hint="add `- dossiers` under `plugins:` (see docs/site.md)",
            )
        kept = run(cfg)
        if handler.messages:  # strict mode aborts on warnings; anything else logged is ours
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
        if plugin is not None:  # MkDocs keeps the plugin for the next build in this process
            plugin.pages_on_disk = False
            plugin.chrome = None
            plugin.pages = None
    return kept


class LiveSite:
    """The site of the live preview (`tooling.serve`): MkDocs loaded once, built again and
    again into the same folder, each time converting, rendering and writing only the pages
    that changed (`mkdocs_parallel.Session`). A change to mkdocs.yml or the theme overrides
    loads MkDocs' configuration anew. Builds run in this process: the first on two cores,
    later ones on one (the preview then serves from threads, and forking them is unsafe)."""

    def __init__(self, config_file: Path, docs_dir: Path, site_dir: Path, cache: Path | None):
        self.config_file, self.docs_dir, self.site_dir, self.cache = (
            config_file,
            docs_dir,
            site_dir,
            cache,
        )
        self._cfg: Any = None
        self._session: Any = None
        self._state: object = None
        self._custom: Path | None = None  # the theme's custom_dir (overrides)

    def build(self, nav: list[Any], chrome: SiteChrome | None) -> str:
        """Build the site from the docs folder; raise DossierError on a warning or failure."""
        from tooling.engines import mkdocs_parallel

        def load() -> Any:
            state = self._setup_state()
            if self._cfg is None or state != self._state:
                self._cfg = _load(self.config_file, self.docs_dir, self.site_dir, nav)
                custom = self._cfg.theme.custom_dir
                self._custom = Path(custom) if custom else None
                self._session, self._state = mkdocs_parallel.Session(), self._setup_state()
            else:
                self._cfg["nav"] = nav
            return self._cfg

        def run(cfg: Any) -> str:
            try:
                fork = mkdocs_parallel.usable()  # before the preview's threads start
                return mkdocs_parallel.build(
                    cfg, cache=self.cache, fork=fork, session=self._session
                )
            except BaseException:
                self._cfg = None  # a failed build leaves plugins half-way: load anew
                raise

        return _strict_build(self.config_file, load, chrome, None, run)

    def _setup_state(self) -> object:
        """What decides MkDocs' configuration: mkdocs.yml and the theme overrides' files."""
        paths = [self.config_file]
        if self._custom is not None and self._custom.is_dir():
            paths.extend(sorted(p for p in self._custom.rglob("*") if p.is_file()))
        found = []
        for path in paths:
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
        return found


class _WarmProcess:
    """A process that warms MkDocs up, then runs one build when asked."""

    def __init__(self, config_file: Path) -> None:
        import multiprocessing
        import threading

        self._conn: Any = None
        self._process: Any = None
        self._asked = False
        if sys.platform != "linux" or threading.active_count() > 1 or not config_file.is_file():
            return  # `run` builds in this process (and reports a missing mkdocs.yml)
        context = multiprocessing.get_context("fork")
        mine, theirs = context.Pipe()
        self._process = context.Process(
            target=_worker,
            args=(theirs, config_file, os.getpid()),
            name="mkdocs",
            daemon=True,
        )
        self._process.start()
        theirs.close()
        self._conn = mine

    def run(
        self,
        config_file: Path,
        docs_dir: Path,
        site_dir: Path,
        nav: list[Any] | None,
        chrome: SiteChrome | None = None,
        cache: Path | None = None,
        pages: Mapping[str, str] | None = None,
    ) -> str:
        """Build the site as `run_mkdocs` does; raise its DossierError on failure."""
        request = (config_file, docs_dir, site_dir, nav, chrome, cache, pages)
        if self._conn is None:
            return run_mkdocs(*request)
        self._asked = True
        try:
            self._conn.send(request)
            outcome = self._conn.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            self.close()
        if outcome is None:  # the process died (killed, out of memory): build here
            return run_mkdocs(*request)
        if outcome[0] == "error":
            _, message, location, hint = outcome
            raise DossierError(message, location, hint)
        return str(outcome[1])

    def close(self) -> None:
        """Stop the process if it still waits (the check failed, or the build is done)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            if self._process.is_alive() and not self._asked:
                self._process.terminate()  # still warming up for a build that will not come
            self._process.join(timeout=5)
            if self._process.is_alive():  # pragma: no cover - it exits when the pipe closes
                self._process.terminate()
                self._process.join()
            self._process = None

    def __enter__(self) -> _WarmProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _worker(conn: Any, config_file: Path, parent: int) -> None:
    """In the forked process: import and read the configuration once, then build on request."""
    import logging

    from tooling.processes import die_with_parent

    die_with_parent(parent)

    logger = logging.getLogger("mkdocs")
    propagate = logger.propagate
    logger.propagate = False  # the warm-up's own messages are of no interest
    try:
        from mkdocs.config import load_config

        with contextlib.suppress(Exception):  # the real build reports any problem
            load_config(config_file=str(config_file))
    finally:
        logger.propagate = propagate
    try:
        request = conn.recv()
    except (EOFError, OSError):
        return  # no build after all
    try:
        outcome: tuple[Any, ...] = ("ok", run_mkdocs(*request))
    except DossierError as exc:
        outcome = ("error", exc.message, exc.location, exc.hint)
    except Exception as exc:  # reported to the parent, never a traceback
        outcome = ("error", f"the site build failed: {exc}", Location(config_file.name), "")
    with contextlib.suppress(OSError):
        conn.send(outcome)

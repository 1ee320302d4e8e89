"""MkDocs in a process of its own, started before the pages exist.

`dossier build` spends its first second importing the toolkit, checking the dossiers and
writing the pages; importing MkDocs, Material, its plugins and Markdown extensions and
reading `mkdocs.yml` takes another 0.3 s before MkDocs builds anything. A process forked at
the start does the latter on the other core meanwhile, then waits for the pages and runs
`site.run_mkdocs` exactly as this process would. Where forking is unsafe (threads are
running) or unavailable, `run` builds in this process instead.

This module imports only the standard library and `diagnostics`, so that forking it is
the first thing `dossier build` does.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from tooling.diagnostics import DossierError, Location


class MkDocsProcess:
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
            target=_worker, args=(theirs, config_file), name="mkdocs", daemon=True
        )
        self._process.start()
        theirs.close()
        self._conn = mine

    def run(self, config_file: Path, docs_dir: Path, site_dir: Path, nav: list[Any] | None) -> None:
        """Build the site as `site.run_mkdocs` does; raise its DossierError on failure."""
        from tooling.site import run_mkdocs

        if self._conn is None:
            run_mkdocs(config_file, docs_dir, site_dir, nav)
            return
        self._asked = True
        try:
            self._conn.send((config_file, docs_dir, site_dir, nav))
            outcome = self._conn.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            self.close()
        if outcome is None:  # the process died (killed, out of memory): build here
            run_mkdocs(config_file, docs_dir, site_dir, nav)
        elif outcome[0] == "error":
            _, message, location, hint = outcome
            raise DossierError(message, location, hint)

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

    def __enter__(self) -> MkDocsProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _worker(conn: Any, config_file: Path) -> None:
    """In the forked process: import and read the configuration once, then build on request."""
    import logging

    logger = logging.getLogger("mkdocs")
    propagate = logger.propagate
    logger.propagate = False  # the warm-up's own messages are of no interest
    try:
        from mkdocs.config import load_config

        from tooling.site import run_mkdocs

        with contextlib.suppress(Exception):  # the real build reports any problem
            load_config(config_file=str(config_file))
    finally:
        logger.propagate = propagate
    try:
        request = conn.recv()
    except (EOFError, OSError):
        return  # no build after all
    try:
        run_mkdocs(*request)
        outcome: tuple[Any, ...] = ("ok",)
    except DossierError as exc:
        outcome = ("error", exc.message, exc.location, exc.hint)
    except Exception as exc:  # reported to the parent, never a traceback
        outcome = ("error", f"the site build failed: {exc}", Location(config_file.name), "")
    with contextlib.suppress(OSError):
        conn.send(outcome)

"""Checking many dossiers on two cores: the fast path behind `pipeline.check` (private).

Loading dominates a check: YAML, pydantic and BibTeX for every dossier. Helper processes
start before the retraction database is read and load dossiers meanwhile, without looking
their references up. They take dossiers in batches from this process, asking for the next
batch before working on the current one, so neither side idles and the work balances itself
whatever the machine. After loading a batch, a helper sends the DOIs of its references
and gets their records back (`RetractionDatabase.subset`, a few kilobytes), flags its
references and checks the batch at once, so that no work is left for the end, when this
process would wait. When no dossiers are left, it sends its results: counts and findings,
plus the checked dossiers, pickled, when the caller keeps them. This process loads dossiers too, and answers
the helpers between two of its own. A helper dies with this process, and a helper that dies
has its dossiers checked here.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tooling.checks import check_dossier
from tooling.config import Config
from tooling.diagnostics import Finding, Severity
from tooling.facts import Count, count
from tooling.history import at
from tooling.load import LoadedDossier, flag_references, load_dossier
from tooling.prose import RenderedProse
from tooling.retractions import RetractionDatabase, Snapshot


@dataclass(frozen=True)
class Tally:
    """What the summary counts of one dossier."""

    indications: int
    subgroups: int
    references: int
    flagged: int

    @classmethod
    def of(cls, dossier: LoadedDossier) -> Tally:
        found = count(dossier.model) if dossier.model is not None else Count(0, 0)
        return cls(found.indications, found.subgroups, len(dossier.references), len(dossier.flags))


@dataclass(frozen=True)
class CheckedDossier:
    """A dossier that was checked, with its prose rendered (None when its schema failed)."""

    loaded: LoadedDossier
    prose: RenderedProse | None


Result = tuple[CheckedDossier | None, Tally, list[Finding]]  # the dossier only when kept
OpenDatabase = Callable[[Config], RetractionDatabase]


def check_all(
    directories: list[Path],
    config: Config,
    open_db: OpenDatabase,
    jobs: int | None,
    keep: bool,
    as_of: dt.date | None = None,
) -> tuple[list[Result], Snapshot]:
    """Check every dossier folder, on ``jobs`` processes (None: decide by their number).

    With ``as_of``, each dossier is checked as it stood at the end of that day
    (`tooling.history.at`)."""
    if jobs is None:
        jobs = _default_jobs(len(directories))
    with _collector_paused():
        if jobs > 1 and len(directories) > 1:
            return _check_in_processes(directories, config, open_db, jobs, keep, as_of)
        db = open_db(config)
        results = [check_one(d, config, db, keep, as_of) for d in directories]
        return results, db.snapshot


_MANY_DOSSIERS = 50
_BATCH = 8  # dossiers per batch after the first
_MORE, _LOOKUP, _DONE = "more", "lookup", "done"


def _default_jobs(dossiers: int) -> int:
    if dossiers <= _MANY_DOSSIERS:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return min(2, cores)


def _finish(
    dossier: LoadedDossier, config: Config, keep: bool, as_of: dt.date | None = None
) -> Result:
    if as_of is not None:
        dossier = at(dossier, as_of)
    prose, findings = check_dossier(dossier, config.language)
    if as_of is None and dossier.model is not None and dossier.model.versions:
        findings = [*findings, *_versions_as_of(dossier, config.language, findings)]
    return (CheckedDossier(dossier, prose) if keep else None), Tally.of(dossier), findings


def _versions_as_of(
    dossier: LoadedDossier, language: str, found: list[Finding]
) -> Iterator[Finding]:
    """Errors of the dossier as it stood on each version's date that it has not now.

    A version is what the issuer published on its date, so the dossier must have been
    consistent then too (docs/history.md): a fact recorded later, or dated wrongly, can make
    the state of an earlier date contradict itself although today's is fine. A partial date
    counts from its first day, as `dossier release` renders it. Each error is said once,
    with the first version it appears in.
    """
    assert dossier.model is not None
    seen = {(f.code, f.location, f.message) for f in found}
    for version in dossier.model.versions:
        then = at(dossier, version.date.earliest())
        for finding in check_dossier(then, language)[1]:
            key = (finding.code, finding.location, finding.message)
            if finding.severity is not Severity.ERROR or key in seen:
                continue
            seen.add(key)
            yield replace(
                finding,
                message=f"as of version '{version.id}' ({version.date}): {finding.message}",
            )


def check_one(
    directory: Path,
    config: Config,
    db: RetractionDatabase,
    keep: bool = True,
    as_of: dt.date | None = None,
) -> Result:
    """Load and check one dossier folder in this process (what every helper does per dossier)."""
    return _finish(load_dossier(directory, config, db), config, keep, as_of)


def _helper_main(
    conn: Any, config: Config, keep: bool, parent: int, as_of: dt.date | None = None
) -> None:
    """A helper process: load the batches it is sent, then look up, check and report."""
    import gc
    import io

    from tooling.processes import die_with_parent

    die_with_parent(parent)
    gc.disable()  # a helper lives for one check; the collector would only slow it down
    results = []
    batch = conn.recv()
    while batch:
        conn.send((_MORE, None))  # the next batch arrives while this one loads
        loaded = [(index, load_dossier(directory, config, None)) for index, directory in batch]
        dois = {ref.doi_key for _, d in loaded for ref in d.references.values() if ref.doi_key}
        conn.send((_LOOKUP, dois))
        batch = conn.recv()  # the answers come in the order asked: the batch, then the records
        db: RetractionDatabase = conn.recv()
        for index, dossier in loaded:
            flagged = flag_references(dossier, db)
            results.append((index, _finish(flagged, config, keep, as_of)))
    buffer = io.BytesIO()
    _ModelPickler(buffer, protocol=5).dump((_DONE, results))
    conn.send_bytes(buffer.getbuffer())
    conn.close()


def _model_pickler() -> type:
    import pickle

    from pydantic import BaseModel

    class ModelPickler(pickle.Pickler):
        """Pickles pydantic models as their four attributes, which unpickle in half the time."""

        def reducer_override(self, obj: object) -> Any:
            if isinstance(obj, BaseModel):
                state = (
                    obj.__dict__,
                    obj.__pydantic_fields_set__,
                    obj.__pydantic_extra__,
                    obj.__pydantic_private__,
                )
                return _restore_model, (obj.__class__, *state)
            return NotImplemented

    return ModelPickler


def _restore_model(
    cls: type, values: dict[str, object], fields_set: set[str], extra: object, private: object
) -> object:
    """The model pickled by `_ModelPickler`, restored as pydantic's own __setstate__ does."""
    model: object = object.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", fields_set)
    object.__setattr__(model, "__pydantic_extra__", extra)
    object.__setattr__(model, "__pydantic_private__", private)
    return model


_ModelPickler = _model_pickler()


def _check_in_processes(
    directories: list[Path],
    config: Config,
    open_db: OpenDatabase,
    jobs: int,
    keep: bool,
    as_of: dt.date | None = None,
) -> tuple[list[Result], Snapshot]:
    import contextlib
    import multiprocessing
    import sys
    import threading
    from collections import deque
    from multiprocessing.connection import wait

    # Forking is cheapest; when threads run (forking them is unsafe), or off Linux, helpers
    # start fresh and receive the configuration pickled.
    method = "fork" if sys.platform == "linux" and threading.active_count() == 1 else "spawn"
    context: Any = multiprocessing.get_context(method)
    queue = deque(enumerate(directories))
    results: list[Result | None] = [None] * len(directories)
    helpers: dict[Any, tuple[Any, list[tuple[int, Path]]]] = {}  # conn -> process, given
    # A first batch large enough to keep a helper busy while this process reads the CSV.
    first = max(_BATCH, len(directories) // (4 * jobs))
    try:
        for _ in range(jobs - 1):
            mine, theirs = context.Pipe()
            process = context.Process(
                target=_helper_main,
                args=(theirs, config, keep, os.getpid(), as_of),
                daemon=True,
            )
            process.start()
            theirs.close()
            batch = [queue.popleft() for _ in range(min(first, len(queue)))]
            helpers[mine] = (process, batch)
            with contextlib.suppress(OSError):  # it died: serve() takes its batch back
                mine.send(batch)
        db = open_db(config)

        def serve(block: bool) -> None:
            conn: Any
            for conn in wait(list(helpers), timeout=None if block else 0):
                process, given = helpers[conn]
                try:
                    kind, payload = conn.recv()
                    if kind == _MORE:
                        batch = [queue.popleft() for _ in range(min(_BATCH, len(queue)))]
                        given.extend(batch)
                        conn.send(batch)
                    elif kind == _LOOKUP:
                        conn.send(db.subset(payload))
                    else:
                        for index, checked in payload:
                            results[index] = checked
                        del helpers[conn]
                        process.join()
                except (EOFError, OSError):  # the helper died (killed, out of memory)
                    del helpers[conn]
                    process.join()
                    queue.extend(pair for pair in given if results[pair[0]] is None)

        while queue or helpers:
            if queue:
                index, directory = queue.popleft()
                results[index] = check_one(directory, config, db, keep, as_of)
                serve(block=False)
            else:
                serve(block=True)
    finally:
        for conn, (process, _) in helpers.items():
            process.terminate()
            process.join()
            conn.close()
    assert all(checked is not None for checked in results)
    return results, db.snapshot  # type: ignore[return-value]


class _collector_paused:
    """Pause the cyclic garbage collector while dossiers load.

    Loading creates millions of objects that all survive; the collector would scan them
    again and again (it tripled the time of a 1,000-dossier check). Afterwards they move to
    the oldest generation at once (freeze + unfreeze), so young collections stay cheap.
    """

    def __enter__(self) -> None:
        import gc

        self._enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        import gc

        if gc.get_freeze_count() == 0:  # leave objects someone else froze alone
            gc.freeze()
            gc.unfreeze()
        if self._enabled:
            gc.enable()

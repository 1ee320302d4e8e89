"""The whole pipeline in one place: load -> check -> render -> publish.

Each stage takes the previous stage's result; the CLI and the tests both call these
functions. Rendering never starts when the check found errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tooling.checks import run_checks
from tooling.config import Config
from tooling.diagnostics import DossierError, Finding, Location, Severity
from tooling.load import LoadedDossier, discover, load_dossier
from tooling.retractions import RetractionDatabase, Snapshot


@dataclass(frozen=True)
class Tally:
    """What the summary counts of one dossier."""

    indications: int
    references: int
    flagged: int

    @classmethod
    def of(cls, dossier: LoadedDossier) -> Tally:
        from tooling.facts import walk_indications

        model = dossier.model
        indications = 0 if model is None else sum(1 for _ in walk_indications(model))
        return cls(indications, len(dossier.references), len(dossier.flags))


@dataclass(frozen=True)
class CheckResult:
    """What `dossier check` found: the loaded dossiers, the findings and the snapshot used.

    ``dossiers`` is empty when the check was asked not to keep them (`check(keep=False)`);
    ``tallies`` always holds one entry per dossier checked.
    """

    dossiers: list[LoadedDossier]
    findings: list[Finding]
    snapshot: Snapshot
    tallies: list[Tally]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def summary(self) -> dict[str, object]:
        """Counts for the summary line and for `--format json`."""
        return {
            "dossiers": len(self.tallies),
            "indications": sum(t.indications for t in self.tallies),
            "references": sum(t.references for t in self.tallies),
            "flagged_references": sum(t.flagged for t in self.tallies),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "retraction_database": {
                "path": self.snapshot.path,
                "sha256": self.snapshot.sha256,
                "date": self.snapshot.date,
                "records": self.snapshot.records,
            },
        }


def open_retraction_db(config: Config) -> RetractionDatabase:
    """The configured retraction database, verified against its pinned SHA-256 if any."""
    if config.retraction_db is None:
        return RetractionDatabase.empty()
    db = RetractionDatabase.from_csv(
        config.retraction_db,
        display=config.display(config.retraction_db),
        date=config.retraction_snapshot_date,
    )
    if config.retraction_sha256 and config.retraction_sha256.lower() != db.snapshot.sha256:
        raise DossierError(
            f"retraction database {db.snapshot.path} has SHA-256 {db.snapshot.sha256[:12]}..., "
            f"but dossier.toml pins {config.retraction_sha256[:12]}...",
            Location("dossier.toml"),
            hint="update [retractions] sha256 and snapshot_date when you replace the snapshot",
        )
    return db


def check(
    config: Config, paths: Sequence[Path] = (), jobs: int | None = None, *, keep: bool = True
) -> CheckResult:
    """Load every dossier (or those named) and run the consistency rules.

    Args:
        config: The project.
        paths: Dossier folders to check; all of the project's when empty.
        jobs: Processes that load and check dossiers (this one included). None picks 2 for
            more than 50 dossiers (when the machine has two cores) and 1 otherwise, because
            starting a process costs more than a small project takes. The result is the
            same whatever the number.
        keep: Keep the loaded dossiers in the result (rendering needs them). `dossier check`
            needs only findings and counts: without the dossiers, helpers send back a few
            bytes instead of pickled models, and memory stays flat.
    """
    db = open_retraction_db(config)
    directories = discover(config, paths)
    if jobs is None:
        jobs = _default_jobs(len(directories))
    with _collector_paused():
        if jobs > 1 and len(directories) > 1:
            checked = _check_in_processes(directories, config, db, jobs, keep)
        else:
            checked = [_load_and_check(directory, config, db, keep) for directory in directories]
    dossiers = [dossier for dossier, _, _ in checked if dossier is not None]
    findings = [finding for _, _, found in checked for finding in found]
    findings.sort(key=lambda f: f.sort_key)
    return CheckResult(dossiers, findings, db.snapshot, [tally for _, tally, _ in checked])


# --- How check() spreads the work (private) ----------------------------------------------
# Loading dominates a check: YAML, pydantic and BibTeX for every dossier. Helper processes
# (forked after the retraction database is read, so they share it) load a part each and send
# the loaded dossiers back pickled; this process loads the rest meanwhile, then unpickles
# theirs. Pickling costs a helper more than unpickling costs this process, so with one
# helper this process takes a bit more than half (measured on bench/check.py's corpus).
# Without the dossiers (keep=False) a helper sends only counts and findings, and the work is
# split evenly.

_MANY_DOSSIERS = 50
_OWN_SHARE = 0.55  # of the dossiers, with one helper; 2 * _OWN_SHARE / jobs with more
_OWN_SHARE_LIGHT = 0.5  # the same when the dossiers are not sent back
_CHUNK = 25  # dossiers per task sent to a helper
Checked = tuple[LoadedDossier | None, Tally, list[Finding]]  # the dossier only when kept
_helper_state: tuple[Config, RetractionDatabase] | None = None


def _default_jobs(dossiers: int) -> int:
    import os

    if dossiers <= _MANY_DOSSIERS:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        cores = os.cpu_count() or 1
    return min(2, cores)


def _load_and_check(
    directory: Path, config: Config, db: RetractionDatabase, keep: bool = True
) -> Checked:
    dossier = load_dossier(directory, config, db)
    findings = [*dossier.findings, *run_checks(dossier)]
    return (dossier if keep else None), Tally.of(dossier), findings


def _helper_start(config: Config, db: RetractionDatabase) -> None:
    import gc

    global _helper_state
    gc.disable()  # a helper lives for one check; the collector would only slow it down
    _helper_state = (config, db)


def _helper_check(directories: list[Path], keep: bool) -> bytes:
    import io

    assert _helper_state is not None
    config, db = _helper_state
    checked = [_load_and_check(directory, config, db, keep) for directory in directories]
    buffer = io.BytesIO()
    _ModelPickler(buffer, protocol=5).dump(checked)
    return buffer.getvalue()


def _model_pickler() -> type:
    import pickle
    from typing import Any

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
    directories: list[Path], config: Config, db: RetractionDatabase, jobs: int, keep: bool
) -> list[Checked]:
    import multiprocessing
    import pickle
    import sys
    import threading
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    helpers = jobs - 1
    share = _OWN_SHARE if keep else _OWN_SHARE_LIGHT
    own = max(1, round(len(directories) * share * 2 / (helpers + 1)))
    mine, theirs = directories[:own], directories[own:]
    # Forking shares the database without copying it; elsewhere, or when threads run (forking
    # them is unsafe), helpers start fresh and receive config and database pickled.
    method = "fork" if sys.platform == "linux" and threading.active_count() == 1 else None
    pool = ProcessPoolExecutor(
        max_workers=helpers,
        mp_context=multiprocessing.get_context(method),
        initializer=_helper_start,
        initargs=(config, db),
    )
    chunks = [theirs[i : i + _CHUNK] for i in range(0, len(theirs), _CHUNK)]
    try:
        pending = deque(pool.submit(_helper_check, chunk, keep) for chunk in chunks)
        checked = [_load_and_check(directory, config, db, keep) for directory in mine]
        for chunk in chunks:
            future = pending.popleft()  # dropped after use, and the pickle it holds with it
            try:
                checked.extend(pickle.loads(future.result()))
            except BrokenProcessPool:  # a helper died (killed, out of memory): do it here
                checked.extend(_load_and_check(directory, config, db, keep) for directory in chunk)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return checked


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

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
class CheckResult:
    """What `dossier check` found: the loaded dossiers, the findings and the snapshot used."""

    dossiers: list[LoadedDossier]
    findings: list[Finding]
    snapshot: Snapshot

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    def summary(self) -> dict[str, object]:
        """Counts for the summary line and for `--format json`."""
        valid = [d for d in self.dossiers if d.model is not None]
        from tooling.facts import walk_indications

        return {
            "dossiers": len(self.dossiers),
            "indications": sum(1 for d in valid for _ in walk_indications(d.model)),  # type: ignore[arg-type]
            "references": sum(len(d.references) for d in self.dossiers),
            "flagged_references": sum(len(d.flags) for d in self.dossiers),
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


def check(config: Config, paths: Sequence[Path] = ()) -> CheckResult:
    """Load every dossier (or those named) and run the consistency rules."""
    db = open_retraction_db(config)
    dossiers = [load_dossier(directory, config, db) for directory in discover(config, paths)]
    findings: list[Finding] = []
    for dossier in dossiers:
        findings.extend(dossier.findings)
        findings.extend(run_checks(dossier))
    findings.sort(key=lambda f: f.sort_key)
    return CheckResult(dossiers, findings, db.snapshot)

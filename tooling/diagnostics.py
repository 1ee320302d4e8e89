"""Locations, findings and the exceptions that carry them to the command line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path


class Severity(StrEnum):
    """How serious a finding is: errors block a publishable build, warnings are shown."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a source file; line and column are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line and self.column:
            return f"{self.path}:{self.line}:{self.column}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in the input, with a stable code and a location."""

    code: str
    severity: Severity
    message: str
    location: Location
    hint: str = ""

    def format(self) -> str:
        """Render as ``path:line:col: CODE severity: message``."""
        text = f"{self.location}: {self.code} {self.severity.value}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.path, self.location.line, self.location.column, self.code)


class DossierError(Exception):
    """Unusable input or configuration; the CLI turns it into exit code 2."""

    def __init__(self, message: str, location: Location | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        prefix = f"{self.location}: " if self.location else ""
        suffix = f" ({self.hint})" if self.hint else ""
        return f"{prefix}error: {self.message}{suffix}"


def findings_to_json(findings: Sequence[Finding], summary: dict[str, object]) -> str:
    """Serialise findings and a summary for ``--format json``."""
    return json.dumps(
        {"summary": summary, "findings": [f.to_json() for f in findings]},
        ensure_ascii=False,
        indent=2,
    )


def relpath(path: Path, root: Path | None = None) -> str:
    """Show a path relative to the working directory (or ``root``) when it is below it."""
    base = root or Path.cwd()
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)

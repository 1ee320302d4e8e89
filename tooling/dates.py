"""Dates that may be known only to the year or month, as the sources often give them."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
JSON_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"


@dataclass(frozen=True, slots=True, order=False)
class PartialDate:
    """A calendar date known to the day, the month or only the year.

    Sources say "in 2022" or "in september"; recording a made-up day would invent a fact,
    so the model keeps the precision the source has and compares by the range it spans.
    """

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; raise ValueError with the reason."""
        match = _PATTERN.match(text.strip())
        if not match:
            raise ValueError(f"'{text}' is not a date of the form YYYY-MM-DD, YYYY-MM or YYYY")
        year, month, day = (int(g) if g else None for g in match.groups())
        assert year is not None
        if year < 1:
            raise ValueError(f"'{text}' has year {year}; years start at 0001")
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"'{text}' has month {month}; months run from 01 to 12")
        if day is not None:
            assert month is not None
            last = calendar.monthrange(year, month)[1]
            if not 1 <= day <= last:
                raise ValueError(f"'{text}' does not exist: {year}-{month:02d} has {last} days")
        return cls(year, month, day)

    @classmethod
    def of(cls, value: dt.date) -> PartialDate:
        return cls(value.year, value.month, value.day)

    @property
    def is_exact(self) -> bool:
        return self.day is not None

    def earliest(self) -> dt.date:
        """First day this date may stand for."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        """Last day this date may stand for."""
        month = self.month or 12
        day = self.day or calendar.monthrange(self.year, month)[1]
        return dt.date(self.year, month, day)

    def surely_before(self, other: PartialDate) -> bool:
        """True when every day this date may mean lies before every day ``other`` may mean."""
        return self.latest() < other.earliest()

    def __str__(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    def __lt__(self, other: PartialDate) -> bool:
        return (self.earliest(), self.latest()) < (other.earliest(), other.latest())

    def __le__(self, other: PartialDate) -> bool:
        return self == other or self < other

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate, serialization=core_schema.to_string_ser_schema()
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "anyOf": [
                {"type": "string", "pattern": JSON_PATTERN},
                {"type": "integer", "minimum": 1000, "maximum": 9999},
            ],
            "description": "A date: YYYY-MM-DD, or YYYY-MM / YYYY when the source is no more precise.",
        }


def coerce(value: Any) -> PartialDate | None:
    """A date as YAML may give it (a date, 'YYYY-MM', 'YYYY', a year number), else None.

    Raises:
        ValueError: A string that is no date of the calendar (with the reason).
    """
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.datetime):
        return PartialDate.of(value.date())
    if isinstance(value, dt.date):
        return PartialDate.of(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return PartialDate(value)
    if isinstance(value, str):
        return PartialDate.parse(value)
    return None


def _validate(value: Any) -> PartialDate:
    try:
        date = coerce(value)
    except ValueError as exc:
        raise PydanticCustomError("date_invalid", "{reason}", {"reason": str(exc)}) from None
    if date is None:
        raise PydanticCustomError(
            "date_type", "expected a date (YYYY-MM-DD), got {kind}", {"kind": type(value).__name__}
        )
    return date

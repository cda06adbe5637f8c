"""Dates whose year may be unknown: birthdays and anniversaries ("MM-DD" or "YYYY-MM-DD")."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PATTERN = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")
INVALID_MESSAGE = _('Enter a real date as "YYYY-MM-DD" or "MM-DD" (for example "1985-03-14" or "03-14").')


@dataclass(frozen=True, slots=True)
class PartialDate:
    month: int
    day: int
    year: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValidationError(INVALID_MESSAGE, code="invalid")
        # Without a year, 29 February is a real date (it is celebrated on the 28th in other years).
        leap_or_year = self.year if self.year is not None else 2000
        if self.year is not None and not 1900 <= self.year <= 2100:
            raise ValidationError(INVALID_MESSAGE, code="invalid")
        if not 1 <= self.day <= calendar.monthrange(leap_or_year, self.month)[1]:
            raise ValidationError(INVALID_MESSAGE, code="invalid")

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
        if not match:
            raise ValidationError(INVALID_MESSAGE, code="invalid")
        year, month, day = match.groups()
        return cls(month=int(month), day=int(day), year=int(year) if year else None)

    def __str__(self) -> str:
        md = f"{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}-{md}" if self.year is not None else md


def occurrence_in(year: int, month: int, day: int) -> date:
    """The day a yearly date (a birthday, an anniversary) is celebrated in year: 29 February is celebrated
    on 28 February in common years. The one definition of that rule; the others derive from it."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_occurrence(month: int, day: int, today: date) -> date:
    """The next day (today included) on which a yearly date is celebrated."""
    this_year = occurrence_in(today.year, month, day)
    return this_year if this_year >= today else occurrence_in(today.year + 1, month, day)


def celebrated_on(day: date) -> list[tuple[int, int]]:
    """The (month, day) dates celebrated on day: itself, and 29 February on 28 February of a common year."""
    pairs = [(day.month, day.day)]
    if (day.month, day.day) != (2, 29) and occurrence_in(day.year, 2, 29) == day:
        pairs.append((2, 29))
    return pairs

"""What the managers' dashboard shows, put together from the figures (personalization.metrics.selectors, each
figure defined once in figures.py) and the rows read at request time (drilldown, insights): the range and its
comparison, the cards, the charts and every table — the screen and the CSV files read the same tables.

The range: ?from=&to= (local days of the property), by default this month so far. The comparison: a range that is
one calendar month from its first day (this month so far, last month) is compared with the whole month before;
any other range with the range of the same length just before it (metrics_for's "previous"). Counts are compared
(up, down) only between ranges of the same length; rates, averages and medians always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from crm.models import Organization, Property
from personalization.metrics.drilldown import Period
from personalization.metrics.selectors import previous_range

GRANULARITY_NAMES = {
    "day": pgettext_lazy("granularity", "Day"),
    "week": pgettext_lazy("granularity", "Week"),
    "month": pgettext_lazy("granularity", "Month"),
}


@dataclass(frozen=True)
class Scope:
    """Where and when the dashboard looks."""

    organization: Organization
    place: Property | None  # None: the whole organization
    start: date
    end: date
    previous_start: date
    previous_end: date
    granularity: str
    now: datetime

    @property
    def property_id(self) -> int | None:
        return self.place.pk if self.place else None

    @property
    def same_length(self) -> bool:
        return (self.end - self.start) == (self.previous_end - self.previous_start)

    def period(self, *, start: date | None = None, end: date | None = None) -> Period:
        """The drill-downs' period of this scope (or of another range at this place)."""
        return Period(self.organization, self.property_id, start or self.start, end or self.end)

    def query(self, *, start: date | None = None, end: date | None = None, **extra) -> str:
        """The query string of this scope (another range's, with extra parameters)."""
        params = {"property": self.place.pk if self.place else "all"}
        params |= {"from": (start or self.start).isoformat(), "to": (end or self.end).isoformat()}
        params |= {"granularity": self.granularity, **{k: v for k, v in extra.items() if v not in (None, "")}}
        return urlencode(params)

    def rows_url(self, kind: str, *, start: date | None = None, end: date | None = None, **extra) -> str:
        return reverse("metrics:rows", args=[kind]) + "?" + self.query(start=start, end=end, **extra)

    @property
    def place_slug(self) -> str:
        return f"property-{self.place.pk}" if self.place else "all"


def comparison_range(start: date, end: date) -> tuple[date, date]:
    """The range a range is compared with: the API's (selectors.previous_range)."""
    return previous_range(start, end)


def percent(rate: float | None) -> str:
    return "–" if rate is None else f"{round(rate * 100)}%"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 3600:
        return _("%(n)s min") % {"n": max(1, round(seconds / 60)) if seconds else 0}
    if seconds < 2 * 86400:
        return _("%(n)s h") % {"n": f"{seconds / 3600:.1f}".rstrip("0").rstrip(".")}
    return _("%(n)s d") % {"n": f"{seconds / 86400:.1f}".rstrip("0").rstrip(".")}


def average(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def plain(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an axis's 10.0 reads as 10
    return "–" if value is None else str(value)


def period_name(start: date, end: date, granularity: str) -> str:
    if start == end:
        return date_format(start, "SHORT_DATE_FORMAT")
    return f"{date_format(start, 'SHORT_DATE_FORMAT')} – {date_format(end, 'SHORT_DATE_FORMAT')}"


def short_label(start: date, granularity: str) -> str:
    return f"{start.year}-{start.month:02d}" if granularity == "month" else f"{start.month}/{start.day}"


def moment(at: datetime | None) -> str:
    return "" if at is None else date_format(at, "SHORT_DATETIME_FORMAT")

"""The reads of the figures: day counters summed into periods, medians read from the duration histograms."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Property, Staff
from personalization.metrics import figures
from personalization.models.metrics import ALL, COUNTERS, MetricDay, MetricDuration

GRANULARITIES = ("day", "week", "month")
MAX_DAYS = 1096  # three years: two years against the year before them


def range_of(
    *, organization_id: int, place: Property | None, start: date | None, end: date | None
) -> tuple[date, date]:
    """The range asked for, with its defaults: to today at the place (the organization's first property for the
    whole organization), from the first day of that month. ValidationError (a field message) when it ends before
    it starts or is longer than MAX_DAYS."""
    zone_place = place or Property.objects.default_of(organization_id)
    today = timezone.now().astimezone(zone_place.zone()).date() if zone_place else timezone.localdate()
    end = end or today
    start = start or end.replace(day=1)
    if end < start:
        raise ValidationError({"to": [_("The range ends before it starts.")]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError({"from": [_("Ask for at most %(days)s days at a time.") % {"days": MAX_DAYS}]})
    return start, end


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive


def periods_of(start: date, end: date, granularity: str) -> list[Period]:
    """The calendar days, ISO weeks (Monday to Sunday) or months from start to end, the first and last clipped."""
    periods, cursor = [], start
    while cursor <= end:
        if granularity == "day":
            last = cursor
        elif granularity == "week":
            last = cursor + timedelta(days=6 - cursor.weekday())
        else:
            following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
            last = following - timedelta(days=1)
        periods.append(Period(cursor, min(last, end)))
        cursor = min(last, end) + timedelta(days=1)
    return periods


def previous_range(start: date, end: date) -> tuple[date, date]:
    """The range of the same length just before this one (what "the previous period" is compared with)."""
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _zero() -> dict:
    counts: dict = dict.fromkeys(COUNTERS, 0)
    counts["delight_cost"] = Decimal(0)
    return counts


def _counters(organization_id: int, place: int, staff: int, periods: list[Period]) -> tuple[list[dict], dict]:
    """The summed counters of each period and of them all."""
    starts = [period.start for period in periods]
    per_period, total = [_zero() for _ in periods], _zero()
    names = [*COUNTERS, "delight_cost"]
    rows = MetricDay.objects.filter(
        organization_id=organization_id,
        property_key=place,
        staff_key=staff,
        day__gte=periods[0].start,
        day__lte=periods[-1].end,
    ).values_list("day", *names)
    for day, *values in rows:
        target = per_period[bisect_right(starts, day) - 1]
        for name, value in zip(names, values, strict=True):
            target[name] += value
            total[name] += value
    return per_period, total


# The ⌈n/2⌉-th and ⌈0.9·n⌉-th smallest of each (group, measure): the first bucket whose running count reaches
# them. Window functions: PostgreSQL and SQLite ≥ 3.25 alike. The group is the period's number, or the staff key.
_QUANTILES = """
WITH h AS (
    SELECT {group} AS grp, measure, bucket, SUM("count") AS n
    FROM {table}
    WHERE organization_id = %s AND day >= %s AND day <= %s AND {where}
    GROUP BY 1, 2, 3
), c AS (
    SELECT grp, measure, bucket,
           SUM(n) OVER (PARTITION BY grp, measure ORDER BY bucket) AS below,
           SUM(n) OVER (PARTITION BY grp, measure) AS total
    FROM h
)
SELECT grp, measure,
       MIN(CASE WHEN below * 2 >= total THEN bucket END),
       MIN(CASE WHEN below * 10 >= total * 9 THEN bucket END)
FROM c GROUP BY grp, measure
"""


def _quantiles(
    organization_id: int,
    start: date,
    end: date,
    *,
    where: str,
    where_params: list,
    group: str = "0",
    group_params: list | None = None,
) -> dict:
    """{group: {measure: {"median": s, "p90": s}}} of the durations of the days start..end matching `where`
    (SQL of our own, its values parameters)."""
    sql = _QUANTILES.format(group=group, table=MetricDuration._meta.db_table, where=where)
    found: dict = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*(group_params or []), organization_id, start, end, *where_params])
        for grp, measure, median, p90 in cursor.fetchall():
            found.setdefault(grp, {})[measure] = {"median": figures.seconds_of(median), "p90": figures.seconds_of(p90)}
    return found


def _period_case(periods: list[Period]) -> tuple[str, list]:
    """SQL numbering each day with its period (0, 1, …), and its parameters."""
    if len(periods) == 1:
        return "0", []
    whens = " ".join("WHEN day < %s THEN " + str(i) for i in range(len(periods) - 1))
    return f"CASE {whens} ELSE {len(periods) - 1} END", [period.end + timedelta(days=1) for period in periods[:-1]]


def metrics_for(*, organization_id: int, property_id: int | None, start: date, end: date, granularity: str) -> dict:
    """{"periods": [{"start", "end", …figures}], "totals": {…figures}, "previous": {…figures of the range of the
    same length just before}} of one property (None: the whole organization), all staff."""
    place = ALL if property_id is None else property_id
    periods = periods_of(start, end, granularity)
    per_period, total = _counters(organization_id, place, ALL, periods)
    case, case_params = _period_case(periods)
    one_place = {"where": "property_key = %s AND staff_key = %s", "where_params": [place, ALL]}
    durations = _quantiles(organization_id, start, end, group=case, group_params=case_params, **one_place)
    totals = _quantiles(organization_id, start, end, **one_place)
    before = Period(*previous_range(start, end))
    _none, previous_counts = _counters(organization_id, place, ALL, [before])
    previous_durations = _quantiles(organization_id, before.start, before.end, **one_place)
    return {
        "periods": [
            {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                **figures.figures(counts, durations.get(i, {})),
            }
            for i, (period, counts) in enumerate(zip(periods, per_period, strict=True))
        ],
        "totals": figures.figures(total, totals.get(0, {})),
        "previous": {
            "start": before.start.isoformat(),
            "end": before.end.isoformat(),
            **figures.figures(previous_counts, previous_durations.get(0, {})),
        },
    }


def staff_named(*, organization_id: int, user_ids) -> dict[int, dict]:
    """{user id: {"id", "username", "name"}} of the organization's staff among user_ids (a member who left keeps
    their id, with no name)."""
    rows = Staff.objects.filter(organization_id=organization_id, user_id__in=list(user_ids)).values_list(
        "user_id", "user__username", "user__first_name", "user__last_name"
    )
    return {
        user_id: {"id": user_id, "username": username, "name": f"{first} {last}".strip() or username}
        for user_id, username, first, last in rows
    }


def metrics_by_staff(*, organization_id: int, property_id: int | None, start: date, end: date) -> dict[int, dict]:
    """{user id: the range's figures of what they did} for the managers' staff table (never shown to front
    desk). The organization's figures per member of staff add up every property's."""
    place_filter = {} if property_id is None else {"property_key": property_id}
    names = [*COUNTERS, "delight_cost"]
    rows = (
        MetricDay.objects.filter(organization_id=organization_id, staff_key__gt=0, day__gte=start, day__lte=end)
        .filter(**place_filter)
        .exclude(property_key=ALL)
        .values_list("staff_key", *names)
    )
    counts: dict[int, dict] = {}
    for staff_id, *values in rows:
        target = counts.setdefault(staff_id, _zero())
        for name, value in zip(names, values, strict=True):
            target[name] += value
    # Each member of staff's own rows: of this property, or of every property (not the organization's ALL row).
    where = "staff_key > 0 AND " + ("property_key = %s" if property_id is not None else "property_key <> %s")
    durations = _quantiles(
        organization_id,
        start,
        end,
        where=where,
        where_params=[property_id if property_id is not None else ALL],
        group="staff_key",
    )
    return {staff_id: figures.figures(c, durations.get(staff_id, {})) for staff_id, c in counts.items()}

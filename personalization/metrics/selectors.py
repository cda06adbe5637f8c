"""The reads of the figures: day counters summed into periods, medians read from the duration histograms."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Property, Staff
from personalization.metrics import figures
from personalization.models.metrics import ALL, COUNTERS, MetricDay, MetricDuration, Span

GRANULARITIES = ("day", "week", "month")
CENT = Decimal("0.01")
MAX_DAYS = 1096  # three years: two years against the year before them


def today_at(*, organization_id: int, place: Property | None, now: datetime | None = None) -> date:
    """Today at the place (for the whole organization: at its first property, where its days are counted)."""
    zone_place = place or Property.objects.default_of(organization_id)
    now = now or timezone.now()
    return now.astimezone(zone_place.zone()).date() if zone_place else timezone.localdate(now)


def range_defaults(
    *, organization_id: int, place: Property | None, start: date | None, end: date | None, now: datetime | None = None
) -> tuple[date, date]:
    """The range asked for, its gaps filled: to today at the place, from the first day of that month."""
    end = end or today_at(organization_id=organization_id, place=place, now=now)
    return start or end.replace(day=1), end


def range_check(start: date, end: date) -> None:
    """ValidationError (a field message) when a range ends before it starts or is longer than MAX_DAYS."""
    if end < start:
        raise ValidationError({"to": [_("The range ends before it starts.")]})
    if (end - start).days + 1 > MAX_DAYS:
        raise ValidationError({"from": [_("Ask for at most %(days)s days at a time.") % {"days": MAX_DAYS}]})


def range_of(
    *, organization_id: int, place: Property | None, start: date | None, end: date | None
) -> tuple[date, date]:
    """range_defaults, then range_check."""
    start, end = range_defaults(organization_id=organization_id, place=place, start=start, end=end)
    range_check(start, end)
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
    """What a range is compared with: a month, or a month so far, against the whole month before it ("this month
    against the last"); any other range against the range of the same length just before it."""
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        last = start - timedelta(days=1)
        return last.replace(day=1), last
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _values(rows: list[tuple], casts: tuple[str, ...]) -> tuple[str, list]:
    """A table of rows to join with, as the body of a WITH and its parameters: on PostgreSQL one array parameter a
    column (unnest), so the statement's text is the same whatever the number of rows (psycopg spent ~15 ms splitting
    a VALUES list of a thousand parameters); on SQLite a VALUES list."""
    if connection.vendor == "postgresql":
        columns = [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in casts]
        arrays = ", ".join(f"CAST(%s AS {cast}[])" for cast in casts)
        return f"SELECT * FROM unnest({arrays})", columns  # noqa: S608 (our types; the values are parameters)
    row = "(" + ", ".join(["%s"] * len(casts)) + ")"
    return "VALUES " + ", ".join([row] * len(rows)), [value for row in rows for value in row]


def _zero() -> dict:
    counts: dict = dict.fromkeys(COUNTERS, 0)
    counts["delight_cost"] = Decimal(0)
    return counts


def _counters(organization_id: int, place: int, staff: int, ranges: list[Period]) -> list[dict]:
    """The counters of each range summed by the database, all zero for a range without a row: ranges that follow
    one another, day after day (the previous range, then the periods), so each day row is read once and grouped
    by the last range start it has reached — one statement, one row back a range."""
    names = [*COUNTERS, "delight_cost"]
    table = MetricDay._meta.db_table
    sums = ", ".join(f"SUM(d.{name})" for name in names)
    group = " ".join(f"WHEN d.day >= %s THEN {grp}" for grp in range(len(ranges) - 1, 0, -1))
    sql = (
        f"SELECT CASE {group} ELSE 0 END AS grp, {sums} FROM {table} d"  # noqa: S608 (our names; values are parameters)
        " WHERE d.organization_id = %s AND d.property_key = %s AND d.staff_key = %s AND d.day BETWEEN %s AND %s"
        " GROUP BY grp"
    )
    starts = [period.start for period in reversed(ranges[1:])]
    found = [_zero() for _ in ranges]
    # Hand-written SQL takes the road the ORM would (a replica in the views config/routers.py names).
    with connections[router.db_for_read(MetricDay)].cursor() as cursor:
        cursor.execute(sql, [*starts, organization_id, place, staff, ranges[0].start, ranges[-1].end])
        for grp, *values in cursor.fetchall():
            *counts, cost = values
            found[grp] = dict(zip(COUNTERS, map(int, counts), strict=True))
            # SQLite sums the decimal column as a float: back to cents.
            found[grp]["delight_cost"] = cost if isinstance(cost, Decimal) else Decimal(str(cost)).quantize(CENT)
    return found


def _added(counts: list[dict]) -> dict:
    """Counters of several ranges added up."""
    total = _zero()
    for one in counts:
        for name, value in one.items():
            total[name] += value
    return total


def spans_covering(start: date, end: date) -> list[tuple[str, date]]:
    """The fewest stored spans (days, ISO weeks, months) that cover start..end exactly, months first, then weeks,
    where several coverings are as few: the shortest path from start to the day after end, each span a step."""
    days = (end - start).days + 1
    monday = -start.weekday() % 7  # the first Monday, in days from start
    months, first = {}, date(start.year, start.month, 1)  # {days from start: the month's length} of each 1st
    while first <= end:
        following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        if first >= start:
            months[(first - start).days] = (following - first).days
        first = following
    # fewest[i]: (spans from day i to the end, the first one's span, its days); filled from the end backwards.
    fewest: list[tuple[int, str, int]] = [(0, "", 0)] * (days + 1)
    for i in range(days - 1, -1, -1):
        best = (fewest[i + 1][0] + 1, Span.DAY.value, 1)
        if (i - monday) % 7 == 0 and i + 7 <= days and fewest[i + 7][0] + 1 <= best[0]:
            best = (fewest[i + 7][0] + 1, Span.WEEK.value, 7)
        length = months.get(i)
        if length and i + length <= days and fewest[i + length][0] + 1 <= best[0]:
            best = (fewest[i + length][0] + 1, Span.MONTH.value, length)
        fewest[i] = best
    covering, i = [], 0
    while i < days:
        _count, span, length = fewest[i]
        covering.append((span, start + timedelta(days=i)))
        i += length
    return covering


def _summaries(
    organization_id: int, place: int, spans: list[tuple[str, date]], merged: set[tuple[str, date]]
) -> dict[tuple[str, date], dict[str, tuple[int | None, int | None, dict | None]]]:
    """{(span, day): {measure: (median bucket, p90 bucket, coarse counts or None)}} of these spans, all staff, the
    coarse counts only of the spans in `merged`: one statement, a row per span and measure."""
    if not spans:
        return {}
    values, params = _values([(span, day, int((span, day) in merged)) for span, day in spans], ("text", "date", "int"))
    table = MetricDuration._meta.db_table
    sql = (
        f"WITH g(span, day, merged) AS ({values}) SELECT d.span, d.day, d.measure, d.median_bucket,"  # noqa: S608 (our names)
        f" d.p90_bucket, CASE WHEN g.merged = 1 THEN d.coarse END FROM {table} d JOIN g ON d.span = g.span"
        " AND d.day = g.day WHERE d.organization_id = %s AND d.property_key = %s AND d.staff_key = %s"
    )
    found: dict[tuple[str, date], dict] = {}
    with connections[router.db_for_read(MetricDuration)].cursor() as cursor:
        cursor.execute(sql, [*params, organization_id, place, ALL])
        for span, day, measure, median, p90, coarse in cursor.fetchall():
            day = date.fromisoformat(day) if isinstance(day, str) else day
            coarse = json.loads(coarse) if isinstance(coarse, str) else coarse
            found.setdefault((span, day), {})[measure] = (median, p90, coarse)
    return found


def _fine_counts(
    organization_id: int, place: int, wanted: set[tuple[str, date, str, int]]
) -> dict[tuple, dict[int, int]]:
    """{(span, day, measure, coarse bucket): {bucket: n}} of the buckets inside these coarse buckets of these spans'
    histograms, all staff: one statement, each taking one coarse bucket's object out of its histogram
    (figures.grouped)."""
    if not wanted:
        return {}
    values, params = _values(sorted(wanted), ("text", "date", "text", "int"))
    table = MetricDuration._meta.db_table
    if connection.vendor == "postgresql":
        inside = "d.counts -> CAST(g.coarse AS text)"
    else:
        inside = "json_extract(d.counts, '$.\"' || g.coarse || '\"')"
    sql = (
        f"WITH g(span, day, measure, coarse) AS ({values}) SELECT g.span, g.day, g.measure, g.coarse, {inside}"  # noqa: S608 (our names)
        f" FROM {table} d JOIN g ON d.span = g.span AND d.day = g.day AND d.measure = g.measure"
        " WHERE d.organization_id = %s AND d.property_key = %s AND d.staff_key = %s"
    )
    found: dict[tuple, dict[int, int]] = {}
    with connections[router.db_for_read(MetricDuration)].cursor() as cursor:
        cursor.execute(sql, [*params, organization_id, place, ALL])
        for span, day, measure, coarse, buckets in cursor.fetchall():
            day = date.fromisoformat(day) if isinstance(day, str) else day
            buckets = json.loads(buckets) if isinstance(buckets, str) else buckets or {}
            found[(span, day, measure, coarse)] = {int(bucket): n for bucket, n in buckets.items()}
    return found


def _durations(organization_id: int, place: int, ranges: list[tuple[date, date]]) -> list[dict]:
    """{measure: {"median", "p90"}} (seconds, figures.seconds_of) of the durations of each range, all staff, from
    the histograms of the spans covering it (spans_covering): a range that is one span reads its quantiles as kept;
    a range of several finds each quantile's coarse bucket from the spans' coarse counts added up, then reads only
    the buckets inside it — the same buckets, by the same rule (figures.rank_reached), as adding up the whole
    histograms. Two statements, whatever the ranges."""
    covering = [spans_covering(start, end) for start, end in ranges]
    merged = {span for spans in covering if len(spans) > 1 for span in spans}
    summaries = _summaries(organization_id, place, sorted({span for spans in covering for span in spans}), merged)
    found: list[dict] = [{} for _ in ranges]
    # (range, measure, quantile): (its coarse bucket, durations below that, durations in the range)
    crossings: dict[tuple[int, str, str], tuple[int, int, int]] = {}
    wanted: set[tuple[str, date, str, int]] = set()
    coarse_of: dict[tuple[tuple[str, date], str], dict] = {}
    for grp, spans in enumerate(covering):
        if len(spans) == 1:
            for measure, (median, p90, _coarse) in summaries.get(spans[0], {}).items():
                if median is not None:
                    found[grp][measure] = {"median": figures.seconds_of(median), "p90": figures.seconds_of(p90)}
            continue
        coarse: dict[str, Counter] = {}
        for span in spans:
            for measure, (_median, _p90, counts) in summaries.get(span, {}).items():
                coarse_of[(span, measure)] = counts
                coarse.setdefault(measure, Counter()).update({int(c): n for c, n in counts.items()})
        for measure, counts in coarse.items():
            buckets = sorted((c, n) for c, n in counts.items() if n)
            total = sum(n for _c, n in buckets)
            if not total:
                continue
            for quantile in figures.QUANTILES:
                c, below = figures.crossing(buckets, total, quantile)
                crossings[(grp, measure, quantile)] = (c, below, total)
                # Only the spans with durations in that coarse bucket.
                wanted.update(
                    (*span, measure, c) for span in spans if (coarse_of.get((span, measure)) or {}).get(str(c))
                )
    fine = _fine_counts(organization_id, place, wanted)
    for (grp, measure, quantile), (c, below, total) in crossings.items():
        inside: Counter = Counter()
        for span in covering[grp]:
            inside.update(fine.get((*span, measure, c), {}))
        bucket, _below = figures.crossing(sorted(inside.items()), total, quantile, below)
        found[grp].setdefault(measure, {})[quantile] = figures.seconds_of(bucket)
    return found


def _quantiles(histograms: dict[str, Counter | dict]) -> dict[str, dict[str, int | None]]:
    """{measure: {"median", "p90"}} in seconds of each measure's histogram ({bucket: n}, buckets as JSON keeps them:
    text): figures.quantile_buckets read back from their buckets (figures.seconds_of)."""
    answer: dict[str, dict[str, int | None]] = {}
    for measure, histogram in histograms.items():
        buckets = figures.quantile_buckets(histogram)
        if buckets is not None:
            answer[measure] = {quantile: figures.seconds_of(bucket) for quantile, bucket in buckets.items()}
    return answer


def metrics_for(*, organization_id: int, property_id: int | None, start: date, end: date, granularity: str) -> dict:
    """{"periods": [{"start", "end", …figures}], "totals": {…figures}, "previous": {"start", "end", …figures of
    the range it is compared with (previous_range)}} of one property (None: the whole organization), all staff."""
    place = ALL if property_id is None else property_id
    periods = periods_of(start, end, granularity)
    before = Period(*previous_range(start, end))
    # The range is its periods, the previous range ends the day before it: the totals are the periods' added up.
    previous_counts, *per_period = _counters(organization_id, place, ALL, [before, *periods])
    total = _added(per_period)
    *durations, totals, previous_durations = _durations(
        organization_id,
        place,
        [*((period.start, period.end) for period in periods), (start, end), (before.start, before.end)],
    )
    return {
        "periods": [
            {
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
                **figures.figures(counts, period_durations),
            }
            for period, counts, period_durations in zip(periods, per_period, durations, strict=True)
        ],
        "totals": figures.figures(total, totals),
        "previous": {
            "start": before.start.isoformat(),
            "end": before.end.isoformat(),
            **figures.figures(previous_counts, previous_durations),
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
    # Each member of staff's own day rows: of this property, or of every property (not the organization's ALL).
    durations = (
        MetricDuration.objects.filter(
            organization_id=organization_id, staff_key__gt=0, span=Span.DAY.value, day__gte=start, day__lte=end
        )
        .filter(**place_filter)
        .exclude(property_key=ALL)
    )
    histograms: dict[int, dict[str, Counter]] = {}
    for staff_id, measure, histogram in durations.values_list("staff_key", "measure", "counts"):
        histograms.setdefault(staff_id, {}).setdefault(measure, Counter()).update(figures.flattened(histogram))
    return {staff_id: figures.figures(c, _quantiles(histograms.get(staff_id, {}))) for staff_id, c in counts.items()}

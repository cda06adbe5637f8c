"""The reads of the figures: day counters summed into periods, medians read from the duration histograms."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, router
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Property, Staff
from personalization.metrics import figures
from personalization.metrics.services.contacts import metrics_caught_up, metrics_contacts_count
from personalization.models.metrics import ALL, COUNTERS, MetricDay, MetricDuration, MetricsPendingContact, Span

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


def _results(model, statements: list[tuple[str, list]], *, using: str | None = None) -> list[list[tuple]]:
    """The rows of each statement, all sent in one round trip on PostgreSQL (psycopg's client-side binding,
    Django's default there, sends several statements as one query and hands back each result in turn), one after
    the other elsewhere. Hand-written SQL takes the road the ORM would (a replica in the views config/routers.py
    names), unless told which database (`using`)."""
    database = connections[using or router.db_for_read(model)]
    with database.cursor() as cursor:
        if database.vendor != "postgresql" or database.settings_dict["OPTIONS"].get("server_side_binding"):
            results = []
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
            return results
        cursor.execute(
            "; ".join(sql for sql, _params in statements), [p for _sql, params in statements for p in params]
        )
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())
        return results


def _table(name: str, rows: list[tuple], casts: tuple[str, ...]) -> tuple[str, list]:
    """A table of rows to join with, as a WITH clause and its parameters. On PostgreSQL one array a column, in its
    text form (our values only: names, dates and numbers, nothing to quote), so the statement's text is the same
    whatever the number of rows and psycopg binds one string a column (binding ~900 parameters took it ~15 ms, its
    arrays of dates ~2 ms); on SQLite a VALUES list."""
    columns = ", ".join(f"c{n}" for n in range(len(casts)))
    if connection.vendor == "postgresql":
        arrays = [
            "{" + ",".join(map(str, column)) + "}"
            for column in (zip(*rows, strict=True) if rows else [() for _cast in casts])
        ]
        unnest = ", ".join(f"CAST(%s AS {cast}[])" for cast in casts)
        return f"{name}({columns}) AS (SELECT * FROM unnest({unnest}))", arrays  # noqa: S608 (our names and types)
    values = (
        ", ".join(["(" + ", ".join(["%s"] * len(casts)) + ")"] * len(rows))
        or "(NULL" + ", NULL" * (len(casts) - 1) + ")"
    )
    return f"{name}({columns}) AS (VALUES {values})", [value for row in rows for value in row]


def _spans_where(spans) -> tuple[str, list]:
    """A condition on the histograms' spans and days, redundant with the join on the spans' table but what lets
    PostgreSQL find them by the unique index (joined alone, it read every histogram of the place: ~1,700 rows
    for ~100); nothing on SQLite."""
    if connection.vendor != "postgresql":
        return "", []
    kinds, days = sorted({span for span, _day in spans}), sorted({day for _span, day in spans})
    arrays = ["{" + ",".join(map(str, values)) + "}" for values in (kinds, days)]
    return " AND d.span = ANY(CAST(%s AS text[])) AND d.day = ANY(CAST(%s AS date[]))", arrays


def _zero() -> dict:
    counts: dict = dict.fromkeys(COUNTERS, 0)
    counts["delight_cost"] = Decimal(0)
    return counts


def _counters_sql(organization_id: int, place: int, ranges: list[Period]) -> tuple[str, list]:
    """The counters of ranges that follow one another day after day (the previous range, then the periods), summed
    by the database: each day row read once and grouped by the last range start it has reached, a row back per
    range that has any."""
    table = MetricDay._meta.db_table
    sums = ", ".join(f"SUM(d.{name})" for name in (*COUNTERS, "delight_cost"))
    starts = [period.start for period in ranges[1:]]
    if connection.vendor == "postgresql":  # the number of starts reached: one array, whatever the number of ranges
        group, group_params = "width_bucket(d.day, CAST(%s AS date[]))", ["{" + ",".join(map(str, starts)) + "}"]
    else:
        whens = " ".join(f"WHEN d.day >= %s THEN {grp}" for grp in range(len(starts), 0, -1))
        group, group_params = f"CASE {whens} ELSE 0 END", starts[::-1]
    sql = (
        f"SELECT {group} AS grp, {sums} FROM {table} d"  # noqa: S608 (our names; the values are parameters)
        " WHERE d.organization_id = %s AND d.property_key = %s AND d.staff_key = %s AND d.day BETWEEN %s AND %s"
        " GROUP BY grp"
    )
    return sql, [*group_params, organization_id, place, ALL, ranges[0].start, ranges[-1].end]


def _counters_of(rows: list[tuple], ranges: int) -> list[dict]:
    """_counters_sql's rows as the counters of each range, all zero for a range without a row."""
    found = [_zero() for _ in range(ranges)]
    for grp, *values in rows:
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
    # A range that is one span (a period of a year by week, a month, a day) needs no search.
    if days == 1:
        return [(Span.DAY.value, start)]
    if days == 7 and start.weekday() == 0:
        return [(Span.WEEK.value, start)]
    if start.day == 1 and (end + timedelta(days=1)).day == 1 and (start.year, start.month) == (end.year, end.month):
        return [(Span.MONTH.value, start)]
    day, week, month = Span.DAY.value, Span.WEEK.value, Span.MONTH.value  # read once: ~700 steps a year
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
        best = (fewest[i + 1][0] + 1, day, 1)
        if (i - monday) % 7 == 0 and i + 7 <= days and fewest[i + 7][0] + 1 <= best[0]:
            best = (fewest[i + 7][0] + 1, week, 7)
        length = months.get(i)
        if length and i + length <= days and fewest[i + length][0] + 1 <= best[0]:
            best = (fewest[i + length][0] + 1, month, length)
        fewest[i] = best
    covering, i = [], 0
    while i < days:
        _count, span, length = fewest[i]
        covering.append((span, start + timedelta(days=i)))
        i += length
    return covering


def _histograms(organization_id: int, place: int, covering: list[list[tuple[str, date]]], merged: list[int]):
    """The statements of the ranges' durations: the kept quantiles of the ranges that are one span; and for each
    range of several (`merged`, indexes into `covering`), its coarse counts added up by measure, then the buckets,
    added up, inside the coarse bucket where each quantile's rank is reached (figures.RANKS: the running sum of
    the coarse counts in bucket order reaches the quantile's share of all) — so a range reads its spans'
    histograms only there, in the same round trip."""
    table = MetricDuration._meta.db_table
    where = "d.organization_id = %s AND d.property_key = %s AND d.staff_key = %s"
    alone = sorted({spans[0] for spans in covering if len(spans) == 1})
    single, single_params = _table("g", alone, ("text", "date"))
    single_where, single_where_params = _spans_where(alone)
    several_spans = [(grp, *span) for grp in merged for span in covering[grp]]
    several, several_params = _table("g", several_spans, ("int", "text", "date"))
    several_where, several_where_params = _spans_where([span for _grp, *span in several_spans])
    ranks, ranks_params = _table("q", [(q, *rank) for q, rank in figures.RANKS.items()], ("text", "int", "int"))
    # The buckets inside a coarse bucket, added up over the spans, as one column each (a row per range, measure and
    # coarse bucket, not one per bucket: ~2,100 rows through a GROUP BY for a year by week); on PostgreSQL the
    # coarse bucket's object is taken out of each span's histogram once, then looked up COARSE times.
    buckets = [f"r.k * {figures.COARSE} + {i}" for i in range(figures.COARSE)]
    if connection.vendor == "postgresql":
        each = "jsonb_each_text(s.coarse)"
        inside = ", LATERAL (SELECT s.counts -> CAST(r.k AS text) AS o OFFSET 0) x"
        sums = [f"SUM(CAST(x.o ->> CAST({bucket} AS text) AS integer))" for bucket in buckets]
    else:
        each, inside = "json_each(s.coarse)", ""
        sums = [f"SUM(json_extract(s.counts, '$.\"' || r.k || '\".\"' || ({bucket}) || '\"'))" for bucket in buckets]
    nulls = ", ".join(["CAST(NULL AS integer)"] * figures.COARSE)
    return [
        (
            f"WITH {single} SELECT d.span, d.day, d.measure, d.median_bucket, d.p90_bucket FROM {table} d"  # noqa: S608 (our names)
            f" JOIN g ON d.span = g.c0 AND d.day = g.c1 WHERE {where}{single_where} AND d.median_bucket IS NOT NULL",
            [*single_params, organization_id, place, ALL, *single_where_params],
        ),
        (
            # Each span's histogram row is found once (`spans`, read by both halves below: PostgreSQL keeps it):
            # reading it again for every quantile's coarse bucket took 4 index scans a span instead of one.
            f"WITH {several}, {ranks}, spans(grp, measure, coarse, counts) AS (SELECT g.c0, d.measure, d.coarse,"  # noqa: S608 (our names)
            f" d.counts FROM {table} d JOIN g ON d.span = g.c1 AND d.day = g.c2 WHERE {where}{several_where}),"
            f" coarse(grp, measure, k, n) AS (SELECT s.grp, s.measure, CAST(c.key AS integer),"
            f" SUM(CAST(c.value AS integer)) FROM spans s, {each} c GROUP BY s.grp, s.measure, CAST(c.key AS integer)),"
            " running(grp, measure, k, upto, total) AS (SELECT grp, measure, k,"
            " SUM(n) OVER (PARTITION BY grp, measure ORDER BY k), SUM(n) OVER (PARTITION BY grp, measure) FROM coarse),"
            " reached(grp, measure, k) AS (SELECT DISTINCT grp, measure, k FROM (SELECT r.grp, r.measure, MIN(r.k) AS k"
            " FROM running r, q WHERE r.total > 0 AND r.upto * q.c2 >= r.total * q.c1 GROUP BY r.grp, r.measure, q.c0)"
            " AS first_reached)"
            f" SELECT grp, measure, k, n, {nulls} FROM coarse UNION ALL"
            f" SELECT r.grp, r.measure, r.k, CAST(NULL AS bigint), {', '.join(sums)} FROM reached r"
            f" JOIN spans s ON s.grp = r.grp AND s.measure = r.measure{inside} GROUP BY r.grp, r.measure, r.k",
            [*several_params, *ranks_params, organization_id, place, ALL, *several_where_params],
        ),
    ]


def _quantiles(histograms: dict[str, Counter | dict]) -> dict[str, dict[str, int | None]]:
    """{measure: {"median", "p90"}} in seconds of each measure's histogram ({bucket: n}, buckets as JSON keeps them:
    text): figures.quantile_buckets read back from their buckets (figures.seconds_of)."""
    answer: dict[str, dict[str, int | None]] = {}
    for measure, histogram in histograms.items():
        buckets = figures.quantile_buckets(histogram)
        if buckets is not None:
            answer[measure] = {quantile: figures.seconds_of(bucket) for quantile, bucket in buckets.items()}
    return answer


@dataclass(frozen=True)
class _Layout:
    """A request's calendar: its periods, the range it is compared with (previous_range), and every range — the
    periods, the whole range, the previous one — as its fewest spans (spans_covering), with which of them are
    several spans (`merged`, indexes into `covering`)."""

    periods: tuple[Period, ...]
    before: Period
    covering: tuple[tuple[tuple[str, date], ...], ...]
    merged: tuple[int, ...]


@lru_cache(maxsize=512)
def _layout(start: date, end: date, granularity: str) -> _Layout:
    """_Layout of a range, a function of its dates alone, worked out once per range a process is asked (a year by
    week took ~0.6 ms of CPU a request, most of it the shortest paths of the totals and the previous year);
    managers ask for the same few ranges — this month, this week, the last 12 months — over and over."""
    periods = tuple(periods_of(start, end, granularity))
    before = Period(*previous_range(start, end))
    # The range is its periods, the previous range ends the day before it: the totals are the periods' added up.
    ranges = [*periods, Period(start, end), before]
    covering = tuple(tuple(spans_covering(period.start, period.end)) for period in ranges)
    return _Layout(periods, before, covering, tuple(grp for grp, spans in enumerate(covering) if len(spans) > 1))


# Stand-ins for the organization and the place in _statements' parameters, replaced at each request.
_ORGANIZATION, _PLACE = object(), object()


@lru_cache(maxsize=512)
def _statements(layout: _Layout, vendor: str) -> list[tuple[str, list]]:
    """The counters' and the durations' statements of a _Layout, built once per layout (their text and the spans'
    array parameters depend on the calendar alone; building them took ~0.4 ms of CPU a request). `vendor` keys the
    cache: the SQL differs between PostgreSQL and SQLite."""
    ranges = [layout.before, *layout.periods]
    return [
        _counters_sql(_ORGANIZATION, _PLACE, ranges),
        *_histograms(_ORGANIZATION, _PLACE, [list(spans) for spans in layout.covering], list(layout.merged)),
    ]


def metrics_for(*, organization_id: int, property_id: int | None, start: date, end: date, granularity: str) -> dict:
    """{"periods": [{"start", "end", …figures}], "totals": {…figures}, "previous": {"start", "end", …figures of
    the range it is compared with (previous_range)}} of one property (None: the whole organization), all staff.

    One round trip on PostgreSQL (_results): the counters of every range, the kept quantiles of the ranges that
    are one span (days, ISO weeks, months: spans_covering), and for the others their coarse counts and the buckets
    inside the coarse bucket where each quantile's rank is reached (_histograms), of which figures.crossing takes
    the quantiles as from their spans' whole histograms added up: the same buckets by the same rule. Http404 when
    property_id is not one of the organization's properties (checked in the same round trip).

    Never behind the contacts logged: the same round trip asks whether the organization has contacts not yet
    counted (MetricsPendingContact); when it has, they are counted (services.contacts.metrics_contacts_count) and
    the figures read again, from the primary."""
    layout = _layout(start, end, granularity)
    figures_read = _figures_read(organization_id, property_id, layout, using=None)
    if figures_read is None:
        metrics_contacts_count(organization_id=organization_id)
        figures_read = _figures_read(organization_id, property_id, layout, using=DEFAULT_DB_ALIAS)
    return figures_read


def _figures_read(organization_id: int, property_id: int | None, layout: _Layout, *, using: str | None) -> dict | None:
    """metrics_for's round trip and its figures; None when the organization has pending contacts (asked only when
    reading where the router says: after a fold, the primary is read as it stands)."""
    place = ALL if property_id is None else property_id
    periods, before, covering = layout.periods, layout.before, layout.covering
    # A property's own figures: whether it is the organization's, asked in the same round trip.
    check = f"SELECT COUNT(*) FROM {Property._meta.db_table} WHERE organization_id = %s AND id = %s"  # noqa: S608 (our name)
    pending = f"SELECT EXISTS (SELECT 1 FROM {MetricsPendingContact._meta.db_table} WHERE organization_id = %s)"  # noqa: S608 (our name)
    statements = [
        (sql, [organization_id if p is _ORGANIZATION else place if p is _PLACE else p for p in params])
        for sql, params in _statements(layout, connection.vendor)
    ]
    *found, counter_rows, single_rows, merged_rows = _results(
        MetricDay,
        [
            *([] if property_id is None else [(check, [organization_id, property_id])]),
            *([] if using else [(pending, [organization_id])]),
            *statements,
        ],
        using=using,
    )
    if property_id is not None and not found.pop(0)[0][0]:
        raise Http404
    if found and found[0][0][0]:
        return None
    previous_counts, *per_period = _counters_of(counter_rows, 1 + len(periods))
    durations: list[dict] = [{} for _ in covering]
    kept = {}
    for span, day, measure, median, p90 in single_rows:
        day = date.fromisoformat(day) if isinstance(day, str) else day
        kept.setdefault((span, day), {})[measure] = {
            "median": figures.seconds_of(median),
            "p90": figures.seconds_of(p90),
        }
    for grp, spans in enumerate(covering):
        if len(spans) == 1:
            durations[grp] = kept.get(spans[0], {})
    # A range of several spans: (range, measure) its coarse counts in order; (range, measure, coarse bucket) the
    # buckets inside each coarse bucket where a quantile's rank is reached, in order (a row's COARSE sums).
    coarse: dict[tuple[int, str], list[tuple[int, int]]] = {}
    fine: dict[tuple[int, str, int], list[tuple[int, int]]] = {}
    for grp, measure, c, n, *inside in sorted(merged_rows, key=lambda row: (row[0], row[1], row[2])):
        if n is not None:
            if n:
                coarse.setdefault((grp, measure), []).append((c, n))
        else:
            fine[(grp, measure, c)] = [(c * figures.COARSE + i, m) for i, m in enumerate(inside) if m]
    for (grp, measure), buckets in coarse.items():
        total = sum(n for _c, n in buckets)
        for quantile in figures.QUANTILES:
            c, below = figures.crossing(buckets, total, quantile)
            bucket, _below = figures.crossing(fine.get((grp, measure, c), []), total, quantile, below)
            durations[grp].setdefault(measure, {})[quantile] = figures.seconds_of(bucket)
    *period_durations, total_durations, previous_durations = durations
    return {
        "periods": [
            {"start": period.start.isoformat(), "end": period.end.isoformat(), **figures.figures(counts, lasted)}
            for period, counts, lasted in zip(periods, per_period, period_durations, strict=True)
        ],
        "totals": figures.figures(_added(per_period), total_durations),
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
    desk). The organization's figures per member of staff add up every property's; its pending contacts are
    counted first (metrics_caught_up)."""
    metrics_caught_up(organization_id)
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

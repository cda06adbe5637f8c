"""The reads of the figures: day counters summed into periods, medians read from the duration histograms."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.models import Property, Staff
from personalization.metrics import figures
from personalization.models.metrics import ALL, COUNTERS, Measure, MetricDay, MetricDuration, Span

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
    """What a range is compared with: a month, or a month so far, against the whole month before it ("this month
    against the last"); any other range against the range of the same length just before it."""
    if start.day == 1 and (start.year, start.month) == (end.year, end.month):
        last = start - timedelta(days=1)
        return last.replace(day=1), last
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


def spans_covering(start: date, end: date) -> list[tuple[str, date]]:
    """The fewest stored spans that cover start..end exactly: whole months, then whole ISO weeks, then days."""
    covering, cursor = [], start
    while cursor <= end:
        month_end = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1) - timedelta(days=1)
        week_end = cursor + timedelta(days=6)
        if cursor.day == 1 and month_end <= end:
            covering.append((Span.MONTH.value, cursor))
            cursor = month_end + timedelta(days=1)
        elif cursor.weekday() == 0 and week_end <= end:
            covering.append((Span.WEEK.value, cursor))
            cursor = week_end + timedelta(days=1)
        else:
            covering.append((Span.DAY.value, cursor))
            cursor += timedelta(days=1)
    return covering


def _histograms(organization_id: int, place: int, ranges: list[tuple[date, date]]) -> list[Counter]:
    """{(measure, bucket): n} of each range (all staff), read from the spans covering it, in one query."""
    wanted: dict[tuple[str, date], list[int]] = {}
    for i, (start, end) in enumerate(ranges):
        for span in spans_covering(start, end):
            wanted.setdefault(span, []).append(i)
    found = [Counter() for _ in ranges]
    if not wanted:
        return found
    by_span: dict[str, list[date]] = {}
    for span, day in wanted:
        by_span.setdefault(span, []).append(day)
    which = Q()
    for span, days in by_span.items():
        which |= Q(span=span, day__in=days)
    rows = MetricDuration.objects.filter(which, organization_id=organization_id, property_key=place, staff_key=ALL)
    for span, day, measure, bucket, count in rows.values_list("span", "day", "measure", "bucket", "count"):
        for i in wanted[(span, day)]:
            found[i][(measure, bucket)] += count
    return found


def _quantiles(histogram: Counter) -> dict[str, dict[str, int | None]]:
    """{measure: {"median", "p90"}} in seconds: the ⌈n/2⌉-th and ⌈0.9·n⌉-th smallest, read back from their
    buckets (figures.seconds_of)."""
    answer: dict[str, dict[str, int | None]] = {}
    for measure in Measure.values:
        buckets = sorted((bucket, n) for (m, bucket), n in histogram.items() if m == measure and n)
        total = sum(n for _bucket, n in buckets)
        if not total:
            continue
        median = p90 = None
        below = 0
        for bucket, n in buckets:
            below += n
            if median is None and below * 2 >= total:
                median = bucket
            if below * 10 >= total * 9:
                p90 = bucket
                break
        answer[measure] = {"median": figures.seconds_of(median), "p90": figures.seconds_of(p90)}
    return answer


def metrics_for(*, organization_id: int, property_id: int | None, start: date, end: date, granularity: str) -> dict:
    """{"periods": [{"start", "end", …figures}], "totals": {…figures}, "previous": {"start", "end", …figures of
    the range it is compared with (previous_range)}} of one property (None: the whole organization), all staff."""
    place = ALL if property_id is None else property_id
    periods = periods_of(start, end, granularity)
    per_period, total = _counters(organization_id, place, ALL, periods)
    before = Period(*previous_range(start, end))
    _none, previous_counts = _counters(organization_id, place, ALL, [before])
    *histograms, previous_histogram = _histograms(
        organization_id, place, [*((period.start, period.end) for period in periods), (before.start, before.end)]
    )
    durations = [_quantiles(histogram) for histogram in histograms]
    total_histogram: Counter = Counter()
    for histogram in histograms:
        total_histogram.update(histogram)
    totals = _quantiles(total_histogram)
    previous_durations = _quantiles(previous_histogram)
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
    durations = MetricDuration.objects.filter(
        organization_id=organization_id, staff_key__gt=0, span=Span.DAY.value, day__gte=start, day__lte=end
    ).filter(**place_filter)
    histograms: dict[int, Counter] = {}
    for staff_id, measure, bucket, n in (
        durations.exclude(property_key=ALL)
        .values("staff_key", "measure", "bucket")
        .annotate(n=Sum("count"))
        .values_list("staff_key", "measure", "bucket", "n")
    ):
        histograms.setdefault(staff_id, Counter())[(measure, bucket)] += n
    return {
        staff_id: figures.figures(c, _quantiles(histograms.get(staff_id, Counter()))) for staff_id, c in counts.items()
    }

"""The durations (MetricDuration): a first response or a resolution counted in the histograms of its day, ISO week
and month, each kept with its quantiles' buckets and coarse counts."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from django.db import connection, transaction

from personalization.metrics.figures import bucket_of, coarse_counts, coarse_of, flattened, quantile_buckets
from personalization.metrics.services.days import Zones, places
from personalization.models.metrics import Measure, MetricDuration, Span

DURATION_KEYS = ["organization_id", "property_key", "staff_key", "span", "day", "measure"]


@transaction.atomic(savepoint=False)
def metrics_duration(
    *,
    organization_id: int,
    property_id: int | None,
    staff_id: int | None,
    at: datetime,
    measure: Measure,
    seconds: float,
) -> None:
    """Count one duration (a first response, a resolution) in the day, the week and the month it ended."""
    day = at.astimezone(Zones(organization_id).of(property_id)).date()
    rows = [
        (organization_id, place, staff, span, start, str(measure))
        for place, staff in places(property_id, staff_id)
        for span, start in spans_of(day)
    ]
    _histograms_add(sorted(rows), bucket_of(seconds))


def _histograms_add(keys: list[tuple], bucket: int) -> None:
    """One more duration in this bucket of each histogram (MetricDuration, keys in DURATION_KEYS order, sorted: two
    transactions lock the rows in the same order), created when missing: one INSERT … ON CONFLICT DO UPDATE whose
    update adds 1 to the bucket's count inside its coarse bucket's object (jsonb_set on PostgreSQL, json_set on
    SQLite); then each histogram's summaries (its quantiles' buckets and its coarse counts) computed again from what
    it now holds, so a duration that lands late in a span long closed changes that span's quantiles too."""
    table = MetricDuration._meta.db_table
    coarse, fine = str(coarse_of(bucket)), str(bucket)
    if connection.vendor == "postgresql":
        added = (
            f"jsonb_set({table}.counts, ARRAY[%s], jsonb_set(COALESCE({table}.counts -> %s, '{{}}'), ARRAY[%s],"
            f" to_jsonb(COALESCE(({table}.counts #>> ARRAY[%s, %s])::int, 0) + 1)))"
        )
        added_params = [coarse, coarse, fine, coarse, fine]
    else:  # json_set makes the coarse bucket's object when it is missing
        added = f"json_set({table}.counts, %s, COALESCE(json_extract({table}.counts, %s), 0) + 1)"
        added_params = [f'$."{coarse}"."{fine}"'] * 2
    columns = [*DURATION_KEYS, "counts", "median_bucket", "p90_bucket", "coarse"]
    values = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(keys))
    # The table and column names are ours; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values} "  # noqa: S608
        f"ON CONFLICT ({', '.join(DURATION_KEYS)}) DO UPDATE SET counts = {added} RETURNING id, counts"
    )
    _pk, median, p90, summed = summary(0, {coarse: {fine: 1}})
    new = (json.dumps({coarse: {fine: 1}}), median, p90, json.dumps(summed))  # a histogram's first duration
    params = [value for key in keys for value in (*key, *new)] + added_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # The rows stay locked by this transaction until it ends: what it read back is what it summarizes.
        summaries = [summary(pk, counts) for pk, counts in cursor.fetchall()]
        cursor.executemany(
            f"UPDATE {table} SET median_bucket = %s, p90_bucket = %s, coarse = %s WHERE id = %s",  # noqa: S608
            [(median, p90, json.dumps(summed), pk) for pk, median, p90, summed in sorted(summaries)],
        )


def summary(pk: int, counts: dict | str) -> tuple[int, int | None, int | None, dict]:
    """(id, median bucket, 90th percentile bucket, coarse counts) of a histogram as kept (figures.grouped):
    MetricDuration's columns beside its counts."""
    buckets = flattened(json.loads(counts) if isinstance(counts, str) else counts)
    quantiles = quantile_buckets(buckets) or {"median": None, "p90": None}
    return pk, quantiles["median"], quantiles["p90"], coarse_counts(buckets)


def spans_of(day: date) -> list[tuple[str, date]]:
    """The day, its ISO week (its Monday) and its month (its first day): the spans a duration is counted in."""
    monday = day - timedelta(days=day.weekday())
    return [(Span.DAY.value, day), (Span.WEEK.value, monday), (Span.MONTH.value, day.replace(day=1))]

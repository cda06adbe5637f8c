"""Migration personalization 0016 on existing histograms: their buckets become grouped by coarse bucket, the
figures read from them stay what they were, and going back restores the flat histograms as they were."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.db import connection

from personalization.metrics import figures
from personalization.metrics.selectors import metrics_for
from personalization.models.metrics import ALL

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("personalization", "0015_metric_duration_quantiles")]
AFTER = [("personalization", "0016_metric_histograms_grouped")]
LATEST = [("personalization", "0017_metrics_pending_contacts")]  # the schema the code reads
# Two weeks of resolutions at one property, in buckets of several coarse buckets: {Monday: {bucket: n}}.
WEEKS = {date(2026, 3, 2): {"3": 2, "60": 5, "75": 1}, date(2026, 3, 9): {"61": 1, "130": 4, "200": 2}}


@pytest.fixture
def before_0016(migrate):
    """The database at 0015 with one organization's two week histograms, flat, and their summaries as 0015 kept
    them; back to the latest schema afterwards, whatever happened."""
    apps = migrate(BEFORE)
    organization = apps.get_model("crm", "Organization").objects.create(name="Old Hotel Group")
    place = apps.get_model("crm", "Property").objects.create(organization=organization, name="Old House")
    MetricDuration = apps.get_model("personalization", "MetricDuration")
    for monday, counts in WEEKS.items():
        quantiles = figures.quantile_buckets(counts)
        for place_key in (place.pk, ALL):
            MetricDuration.objects.create(
                organization=organization,
                property_key=place_key,
                staff_key=ALL,
                span="week",
                day=monday,
                measure="resolution",
                counts=counts,
                median_bucket=quantiles["median"],
                p90_bucket=quantiles["p90"],
                coarse=figures.coarse_counts(counts),
            )
    yield organization.pk, place.pk
    migrate(LATEST)


def _counts(place_key: int) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT counts FROM personalization_metricduration WHERE property_key = %s ORDER BY day", [place_key]
        )
        return [json.loads(value) if isinstance(value, str) else value for (value,) in cursor.fetchall()]


def test_existing_histograms_are_grouped_and_read_the_same_figures(before_0016, migrate):
    organization_id, place_id = before_0016
    # when the migration runs
    migrate(AFTER)
    # then each histogram holds its buckets inside their coarse buckets (16 buckets each)
    assert _counts(place_id) == [
        {"0": {"3": 2}, "3": {"60": 5}, "4": {"75": 1}},
        {"3": {"61": 1}, "8": {"130": 4}, "12": {"200": 2}},
    ]
    # and the two weeks together read the quantiles of their 15 durations: the 8th smallest (bucket 61), the 14th (200)
    migrate(LATEST)
    answer = metrics_for(
        organization_id=organization_id,
        property_id=place_id,
        start=date(2026, 3, 2),
        end=date(2026, 3, 15),
        granularity="week",
    )
    assert answer["totals"]["resolution_median_seconds"] == figures.seconds_of(61)
    assert answer["totals"]["resolution_p90_seconds"] == figures.seconds_of(200)
    assert [week["resolution_median_seconds"] for week in answer["periods"]] == [
        figures.seconds_of(60),
        figures.seconds_of(130),
    ]
    # and going back restores the flat histograms as they were
    migrate(BEFORE)
    assert _counts(place_id) == list(WEEKS.values())

"""Durations kept as one histogram per span and measure (MetricDuration.counts) instead of one row per bucket: the
rows of each (organization, place, staff, span, day, measure) folded into one."""

from collections import defaultdict

from django.db import migrations, models

KEY = ("organization_id", "property_key", "staff_key", "span", "day", "measure")
BATCH = 5_000


def fold(apps, schema_editor):
    MetricDuration = apps.get_model("personalization", "MetricDuration")
    histograms: dict[tuple, dict[str, int]] = defaultdict(dict)
    for *key, bucket, count in MetricDuration.objects.values_list(*KEY, "bucket", "count").iterator(BATCH):
        histogram = histograms[tuple(key)]
        histogram[str(bucket)] = histogram.get(str(bucket), 0) + count
    MetricDuration.objects.all().delete()
    MetricDuration.objects.bulk_create(
        (
            MetricDuration(**dict(zip(KEY, key, strict=True)), bucket=0, count=0, counts=counts)
            for key, counts in histograms.items()
        ),
        batch_size=BATCH,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0018_guest_imports"),
        ("personalization", "0012_metric_counters"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="metricduration", name="metricduration_one_per_bucket"),
        migrations.AddField(model_name="metricduration", name="counts", field=models.JSONField(default=dict)),
        migrations.RunPython(fold),
    ]

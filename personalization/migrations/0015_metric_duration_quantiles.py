"""Each duration histogram keeps its median and 90th percentile buckets and its coarse counts beside it
(MetricDuration.median_bucket, p90_bucket, coarse), computed here for the rows already written."""

from django.db import migrations, models

from personalization.metrics.figures import coarse_counts, quantile_buckets

BATCH = 2_000


def summarize(apps, schema_editor):
    MetricDuration = apps.get_model("personalization", "MetricDuration")
    rows = MetricDuration.objects.only("pk", "counts").order_by("pk")
    changed = []
    for row in rows.iterator(BATCH):
        quantiles = quantile_buckets(row.counts) or {"median": None, "p90": None}
        row.median_bucket, row.p90_bucket = quantiles["median"], quantiles["p90"]
        row.coarse = coarse_counts(row.counts)
        changed.append(row)
        if len(changed) == BATCH:
            MetricDuration.objects.bulk_update(changed, ["median_bucket", "p90_bucket", "coarse"])
            changed = []
    MetricDuration.objects.bulk_update(changed, ["median_bucket", "p90_bucket", "coarse"])


class Migration(migrations.Migration):
    dependencies = [("personalization", "0014_metric_histograms_keyed")]

    operations = [
        migrations.AddField(model_name="metricduration", name="median_bucket", field=models.IntegerField(null=True)),
        migrations.AddField(model_name="metricduration", name="p90_bucket", field=models.IntegerField(null=True)),
        migrations.AddField(model_name="metricduration", name="coarse", field=models.JSONField(default=dict)),
        migrations.RunPython(summarize, migrations.RunPython.noop),
    ]

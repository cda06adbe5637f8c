"""Each duration histogram keeps its median and 90th percentile buckets and its coarse counts beside it
(MetricDuration.median_bucket, p90_bucket, coarse), computed here for the rows already written."""

import json

from django.db import migrations, models

from personalization.metrics.figures import coarse_counts, quantile_buckets

# Rows read per round trip; each batch written by one executemany of single-row UPDATEs (bulk_update's CASE over
# 2,000 ids took seconds a batch on the benchmark's 405,000 rows: every row tests every WHEN).
BATCH = 2_000


def summarize(apps, schema_editor):
    MetricDuration = apps.get_model("personalization", "MetricDuration")
    table = MetricDuration._meta.db_table
    rows = MetricDuration.objects.order_by("pk").values_list("pk", "counts")
    changed = []

    def write() -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET median_bucket = %s, p90_bucket = %s, coarse = %s WHERE id = %s",  # noqa: S608
                changed,
            )
        changed.clear()

    for pk, counts in rows.iterator(BATCH):
        quantiles = quantile_buckets(counts) or {"median": None, "p90": None}
        changed.append((quantiles["median"], quantiles["p90"], json.dumps(coarse_counts(counts)), pk))
        if len(changed) == BATCH:
            write()
    write()


class Migration(migrations.Migration):
    dependencies = [("personalization", "0014_metric_histograms_keyed")]

    operations = [
        migrations.AddField(model_name="metricduration", name="median_bucket", field=models.IntegerField(null=True)),
        migrations.AddField(model_name="metricduration", name="p90_bucket", field=models.IntegerField(null=True)),
        migrations.AddField(model_name="metricduration", name="coarse", field=models.JSONField(default=dict)),
        migrations.RunPython(summarize, migrations.RunPython.noop),
    ]

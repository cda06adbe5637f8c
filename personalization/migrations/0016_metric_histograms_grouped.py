"""Each duration histogram's buckets grouped by coarse bucket (MetricDuration.counts: {"coarse": {"bucket": n}},
figures.grouped), so a range's reader takes the one coarse bucket it needs instead of unpacking the histogram.
Set-based, one statement (bench/run metrics: 405,722 histograms); the summaries beside (0015) do not change."""

from django.db import migrations

from personalization.metrics.figures import COARSE

TABLE = "personalization_metricduration"

GROUPED = {
    "postgresql": f"""
        UPDATE {TABLE} d SET counts = COALESCE((
            SELECT jsonb_object_agg(c.coarse, c.buckets) FROM (
                SELECT (e.key::int / {COARSE})::text AS coarse, jsonb_object_agg(e.key, e.value) AS buckets
                FROM jsonb_each(d.counts) e GROUP BY 1
            ) c
        ), '{{}}')
    """,
    "sqlite": f"""
        UPDATE {TABLE} SET counts = COALESCE((
            SELECT json_group_object(c.coarse, json(c.buckets)) FROM (
                SELECT CAST(CAST(e.key AS INTEGER) / {COARSE} AS TEXT) AS coarse,
                       json_group_object(e.key, e.value) AS buckets
                FROM json_each({TABLE}.counts) e GROUP BY 1
            ) c
        ), '{{}}')
    """,
}

FLAT = {
    "postgresql": f"""
        UPDATE {TABLE} d SET counts = COALESCE((
            SELECT jsonb_object_agg(b.key, b.value) FROM jsonb_each(d.counts) c CROSS JOIN LATERAL jsonb_each(c.value) b
        ), '{{}}')
    """,
    "sqlite": f"""
        UPDATE {TABLE} SET counts = COALESCE((
            SELECT json_group_object(b.key, b.value) FROM json_each({TABLE}.counts) c, json_each(c.value) b
        ), '{{}}')
    """,
}


def run(statements: dict[str, str]):
    def apply(apps, schema_editor):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(statements[schema_editor.connection.vendor])

    return apply


class Migration(migrations.Migration):
    dependencies = [("personalization", "0015_metric_duration_quantiles")]

    operations = [migrations.RunPython(run(GROUPED), run(FLAT))]

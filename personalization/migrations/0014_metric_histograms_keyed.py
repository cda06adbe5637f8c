"""The bucket rows folded (0013), a histogram's key is its span and measure: one row each."""

from django.db import migrations, models


class Migration(migrations.Migration):
    # Apart from 0013: PostgreSQL refuses to alter a table in the transaction that has just written its rows.
    dependencies = [("personalization", "0013_metric_histograms")]

    operations = [
        migrations.RemoveField(model_name="metricduration", name="bucket"),
        migrations.RemoveField(model_name="metricduration", name="count"),
        migrations.AddConstraint(
            model_name="metricduration",
            constraint=models.UniqueConstraint(
                fields=("organization", "property_key", "staff_key", "span", "day", "measure"),
                name="metricduration_one_per_span",
            ),
        ),
    ]

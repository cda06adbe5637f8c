"""A search term's organization without a foreign-key constraint in the database (issue 13, the import's speed):
it is always its customer's organization, which that customer's own constraint keeps; the check it cost every new
term at commit was ~20 a guest an import creates. A drop of the constraint alone; reversed by adding it back."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0025_searchterm_name_part"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchterm",
            name="organization",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="crm.organization",
            ),
        ),
    ]

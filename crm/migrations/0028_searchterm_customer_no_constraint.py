"""A search term's customer without a foreign-key constraint in the database (issue 13, the import's speed), as
its organization since 0026: a term is derived from its customer by crm.lookup.terms in the transaction that writes
the customer, and Django deletes a customer's terms with it; the check cost every new term a lookup of its customer
at commit (~20 a guest an import creates: a tenth of a 20,000-row apply). Reversed by adding it back."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0027_searchterm_visits"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchterm",
            name="customer",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="search_terms",
                to="crm.customer",
            ),
        ),
    ]

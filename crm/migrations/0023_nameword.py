"""The vocabulary of name words (crm.lookup.vocabulary): one row per folded word of an organization's guests'
names, with how many guests hold it and its deletions, which the typo stage looks a typed word's up in.

- On PostgreSQL a GIN index on the organization and the deletions (`organization_id = %s AND deletions &&
  %s::text[]`; btree_gin, a contrib extension like pg_trgm, lets the organization into it), built while the table
  is still empty
  (PostgreSQL refuses to build an index in the transaction that has just written its rows: "pending trigger
  events").
- Filled from every guest's names, as `manage.py rebuild_search_terms` fills it; backwards, emptied.
"""

import django.db.models.deletion
from django.db import migrations, models

import crm.models.lookup


def create_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
        # fastupdate off: each new word goes into the index itself, not a pending list that every lookup would read
        # whole (and with which the planner, misjudging the cost, scanned the table: 560 ms for 30,000 words where
        # the index answers in 0.2 ms).
        schema_editor.execute(
            "CREATE INDEX nameword_deletions ON crm_nameword USING gin (organization_id, deletions)"
            " WITH (fastupdate = off)"
        )


def drop_gin_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS nameword_deletions")


def fill_vocabulary(apps, schema_editor):
    from collections import Counter

    from crm.lookup.terms import NAME_FIELDS, names_of
    from crm.lookup.vocabulary import vocabulary_add

    customer_model = apps.get_model("crm", "Customer")
    customers = (
        customer_model.objects.using(schema_editor.connection.alias)
        .filter(merged_into__isnull=True)
        .order_by("organization_id", "pk")
        .only("organization_id", *NAME_FIELDS)
    )
    by_organization = {}
    for customer in customers.iterator(chunk_size=2000):
        by_organization.setdefault(customer.organization_id, Counter()).update(names_of(customer).words)
    for organization_id, counts in by_organization.items():
        vocabulary_add(organization_id, counts)


def empty_vocabulary(apps, schema_editor):
    apps.get_model("crm", "NameWord").objects.using(schema_editor.connection.alias).all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0022_webhook_secret_encrypted"),
    ]

    operations = [
        migrations.CreateModel(
            name="NameWord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("word", models.CharField(max_length=20)),
                ("guests", models.PositiveIntegerField()),
                ("deletions", crm.models.lookup.WordList()),
                (
                    "organization",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="crm.organization",
                    ),
                ),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("organization", "word"), name="nameword_org_word")],
            },
        ),
        migrations.RunPython(create_gin_index, drop_gin_index),
        migrations.RunPython(fill_vocabulary, empty_vocabulary),
    ]

"""The vocabulary of name words (crm.lookup.vocabulary): each folded word of an organization's guests' names on
its own row with how many guests hold it, and one row for each string left when one or two of its letters are
deleted, which the typo stage looks a typed word's deletions up in (one btree range per key). Filled from every
guest's names, as `manage.py rebuild_search_terms` fills it; backwards, emptied."""

import django.db.models.deletion
from django.db import migrations, models


def fill_vocabulary(apps, schema_editor):
    from collections import Counter

    from crm.lookup.terms import TERM_FIELDS, names_of
    from crm.lookup.vocabulary import vocabulary_add

    customer_model = apps.get_model("crm", "Customer")
    customers = (
        customer_model.objects.using(schema_editor.connection.alias)
        .filter(merged_into__isnull=True)
        .order_by("organization_id", "pk")
        .only("organization_id", *TERM_FIELDS)
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
                ("key", models.CharField(max_length=20)),
                ("word", models.CharField(max_length=20)),
                ("guests", models.PositiveIntegerField(default=0)),
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
                "constraints": [models.UniqueConstraint(fields=("organization", "key", "word"), name="nameword_org_key_word")],
            },
        ),
        migrations.RunPython(fill_vocabulary, empty_vocabulary),
    ]

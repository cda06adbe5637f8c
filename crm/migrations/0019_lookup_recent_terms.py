"""Search terms carry their customer's last visit, and the lookup's indexes order by it.

- searchterm.last_seen, and the index (organization, term, kind DESC, last_seen DESC NULLS LAST, customer DESC):
  a surname held by 70,000 guests reads its 20 most recent in index order (it replaces (organization, term,
  customer), which the lookup capped at 500 rows).
- customer (organization, last_seen DESC NULLS LAST, id DESC) for the walk through the most recent guests
  (replaces (id, last_seen), which only ordered the 500 capped candidates).
- NULLS LAST is written by hand: SQLite refuses the clause in an index (and puts NULLs last in DESC by itself),
  so the models declare plain DESC and PostgreSQL gets the clause here.
- Every customer's terms are derived again (the family name alone, ü spelled lv/lu/lyu, the toned full name)
  with last_seen filled, before the indexes are built: the same work as `manage.py rebuild_search_terms`.
"""

from django.db import migrations, models

INDEXES = {
    "searchterm_org_term_recent": (
        "crm_searchterm",
        "organization_id, term, kind DESC, last_seen DESC{nulls_last}, customer_id DESC",
    ),
    "customer_org_recent": ("crm_customer", "organization_id, last_seen DESC{nulls_last}, id DESC"),
}


def create_indexes(apps, schema_editor):
    nulls_last = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {name} ON {table} ({columns.format(nulls_last=nulls_last)})")


def drop_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {name}")


def reindex_customers(apps, schema_editor):
    from crm.lookup.terms import reindex

    customer_model = apps.get_model("crm", "Customer")
    customers = customer_model.objects.using(schema_editor.connection.alias).order_by("pk")
    reindex(customers.iterator(chunk_size=2000), customer_model=customer_model,
            term_model=apps.get_model("crm", "SearchTerm"))


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0018_guest_imports'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='customer',
            name='customer_id_last_seen',
        ),
        migrations.RemoveIndex(
            model_name='searchterm',
            name='searchterm_org_term',
        ),
        migrations.AddField(
            model_name='searchterm',
            name='last_seen',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(reindex_customers, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_indexes, drop_indexes)],
            state_operations=[
                migrations.AddIndex(
                    model_name='customer',
                    index=models.Index(models.F('organization'), models.OrderBy(models.F('last_seen'), descending=True), models.OrderBy(models.F('id'), descending=True), name='customer_org_recent'),
                ),
                migrations.AddIndex(
                    model_name='searchterm',
                    index=models.Index(models.F('organization'), models.F('term'), models.OrderBy(models.F('kind'), descending=True), models.OrderBy(models.F('last_seen'), descending=True), models.OrderBy(models.F('customer'), descending=True), name='searchterm_org_term_recent'),
                ),
            ],
        ),
    ]

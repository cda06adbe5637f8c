"""The lookup's indexes ordered by the last visit (0019 says what they serve), built once 0019 has derived every
customer's terms again, in a transaction of their own: PostgreSQL refuses to build an index in the transaction
that has just rewritten the table's rows ("pending trigger events")."""

from django.db import migrations, models

INDEXES = {
    "searchterm_org_term_recent": (
        "crm_searchterm",
        "organization_id, term, kind DESC, last_seen DESC{nulls_last}, customer_id DESC",
    ),
    "customer_org_recent": ("crm_customer", "organization_id, last_seen DESC{nulls_last}, id DESC"),
}


def create_indexes(apps, schema_editor):
    # NULLS LAST by hand: SQLite refuses the clause in an index (and puts NULLs last in DESC by itself).
    nulls_last = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {name} ON {table} ({columns.format(nulls_last=nulls_last)})")


def drop_indexes(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {name}")


class Migration(migrations.Migration):
    dependencies = [("crm", "0019_lookup_recent_terms")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create_indexes, drop_indexes)],
            state_operations=[
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(
                        models.F("organization"),
                        models.OrderBy(models.F("last_seen"), descending=True),
                        models.OrderBy(models.F("id"), descending=True),
                        name="customer_org_recent",
                    ),
                ),
                migrations.AddIndex(
                    model_name="searchterm",
                    index=models.Index(
                        models.F("organization"),
                        models.F("term"),
                        models.OrderBy(models.F("kind"), descending=True),
                        models.OrderBy(models.F("last_seen"), descending=True),
                        models.OrderBy(models.F("customer"), descending=True),
                        name="searchterm_org_term_recent",
                    ),
                ),
            ],
        ),
    ]

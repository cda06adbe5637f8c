"""PostgreSQL-only parts of the lookup, and the search terms of existing customers.

- searchterm.term in COLLATE "C": byte order, so a prefix is a plain btree range, as in SQLite
  (the cluster's C.UTF-8 default would need text_pattern_ops for LIKE; see NOTES.md).
- pg_trgm and one GIN trigram index on customer.search_name for the typo stage (one trigram
  index only: a GiST one beside it made the planner choose the slower GiST, NOTES.md).
"""

from django.db import migrations

POSTGRES_FORWARD = [
    'ALTER TABLE crm_searchterm ALTER COLUMN term TYPE varchar(100) COLLATE "C"',
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    # The organization stays a filter: a (organization_id, search_name) btree_gin index was not
    # usable for "organization_id = <int>" (no cross-type int8 = int4 operator in btree_gin).
    # fastupdate off: the pending list of a GIN index is scanned by every search until vacuum;
    # lookups are far more frequent than customer writes, so writes pay for it instead.
    "CREATE INDEX IF NOT EXISTS customer_search_name_trgm ON crm_customer"
    " USING gin (search_name gin_trgm_ops) WITH (fastupdate = off)",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS customer_search_name_trgm",
    'ALTER TABLE crm_searchterm ALTER COLUMN term TYPE varchar(100) COLLATE "default"',
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


def index_existing_customers(apps, schema_editor):
    # A one-time backfill for customers created before the lookup existed (new ones are
    # indexed by the customer services), on this migration's historical models.
    from crm.lookup.terms import reindex

    customer_model = apps.get_model("crm", "Customer")
    customers = customer_model.objects.using(schema_editor.connection.alias).order_by("pk")
    reindex(customers.iterator(chunk_size=2000), customer_model=customer_model,
            term_model=apps.get_model("crm", "SearchTerm"))


class Migration(migrations.Migration):
    dependencies = [("crm", "0001_initial")]

    operations = [
        migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD)),
        migrations.RunPython(index_existing_customers, migrations.RunPython.noop),
    ]

"""The trigram index on customer.search_name takes new entries in its pending list (fastupdate on), PostgreSQL only.

It was made with fastupdate off for the lookup's typo stage, which read it on every search (0002); the lookup no
longer reads it (its typos go through the name words' vocabulary, 0023), and its one reader is the guest list's
name filter, a screen a manager opens, which scans the pending list (at most gin_pending_list_limit, 4 MB) until
it is merged. Every guest created or renamed paid ~120 µs to place its trigrams one by one: 87 % of writing an
imported guest's row (docs/benchmarks.md, "Guest-list import"); the pending list merges them in bulk."""

from django.db import migrations


def _fastupdate(on: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER INDEX customer_search_name_trgm SET (fastupdate = {'on' if on else 'off'})")

    return run


class Migration(migrations.Migration):
    dependencies = [("crm", "0028_searchterm_customer_no_constraint")]

    operations = [migrations.RunPython(_fastupdate(True), _fastupdate(False))]

"""Search terms carry their customer's last visit, and the lookup's indexes order by it.

- searchterm.last_seen, and the index (organization, term, kind DESC, last_seen DESC NULLS LAST, customer DESC):
  a surname held by 70,000 guests reads its 20 most recent in index order (it replaces (organization, term,
  customer), which the lookup capped at 500 rows).
- customer (organization, last_seen DESC NULLS LAST, id DESC) for the walk through the most recent guests
  (replaces (id, last_seen), which only ordered the 500 capped candidates).
- The indexes are built by 0020, apart: PostgreSQL refuses to build an index in the transaction that has just
  rewritten the table's rows ("pending trigger events").
- NULLS LAST is written by hand: SQLite refuses the clause in an index (and puts NULLs last in DESC by itself),
  so the models declare plain DESC and PostgreSQL gets the clause in 0020.
- Every customer's terms are derived again (the family name alone, ü spelled lv/lu/lyu, the toned full name)
  with last_seen filled, before the indexes are built: the same work as `manage.py rebuild_search_terms`
  (bench/run lookup timed it at ~675 guests/s on the 2-core machine: plan ~25 minutes per million guests).
"""

from django.db import migrations, models


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
    ]

"""A Han name written with one space is split there (crm.lookup.normalize.han_names: 田中 直樹 → 田中 + 直树, where
the list of Chinese surnames made it 田 + 中直树): the search terms of the guests whose native or Latin name is so
written are written again (crm.lookup.terms.reindex), so that 田 typed alone no longer finds 田中 直樹 as a family
name. The vocabulary of name words keeps their earlier readings beside the new ones until `rebuild_search_terms`
rebuilds it: it only guides the typo stage's corrections."""

from django.db import migrations
from django.db.models import Q

HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
WRITTEN_SPLIT = f"[{HAN}][ \u3000]+[{HAN}]"


def split_where_written(apps, schema_editor):
    from crm.lookup.terms import reindex

    customer, term = apps.get_model("crm", "Customer"), apps.get_model("crm", "SearchTerm")
    spaced = Q(native_name__regex=WRITTEN_SPLIT) | Q(latin_name__regex=WRITTEN_SPLIT)
    customers = customer.objects.using(schema_editor.connection.alias).filter(spaced).order_by("pk")
    reindex(customers.iterator(chunk_size=2000), customer_model=customer, term_model=term)


class Migration(migrations.Migration):
    dependencies = [("crm", "0030_name_birthday_terms")]

    operations = [migrations.RunPython(split_where_written, migrations.RunPython.noop)]

"""A Han name written with one space is split there (crm.lookup.normalize.han_names: 田中 直樹 → 田中 + 直树, where
the list of Chinese surnames made it 田 + 中直树): the search terms of the guests whose names hold a Han name so
written are written again (crm.lookup.terms.reindex), so that 田 typed alone no longer finds 田中 直樹 as a family
name. Migration 0032 rebuilds the vocabulary of name words of the organizations whose guests' terms change."""

from django.db import migrations
from django.db.models import Q

HAN = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
WRITTEN_SPLIT = f"[{HAN}][ \u3000]+[{HAN}]"
NAME_FIELDS = ("given_name", "family_name", "native_name", "latin_name", "preferred_name")


def any_name(lookup: str, value: str) -> Q:
    """Any of the guest's name fields matching (crm.lookup.terms.NAME_FIELDS as of this migration)."""
    condition = Q()
    for field in NAME_FIELDS:
        condition |= Q(**{f"{field}__{lookup}": value})
    return condition


def split_where_written(apps, schema_editor):
    from crm.lookup.terms import reindex

    customer, term = apps.get_model("crm", "Customer"), apps.get_model("crm", "SearchTerm")
    customers = customer.objects.using(schema_editor.connection.alias).filter(any_name("regex", WRITTEN_SPLIT))
    reindex(customers.order_by("pk").iterator(chunk_size=2000), customer_model=customer, term_model=term)


class Migration(migrations.Migration):
    dependencies = [("crm", "0030_name_birthday_terms")]

    operations = [migrations.RunPython(split_where_written, migrations.RunPython.noop)]

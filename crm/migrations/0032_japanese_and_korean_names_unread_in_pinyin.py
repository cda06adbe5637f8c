"""A Japanese or Korean guest's Han name is no longer read in pinyin (crm.lookup.terms.reads_pinyin: 佐々木 健 is Ken
Sasaki, not "jian"); kanji beside kana are one part of the name whole (山田 さくら: the family name 山田, not 山 and
田), and the whole name as written is its full-name key; Han in a family or given name's own field is that part
whole (田中, 歐陽 as a family name); 々 is part of a Han name (佐々木 was 佐 and 木). The search terms of the guests
these change are written again (crm.lookup.terms.reindex): Japanese or Korean guests holding a Han name, and guests
whose names hold kana, Hangul or 々, or Han in the family or given name's field. Then the vocabulary of name words
of their organizations is rebuilt from every live guest (as `rebuild_search_terms` does), with 0031's changes: the
words a reindexed guest held before are not known here, and a count left behind would outlive its guests."""

from collections import Counter

from django.db import migrations
from django.db.models import Q

HAN = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
KANA_OR_HANGUL = "\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff"
NAME_FIELDS = ("given_name", "family_name", "native_name", "latin_name", "preferred_name")


def _any(fields, pattern: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__regex": pattern})
    return condition


def unread(apps, schema_editor):
    from crm.lookup.terms import TERM_FIELDS, names_of, reindex
    from crm.lookup.vocabulary import vocabulary_rebuild

    alias = schema_editor.connection.alias
    customer, term = apps.get_model("crm", "Customer"), apps.get_model("crm", "SearchTerm")
    han = _any(NAME_FIELDS, f"[{HAN}]")
    japanese_or_korean = Q(language__startswith="ja") | Q(language__startswith="ko")
    changed = (
        japanese_or_korean & han
        | _any(NAME_FIELDS, f"[\u3005{KANA_OR_HANGUL}]")
        | _any(("family_name", "given_name"), f"[{HAN}]")
        | _any(NAME_FIELDS, f"[{HAN}][ \u3000]+[{HAN}]")  # 0031's guests: their organizations' words too
    )
    customers = customer.objects.using(alias).filter(changed)
    organizations = set(customers.values_list("organization_id", flat=True).distinct())
    reindex(customers.order_by("pk").iterator(chunk_size=2000), customer_model=customer, term_model=term)
    for organization_id in sorted(organizations):
        live = customer.objects.using(alias).filter(organization_id=organization_id, merged_into__isnull=True)
        counts = Counter()
        for guest in live.only(*TERM_FIELDS).iterator(chunk_size=2000):
            counts.update(names_of(guest).words)
        vocabulary_rebuild(organization_id, counts)


class Migration(migrations.Migration):
    dependencies = [("crm", "0031_han_names_split_where_written")]

    operations = [migrations.RunPython(unread, migrations.RunPython.noop)]

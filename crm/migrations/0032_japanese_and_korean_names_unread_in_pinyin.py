"""A Japanese or Korean guest's Han name is no longer read in pinyin (crm.lookup.terms.reads_pinyin: 佐々木 健 is Ken
Sasaki, not "jian"), kanji beside a kana given name are the family name whole (山田 さくら: 山田, not 山 and 田), and
々 is part of a Han name (佐々木 was 佐 and 木): the search terms of the guests whose language is Japanese or Korean
and who hold a Han name, or whose name holds kana, Hangul or 々, are written again (crm.lookup.terms.reindex). The vocabulary of name words keeps their earlier readings until `rebuild_search_terms`
rebuilds it: it only guides the typo stage's corrections."""

from django.db import migrations
from django.db.models import Q

HAN = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KANA_OR_HANGUL = "\u3040-\u30ff\u31f0-\u31ff\uac00-\ud7af\u1100-\u11ff"


def unread(apps, schema_editor):
    from crm.lookup.terms import reindex

    customer, term = apps.get_model("crm", "Customer"), apps.get_model("crm", "SearchTerm")
    han = Q(native_name__regex=f"[{HAN}]") | Q(latin_name__regex=f"[{HAN}]")
    japanese_or_korean = Q(language__startswith="ja") | Q(language__startswith="ko")
    other = f"[\u3005{KANA_OR_HANGUL}]"
    written = Q(native_name__regex=other) | Q(latin_name__regex=other)
    customers = customer.objects.using(schema_editor.connection.alias).filter(japanese_or_korean & han | written)
    reindex(customers.order_by("pk").iterator(chunk_size=2000), customer_model=customer, term_model=term)


class Migration(migrations.Migration):
    dependencies = [("crm", "0031_han_names_split_where_written")]

    operations = [migrations.RunPython(unread, migrations.RunPython.noop)]

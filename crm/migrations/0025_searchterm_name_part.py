"""Two kinds of a Han name's terms change (crm.lookup.terms; issue 15's "given" and pinyin queries):

- its inner parts (丽 of 郝光丽, 阳娜娜 of 欧阳娜娜: crm.lookup.terms.han_parts) become their own kind, NAME_PART (0), so
  that the term index hands out the guests whose given name a typed character is before those holding it inside a
  longer given name;
- its reading given name first (yinghuazhang for 张英华) becomes a FULL_NAME, as a Latin name's both orders are, so
  that pinyin typed given name first ranks the guest as a whole name.

Rewrites the kind of the existing NAME rows that crm.lookup.terms now writes otherwise, one UPDATE per batch of
guests (58 s for 100,000 guests, load average 7). Backwards, the inner parts are written back as NAME; the given-first
readings stay FULL_NAME (the earlier code ranks them as whole names, and writes them as NAME again with the
guest's next change).
"""

from django.db import migrations, models

# Guests read per UPDATE: each with a Han name has about one inner part and a few whole-name keys.
BATCH = 5000
NAME_PART, NAME, FULL_NAME = 0, 1, 5

UPDATE = {
    "postgresql": "UPDATE crm_searchterm t SET kind = p.kind"
    " FROM unnest(%s::bigint[], %s::text[], %s::int[]) AS p (customer_id, term, kind)"
    " WHERE t.customer_id = p.customer_id AND t.term = p.term AND t.kind = %s",
    "sqlite": "UPDATE crm_searchterm SET kind = (SELECT json_extract(value, '$[2]') FROM json_each(%s)"
    " WHERE json_extract(value, '$[0]') = crm_searchterm.customer_id AND json_extract(value, '$[1]') = term)"
    " WHERE kind = %s AND (customer_id, term) IN"
    " (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(%s))",
}


def mark_parts(apps, schema_editor):
    import json

    from crm.lookup.terms import TERM_FIELDS, names_of

    connection = schema_editor.connection
    customers = (
        apps.get_model("crm", "Customer")
        .objects.using(connection.alias)
        .filter(merged_into__isnull=True)
        .order_by("pk")
        .only(*TERM_FIELDS)
    )
    rows = []

    def flush():
        if not rows:
            return
        if connection.vendor == "postgresql":
            params = [*(list(column) for column in zip(*rows, strict=True)), NAME]
        else:
            params = [json.dumps(rows), NAME, json.dumps(rows)]
        with connection.cursor() as cursor:
            cursor.execute(UPDATE[connection.vendor], params)
        rows.clear()

    for number, customer in enumerate(customers.iterator(chunk_size=BATCH), start=1):
        rows += [
            (customer.pk, term, kind) for term, kind in names_of(customer).term_kinds if kind in (NAME_PART, FULL_NAME)
        ]
        if number % BATCH == 0:
            flush()
    flush()


def unmark_parts(apps, schema_editor):
    schema_editor.execute("UPDATE crm_searchterm SET kind = %s WHERE kind = %s", [NAME, NAME_PART])


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0024_searchterm_prefix_keys"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchterm",
            name="kind",
            field=models.PositiveSmallIntegerField(
                choices=[
                    (0, "part of a name"),
                    (1, "name"),
                    (2, "phonetic"),
                    (3, "email"),
                    (4, "phone"),
                    (5, "full name"),
                    (6, "email local part"),
                    (7, "prefix"),
                ]
            ),
        ),
        migrations.RunPython(mark_parts, unmark_parts),
    ]

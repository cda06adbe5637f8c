"""Search as you type at scale (issue 15): every guest holds PREFIX rows, "^" + the first 1 to 3 characters of each
name term (an email's: 2 to 3 after the @), so that the term index hands out the most recent holders of a short
prefix from 20 entries instead of walking the most recent guests (crm.lookup.terms.prefix_keys writes the same rows
for every new or changed guest; this fills them for the existing ones in one INSERT … SELECT, PostgreSQL and
SQLite alike). Reversed by deleting them."""

from django.db import migrations, models

# crm.lookup.terms.prefix_keys in SQL: name terms (kinds 1 and 5, and 0 since 0025) give their first 1..3 characters,
# emails (3 and 6) the @ and 2..3 characters, each shorter than the term; one row per guest and key.
FILL = """
INSERT INTO crm_searchterm (organization_id, customer_id, term, kind, last_seen)
SELECT organization_id, customer_id, key, 7, max(last_seen) FROM (
    SELECT t.organization_id, t.customer_id, t.last_seen,
           '^' || substr(t.term, 1, n.length + CASE WHEN t.kind IN (3, 6) THEN 1 ELSE 0 END) AS key
    FROM crm_searchterm t, (SELECT 1 AS length UNION ALL SELECT 2 UNION ALL SELECT 3) AS n
    WHERE t.kind IN (0, 1, 3, 5, 6)
      AND n.length >= CASE WHEN t.kind IN (3, 6) THEN 2 ELSE 1 END
      AND n.length <= length(t.term) - 1 - CASE WHEN t.kind IN (3, 6) THEN 1 ELSE 0 END
) AS keys
GROUP BY organization_id, customer_id, key
"""


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0023_nameword"),
    ]

    operations = [
        migrations.AlterField(
            model_name="searchterm",
            name="kind",
            field=models.PositiveSmallIntegerField(
                choices=[
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
        migrations.RunSQL(FILL, "DELETE FROM crm_searchterm WHERE kind = 7"),
    ]

"""Search as you type (issue 15): PREFIX rows one character longer, "^" + the first four characters of each name term
(an email's: four after the @), beside the one to three of migration 0024. A prefix longer than the PREFIX rows that
thousands of term rows hold walks the holders of its first PREFIX_KEYS characters, most recent first; with three,
"huami" and "zhao h" walked the holders of ^hua and ^zha — Huang and Zhang, 600 to 5,000 guests probed for 20
matches (crm.lookup.terms.names.PREFIX_KEYS). crm.lookup.terms.prefix_keys writes the same rows for every new or
changed guest; this fills them for the existing ones in one INSERT … SELECT, PostgreSQL and SQLite alike. Reversed
by deleting them (a name's four-character key is five characters long with its ^, an email's six with ^@)."""

from django.db import migrations

# crm.lookup.terms.prefix_keys's fourth character in SQL: name terms (kinds 0, 1 and 5) give their first 4
# characters, emails (3 and 6) the @ and 4 characters, each shorter than the term; one row per guest and key, and none
# that a guest holds already (written by the new code before the migration ran, or by a run stopped halfway).
FILL = """
INSERT INTO crm_searchterm (organization_id, customer_id, term, kind, last_seen)
SELECT organization_id, customer_id, key, 7, max(last_seen) FROM (
    SELECT t.organization_id, t.customer_id, t.last_seen,
           '^' || substr(t.term, 1, 4 + CASE WHEN t.kind IN (3, 6) THEN 1 ELSE 0 END) AS key
    FROM crm_searchterm t
    WHERE t.kind IN (0, 1, 3, 5, 6)
      AND 4 <= length(t.term) - 1 - CASE WHEN t.kind IN (3, 6) THEN 1 ELSE 0 END
) AS keys
WHERE NOT EXISTS (SELECT 1 FROM crm_searchterm s WHERE s.customer_id = keys.customer_id AND s.term = keys.key AND s.kind = 7)
GROUP BY organization_id, customer_id, key
"""

UNFILL = """
DELETE FROM crm_searchterm WHERE kind = 7 AND (
    (substr(term, 1, 2) <> '^@' AND length(term) = 5) OR (substr(term, 1, 2) = '^@' AND length(term) = 6)
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0032_japanese_and_korean_names_unread_in_pinyin"),
    ]

    operations = [
        migrations.RunSQL(FILL, UNFILL),
    ]

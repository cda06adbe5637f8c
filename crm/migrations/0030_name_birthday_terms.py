"""NAME_BIRTHDAY search terms (=3-14 zhangwei: crm.lookup.terms.birthday_term): an import's "same full name with the
same birthday" rule probes them instead of reading every namesake's birthday (docs/benchmarks.md, "Guest-list
import"). Each guest with a birthday's month and day gets one per full-name term, written here in SQL that
PostgreSQL and SQLite both speak, as customer_terms() writes them: change both together."""

from django.db import migrations, models

# Kind 5 is FULL_NAME, 8 NAME_BIRTHDAY; a term is at most 100 characters (crm.lookup.normalize.MAX_TERM_LENGTH).
BACKFILL = """
INSERT INTO crm_searchterm (organization_id, customer_id, term, kind, last_seen)
SELECT t.organization_id, t.customer_id,
       substr('=' || CAST(c.birthday_month AS text) || '-' || CAST(c.birthday_day AS text) || ' ' || t.term, 1,
              100),
       8, t.last_seen
FROM crm_searchterm t JOIN crm_customer c ON c.id = t.customer_id
WHERE t.kind = 5 AND c.birthday_month IS NOT NULL AND c.birthday_day IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [("crm", "0029_search_name_trigram_fastupdate")]

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
                    (8, "name and birthday"),
                ]
            ),
        ),
        migrations.RunSQL(BACKFILL, "DELETE FROM crm_searchterm WHERE kind = 8"),
    ]

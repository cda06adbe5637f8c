"""The guests' last visit copied into their search terms (the lookup's recency order), within seconds of a
contact."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from crm.models import Customer, SearchTerm, SearchTermVisit


def visit_pending_sql(source: str) -> str:
    """SQL marking the guest of `source` (a row with its id: the statement's counted visit) as having a last visit
    not yet copied into their search terms: an INSERT that a pending guest already has does nothing. On PostgreSQL a
    data-modifying CTE beside the UPDATE that counts the visit (crm.services.history); PostgreSQL and SQLite both
    speak it.

    Why the terms carry the last visit, measured 2026-12-02 on 150,000 guests (60,000 named 王): the lookup's index
    (organization, term, kind, last_seen DESC, customer DESC) hands out the 20 most recent 王 from 4 buffers in
    0.04 ms, where ordering by the customer's own last_seen joins every namesake: 5,588 buffers, 170-190 ms, on
    every keystroke. Why the copy is not made in the contact's transaction, measured 2026-12-04 at 1,000,000 guests
    (docs/benchmarks.md): the guest's ~20 terms rewritten (~60 index entries in a 20-million-row table) took 7.4 ms of
    the contact's 16 ms. visits_copy makes it within seconds; until then only the order of more than a page of
    namesakes can lag (the lookup orders the page it shows by the guests' own last visit)."""
    table = connection.ops.quote_name(SearchTermVisit._meta.db_table)
    # "WHERE true": SQLite tells the upsert clause from a join's ON by it.
    return f"INSERT INTO {table} (customer_id) SELECT id FROM {source} WHERE true ON CONFLICT DO NOTHING"  # noqa: S608


# Guests whose last visit one statement copies into their terms (~20 rows each).
VISITS_BATCH = 500

# PostgreSQL, in one statement: a batch of pending guests, their rows locked first — as the contact's statement
# locks them, so that the two never wait on each other in opposite orders; a guest whose contact is still in flight
# is skipped and copied on the next run, with that contact's visit —, their pending rows deleted (and those of
# guests no longer on file), their terms rewritten. SQLite, one writer at a time: the same in three statements.
_VISITS_COPY_SQL = """
WITH picked AS (
    SELECT customer_id FROM {pending} ORDER BY customer_id LIMIT %s
), seen AS (
    SELECT id, last_seen FROM {customer} WHERE id IN (SELECT customer_id FROM picked) FOR UPDATE SKIP LOCKED
), gone AS (
    DELETE FROM {pending} WHERE customer_id IN (SELECT customer_id FROM picked)
    AND NOT EXISTS (SELECT 1 FROM {customer} c WHERE c.id = {pending}.customer_id) RETURNING customer_id
), due AS (
    DELETE FROM {pending} WHERE customer_id IN (SELECT id FROM seen) RETURNING customer_id
), copied AS (
    UPDATE {term} term SET last_seen = seen.last_seen FROM seen
    WHERE term.customer_id = seen.id AND term.last_seen IS DISTINCT FROM seen.last_seen
)
SELECT (SELECT count(*) FROM picked), (SELECT count(*) FROM due) + (SELECT count(*) FROM gone)
"""


def visits_copy() -> int:
    """Copy the pending guests' last visit into their search terms, a transaction per VISITS_BATCH guests (beat,
    every few seconds; crm.tasks.copy_visits): how many pending guests were done with (copied, or no longer on
    file). Stops at a batch that skipped a guest (a contact in flight): the next run takes it."""
    batch = VISITS_BATCH
    names = {
        "pending": connection.ops.quote_name(SearchTermVisit._meta.db_table),
        "customer": connection.ops.quote_name(Customer._meta.db_table),
        "term": connection.ops.quote_name(SearchTerm._meta.db_table),
    }
    copied = 0
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(_VISITS_COPY_SQL.format(**names), [batch])
                picked, done = cursor.fetchone()
            else:
                cursor.execute(f"SELECT customer_id FROM {names['pending']} ORDER BY customer_id LIMIT %s", [batch])  # noqa: S608
                due = [row[0] for row in cursor.fetchall()]
                # One UPDATE for the batch, each term taking its guest's last visit (SQLite serializes writers: no
                # contact can be in flight beside it).
                SearchTerm.objects.filter(customer_id__in=due).update(
                    last_seen=Subquery(Customer.objects.filter(pk=OuterRef("customer_id")).values("last_seen")[:1])
                )
                SearchTermVisit.objects.filter(customer_id__in=due).delete()
                picked = done = len(due)
        copied += done
        if picked < batch or done < picked:
            return copied

"""The every-word stage's statements: each word's rows counted, the customers of every word intersected, and the
walks through the most recent guests or an anchor term's holders, each probed for the other words."""

from __future__ import annotations

from django.db import connection

from crm.lookup.search.statements.exact import exact_sql
from crm.lookup.search.statements.reading import RECENT_FIRST, exact_terms, term_columns
from crm.models import Customer, Organization, SearchTerm

WALK_ROWS = 5000  # guests a walk looks at; when fewer than the page match, the words are read whole


def _union(organization: Organization, parts: list[tuple[str, list]]) -> tuple[str, list]:
    """The customers (one row per matching term) of one word's ranges: a UNION ALL of plain index ranges (the exact
    terms, then each prefix); one OR across them made PostgreSQL combine bitmaps and read the table's pages, where
    each range alone is an index-only scan."""
    table = SearchTerm._meta.db_table
    branches, params = [], []
    for sql, part_params in parts:
        branches.append(f"SELECT customer_id FROM {table} WHERE organization_id = %s AND {sql}")  # noqa: S608
        params += [organization.pk, *part_params]
    return " UNION ALL ".join(branches), params


def count_sql(organization: Organization, parts: list[tuple[str, list]], cap: int) -> tuple[str, list]:
    """How many rows one word matches, counted up to cap + 1 (index only)."""
    return _capped(_union(organization, parts), cap)


def _capped(union: tuple[str, list], cap: int) -> tuple[str, list]:
    sql, params = union
    return f"SELECT count(*) FROM (SELECT 1 FROM ({sql}) AS word LIMIT %s) AS capped", [*params, cap + 1]  # noqa: S608


def counts_sql(organization: Organization, words: list[list[tuple[str, list]]], cap: int) -> tuple[str, list]:
    """count_sql of each word, in one row (columns n0, n1, …): one round trip for them all. Several words: each is
    first asked whether it has a row at all (one index probe); when one has none, it is 0 and the others are NULL,
    not counted — no guest holds every word, and counting a common one (martin, to 1,001 rows: 0.3 ms at a million
    guests) told the caller nothing ("Jack Martin", where no guest is called Jack). PostgreSQL runs an uncorrelated
    subquery (an InitPlan) only when its value is first needed: the counts in a branch not taken are not run."""
    held = [_union(organization, parts) for parts in words]
    counted = [_capped(union, cap) for union in held]
    params = [p for _, params in counted for p in params]
    if len(words) == 1:
        return f"SELECT ({counted[0][0]}) AS n0", params
    every = " AND ".join(f"h.h{number}" for number in range(len(words)))
    columns = ", ".join(
        f"CASE WHEN {every} THEN ({sql}) WHEN h.h{number} THEN NULL ELSE 0 END AS n{number}"
        for number, (sql, _) in enumerate(counted)
    )
    exists = ", ".join(f"EXISTS ({union}) AS h{number}" for number, (union, _) in enumerate(held))
    held_params = [p for _, union_params in held for p in union_params]
    return f"SELECT {columns} FROM (SELECT {exists} OFFSET 0) AS h", [*params, *held_params]  # noqa: S608


def counted_with_sql(
    organization: Organization, words: list[list[tuple[str, list]]], cap: int, statement: tuple[str, list]
) -> tuple[str, list]:
    """counts_sql's words counted beside another statement's rows, in one round trip: each row is the counts, then
    the statement's columns; one row of counts and NULLs when the statement finds nothing."""
    counts, counts_params = counts_sql(organization, words, cap)
    sql, params = statement
    return f"SELECT * FROM ({counts}) AS counted LEFT JOIN ({sql}) AS found ON true", [*counts_params, *params]  # noqa: S608


def _first_rows(organization: Organization, parts: list[tuple[str, list]], rows: int) -> tuple[str, list]:
    """PostgreSQL: one word's first `rows` rows, the best first: its exact terms in the order given (the caller puts
    the word as typed first), each term's holders in index order (a full name before a part of one, then the most
    recent: exact_sql's LATERAL reads the terms in their array's order), then each prefix's range in term order
    (parts as ranges() makes them: the exact terms first)."""
    table = SearchTerm._meta.db_table
    exact, params = exact_sql(organization, exact_terms(parts[0]), rows)
    prefixes = parts[1:]
    branches = [f"SELECT customer_id FROM ({exact}) AS e"]  # noqa: S608
    for number, (sql, prefix_params) in enumerate(prefixes):
        branches.append(
            f"SELECT * FROM (SELECT customer_id FROM {table} WHERE organization_id = %s AND {sql}"  # noqa: S608
            f" LIMIT %s) AS p{number}"
        )
        params += [organization.pk, *prefix_params, rows]
    return f"SELECT customer_id FROM ({' UNION ALL '.join(branches)}) AS word LIMIT %s", [*params, rows]  # noqa: S608


def every_word_sql(
    organization: Organization, words, conditions: list[tuple[str, list]], *, first_rows: int | None = None
) -> tuple[str, list]:
    """The customers of every given word (the rare ones: at most RANGE_ROWS rows each), each once, that also hold
    a term of every condition (the other words'), probed through searchterm_customer_term from the index alone.
    first_rows (PostgreSQL): each word's candidates are its first rows only (_first_rows), so that the probes do not
    grow with its holders."""
    table = SearchTerm._meta.db_table
    sets, params = [], []
    for parts in words:
        union, union_params = (
            _first_rows(organization, parts, first_rows) if first_rows else _union(organization, parts)
        )
        sets.append(f"SELECT DISTINCT customer_id FROM ({union}) AS word")  # noqa: S608
        params += union_params
    checks = []
    for sql, condition_params in conditions:
        checks.append(f"EXISTS (SELECT 1 FROM {table} t WHERE t.customer_id = m.customer_id AND {sql})")  # noqa: S608
        params += condition_params
    where = f" WHERE {' AND '.join(checks)}" if checks else ""
    sql = f"SELECT customer_id FROM ({' INTERSECT '.join(sets)}) AS m{where}"  # noqa: S608
    return sql, params


def walk_sql(organization: Organization, conditions: list[tuple[str, list]], limit: int) -> tuple[str, list]:
    """PostgreSQL: the `limit` most recent guests with a term satisfying each condition, walked newest visit first
    through customer_org_recent, one probe of the guest's terms (searchterm customer_id index) per condition;
    at most WALK_ROWS guests are looked at. Reading a range's terms in order of visit is not possible (the index
    orders a range by term); for a common prefix the walk stops early: "w" among the 150,000 guests above looked
    at 50 guests (Nested Loop over customer_org_recent, 257 buffers, 0.8 ms) where its range holds ~200,000 rows."""
    customer, term = Customer._meta.db_table, SearchTerm._meta.db_table
    joins, params = [], []
    for number, (sql, condition_params) in enumerate(conditions):
        joins.append(
            f" CROSS JOIN LATERAL (SELECT 1 FROM {term} t WHERE t.customer_id = c.id AND {sql} LIMIT 1) AS w{number}"  # noqa: S608
        )
        params += condition_params
    sql = (
        f"SELECT c.id FROM (SELECT id, last_seen FROM {customer} WHERE organization_id = %s"  # noqa: S608
        " AND merged_into_id IS NULL ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT %s) AS c"
        f"{''.join(joins)} ORDER BY c.last_seen DESC NULLS LAST, c.id DESC LIMIT %s"
    )
    return sql, [organization.pk, WALK_ROWS, *params, limit]


def anchor_walk_sql(
    organization: Organization, anchor: str, conditions: list[tuple[str, list]], limit: int, rows: int | None = None
) -> tuple[str, list]:
    """PostgreSQL: the anchor term's `limit` best holders (index order: a full name before a part of one, then the
    most recent) that also hold a term satisfying each condition — the anchor's rows read in order from
    searchterm_org_term_recent (at most `rows`, never more than WALK_ROWS), each holder probed through
    searchterm_customer_term (index only), stopping at `limit` matches. "wei j" among 100,000 guests: ~70 probes,
    where reading the 4,000 holders of "wei" and probing each took ~9,000 buffers."""
    table = SearchTerm._meta.db_table
    probes, params = [], [organization.pk, anchor, min(rows or WALK_ROWS, WALK_ROWS)]
    for number, (sql, condition_params) in enumerate(conditions):
        probes.append(
            f" CROSS JOIN LATERAL (SELECT 1 FROM {table} t WHERE t.customer_id = anchor.customer_id AND {sql}"  # noqa: S608
            f" LIMIT 1) AS w{number}"
        )
        params += condition_params
    sql = (
        f"SELECT anchor.customer_id FROM (SELECT customer_id, kind, last_seen FROM {table}"  # noqa: S608
        f" WHERE organization_id = %s AND term = %s ORDER BY {RECENT_FIRST} LIMIT %s) AS anchor{''.join(probes)}"
        " ORDER BY anchor.kind DESC, anchor.last_seen DESC NULLS LAST, anchor.customer_id DESC LIMIT %s"
    )
    return sql, [*params, limit]


def terms_of_sql(organization: Organization, found: tuple[str, list], condition: tuple[str, list]) -> tuple[str, list]:
    """The terms satisfying condition of the customers another statement finds (its one column: a walk, the customers
    of every word), in the same round trip, through the customer_id index. On PostgreSQL the finding statement is an
    ARRAY(...) run once, before the terms are read, as a list of ids would be (written IN (...), the planner ran a
    walk again for each term of a range: "onin yang", 3,599 walks, 359,045 buffers, 555 ms), and each customer's
    terms are one probe of searchterm_customer_term (a LATERAL per id that OFFSET 0 keeps from being flattened
    into a join, without the organization, which the ids already belong to: with it the planner may read the
    condition's terms through the organization's index instead and filter them by customer — "geor" at ten million
    guests read 67,572 rows, 66,999 buffers, 16 ms for 20 guests' terms, "hyun woo" ANDed bitmaps of every holder of
    both words for each guest, 218 ms; by probes 0.2 ms). SQLite runs an IN (...) list once."""
    table = SearchTerm._meta.db_table
    found_sql, found_params = found
    sql, params = condition
    if connection.vendor == "postgresql":
        return (
            f"SELECT t.* FROM unnest(ARRAY({found_sql})) AS found (id) CROSS JOIN LATERAL (SELECT {term_columns()}"  # noqa: S608
            f" FROM {table} WHERE customer_id = found.id AND {sql} OFFSET 0) AS t",
            [*found_params, *params],
        )
    return (
        f"SELECT {term_columns()} FROM {table} WHERE customer_id IN ({found_sql}) AND organization_id = %s AND {sql}",  # noqa: S608
        [*found_params, organization.pk, *params],
    )

"""The reads by exact term: each term's best holders in index order, the typo stage's corrected names ranked in the
database, and the winners' own rows."""

from __future__ import annotations

import itertools

from django.db import connection

from crm import prepared, rows
from crm.lookup.search.statements.reading import RECENT_FIRST, id_list, term_columns
from crm.models import Customer, ExternalId, Organization, SearchTerm


def exact_sql(organization: Organization, terms: list[str], limit: int) -> tuple[str, list]:
    """Each term's `limit` best rows (a full name before a part of one, then the most recent visit, then the
    newest) straight from the searchterm_org_term_recent index. EXPLAIN (ANALYZE, BUFFERS) of 王, held by 60,000
    of 150,000 guests (2026-12-02): Index Only Scan, rows=20, Heap Fetches: 0, shared hit=4, 0.04 ms.
    Plain SQL: this runs on every keystroke, and the ORM took longer to compile it than PostgreSQL to answer.
    On PostgreSQL the terms are one array parameter, each probed by a LATERAL subquery: the same plan for any
    number of terms (64 terms at a million guests: 1.4 ms, where a UNION ALL of 64 branches took 9.5 ms to plan;
    best_holders_sql reads the same way); SQLite, without LATERAL, a UNION ALL of one branch per term."""
    table = SearchTerm._meta.db_table
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT exact.* FROM unnest(%s::text[]) AS typed (term) CROSS JOIN LATERAL (SELECT {term_columns()}"  # noqa: S608
            f" FROM {table} WHERE organization_id = %s AND term = typed.term ORDER BY {RECENT_FIRST} LIMIT %s) AS exact"
        )
        return sql, [prepared.array(terms), organization.pk, limit]
    branches, params = [], []
    for number, term in enumerate(terms):
        branches.append(
            f"SELECT * FROM (SELECT {term_columns()} FROM {table} WHERE organization_id = %s AND term = %s"  # noqa: S608
            f" ORDER BY {RECENT_FIRST} LIMIT %s) AS exact{number}"
        )
        params += [organization.pk, term, limit]
    return " UNION ALL ".join(branches), params


# The corrected whole names are read in tiers, the heaviest first (best_holders_sql): the first name alone, then the
# next seven, then the rest. Of the typo stage's 64 names the first often has a page of holders (jiangfang for
# "jwiang fang": Jiang Fang, more than 20 guests), and then none of the 63 after it can place.
TIERS = (1, 8)


def best_holders_sql(
    organization: Organization,
    weighed: list[tuple[str, float]],
    limit: int,
    factors: dict[int, float],
    margin: float,
) -> tuple[str, list]:
    """The best holders of weighed terms (the typo stage's corrected whole names, each with its weight), one row
    each, ranked in the database: each term's `limit` best rows as exact_sql reads them, each scored as its weight
    times its kind's factor (`factors`; any other kind 1.0), a guest's best row kept; of those, every guest whose score
    is within `margin` of the `limit`-th best score or above it, the best first, the most recent visit, the newest.
    The margin is the caller's: the search orders by scores rounded (crm.lookup.search._order), so a guest a little
    below the cut may still rank above it there by a more recent visit. "bping qin" at a million guests: 64
    corrected names brought 865 rows to Python, scored there in ~8 ms, for a page of 20.

    On PostgreSQL the terms are read heaviest first, in TIERS: a tier's rows are not read when `limit` guests of the
    tiers before it score more than its heaviest term can plus the margin — none of its rows could then be kept (the
    cut only rises with more rows, and a row below it less the margin is no guest's kept row), so the answer is the
    same. The gate is a one-time filter: PostgreSQL evaluates it before it would read the tier."""
    table = SearchTerm._meta.db_table
    factor = " ".join(f"WHEN {int(kind)} THEN {float(value)!r}" for kind, value in sorted(factors.items()))
    weighed = sorted(weighed, key=lambda pair: (-pair[1], pair[0]))
    if connection.vendor == "postgresql":
        score = f"typed.weight * CASE exact.kind {factor} ELSE 1.0 END" if factors else "typed.weight"
        most = max([1.0, *factors.values()])  # what a row scores at most, of its term's weight
        bounds = [0, *(n for n in TIERS if n < len(weighed)), len(weighed)]
        tiers, params = [], []
        for number, (start, end) in enumerate(itertools.pairwise(bounds)):
            part = weighed[start:end]
            tier = (
                f"SELECT {score} AS score, exact.* FROM unnest(%s::text[], %s::float8[]) AS typed (term, weight)"  # noqa: S608
                f" CROSS JOIN LATERAL (SELECT {term_columns()} FROM {table} WHERE organization_id = %s"
                f" AND term = typed.term ORDER BY {RECENT_FIRST} LIMIT %s) AS exact"
            )
            params += [prepared.array(t for t, _ in part), prepared.array(w for _, w in part), organization.pk, limit]
            if number:
                before = " UNION ALL ".join(f"SELECT customer_id, score FROM t{n}" for n in range(number))  # noqa: S608
                tier += (
                    f" WHERE (SELECT count(*) FROM (SELECT customer_id FROM ({before}) AS b GROUP BY customer_id"  # noqa: S608
                    " HAVING max(score) > %s) AS above) < %s"
                )
                params += [part[0][1] * most + margin, limit]
            tiers.append(f"t{number} AS ({tier})")
        union = " UNION ALL ".join(f"SELECT * FROM t{n}" for n in range(len(tiers)))  # noqa: S608 - the CTEs' names
        scored = f"WITH {', '.join(tiers)}, r AS ({union})"
    else:
        branches, params = [], []
        for number, (term, weight) in enumerate(weighed):
            branches.append(
                f"SELECT %s AS weight, * FROM (SELECT {term_columns()} FROM {table} WHERE organization_id = %s"  # noqa: S608
                f" AND term = %s ORDER BY {RECENT_FIRST} LIMIT %s) AS exact{number}"
            )
            params += [weight, organization.pk, term, limit]
        score = f"r.weight * CASE r.kind {factor} ELSE 1.0 END" if factors else "r.weight"
        scored = f"WITH r AS (SELECT r.*, {score} AS score FROM ({' UNION ALL '.join(branches)}) AS r)"  # noqa: S608
    # The cut (the limit-th best guest's score) from each guest's best score, a hash of the rows; only the rows at or
    # above it are sorted to keep each guest's best. Every row sorted by guest for that (a window over all of them)
    # took "jwiang fang" 1.23 ms at a million guests against 1.07 (689 rows; 200 runs of each, interleaved, 2026-12-07).
    sql = (
        f"{scored} SELECT customer_id, term, kind, seen FROM"  # noqa: S608
        " (SELECT r.*, row_number() OVER (PARTITION BY customer_id ORDER BY score DESC, term) AS nth FROM r"
        " WHERE score >= (SELECT min(score) FROM (SELECT max(score) AS score FROM r GROUP BY customer_id"
        " ORDER BY score DESC LIMIT %s) AS page) - %s) AS best"
        " WHERE nth = 1 ORDER BY score DESC, seen DESC NULLS LAST, customer_id DESC"
    )
    return sql, [*params, limit, margin]


def winners_sql(organization: Organization, ids) -> tuple[str, list]:
    """The winners' rows, of this organization and not merged away, each with its ids in other systems (which the
    list shows; most guests have none) in their model's order: one row per id, for crm.rows.instances_with.
    Hand-written (crm.rows) because compiling the queryset and its prefetch took longer than reading twenty rows."""
    table, external = Customer._meta.db_table, ExternalId._meta.db_table
    condition, params = id_list(ids)
    quote = connection.ops.quote_name
    order = ", ".join(f"e.{quote(ExternalId._meta.get_field(name).column)}" for name in ExternalId._meta.ordering)
    sql = (
        f"SELECT {rows.columns(Customer, 'c')}, {rows.columns(ExternalId, 'e')} FROM {table} c"  # noqa: S608
        f" LEFT JOIN {external} e ON e.customer_id = c.id"
        f" WHERE c.organization_id = %s AND c.merged_into_id IS NULL AND c.id {condition} ORDER BY c.id, {order}"
    )
    return sql, [organization.pk, *params]

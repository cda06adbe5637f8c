"""The lookup's SQL, each statement a function returning (sql, params): index ranges and walks over the search
terms and the winners' rows (the typo stage's corrections are crm.lookup.vocabulary's)."""

from __future__ import annotations

import json

from django.db import connection, connections, router

from crm import prepared, rows
from crm.lookup.search.query import Variant
from crm.lookup.terms import PREFIX_SIGIL, is_prefix_key
from crm.models import Customer, ExternalId, Organization, SearchTerm

WALK_ROWS = 5000  # guests a walk looks at; when fewer than the page match, the words are read whole
UPPER = "\U0010ffff"  # sorts after every character: term < q + UPPER means "starts with q"


def id_list(ids) -> tuple[str, list]:
    """A condition "id is one of these" with one parameter: an array, or JSON on SQLite. Hundreds of ids
    as separate parameters cost more to bind and parse than the index scan takes."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [prepared.array(ids)]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


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


# What every read of terms returns, in the order Scores.add_term takes it: the last visit as seconds since the
# epoch, `seen` (a float crosses to Python ~20 times faster than a timestamp, and a common name's candidates bring
# thousands of rows). On PostgreSQL date_part, a float8 exact to the microsecond for any date a guest has:
# EXTRACT gives a numeric (PostgreSQL 14 on), computed, sorted and grouped several times slower, and a Decimal in
# Python — a range of 1,856 terms ranked in 3.7 ms, 1.0 of them computing EXTRACT (EXPLAIN ANALYZE, a million
# guests, 2026-12-06). Only table names, placeholders and fixed SQL are interpolated into the statements below;
# every value is a parameter.
SEEN = {
    "postgresql": "date_part('epoch', last_seen)",
    "sqlite": "(julianday(last_seen) - 2440587.5) * 86400.0",
}


def _term_columns() -> str:
    return f"customer_id, term, kind, {SEEN[connection.vendor]} AS seen"


RECENT_FIRST = "kind DESC, last_seen DESC NULLS LAST, customer_id DESC"  # the order of searchterm_org_term_recent


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
            f"SELECT exact.* FROM unnest(%s::text[]) AS typed (term) CROSS JOIN LATERAL (SELECT {_term_columns()}"  # noqa: S608
            f" FROM {table} WHERE organization_id = %s AND term = typed.term ORDER BY {RECENT_FIRST} LIMIT %s) AS exact"
        )
        return sql, [prepared.array(terms), organization.pk, limit]
    branches, params = [], []
    for number, term in enumerate(terms):
        branches.append(
            f"SELECT * FROM (SELECT {_term_columns()} FROM {table} WHERE organization_id = %s AND term = %s"  # noqa: S608
            f" ORDER BY {RECENT_FIRST} LIMIT %s) AS exact{number}"
        )
        params += [organization.pk, term, limit]
    return " UNION ALL ".join(branches), params


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
    corrected names brought 865 rows to Python, scored there in ~8 ms, for a page of 20."""
    table = SearchTerm._meta.db_table
    if connection.vendor == "postgresql":
        rows = (
            f"SELECT typed.weight, exact.* FROM unnest(%s::text[], %s::float8[]) AS typed (term, weight)"  # noqa: S608
            f" CROSS JOIN LATERAL (SELECT {_term_columns()} FROM {table} WHERE organization_id = %s"
            f" AND term = typed.term ORDER BY {RECENT_FIRST} LIMIT %s) AS exact"
        )
        params = [
            prepared.array(term for term, _ in weighed),
            prepared.array(w for _, w in weighed),
            organization.pk,
            limit,
        ]
    else:
        branches, params = [], []
        for number, (term, weight) in enumerate(weighed):
            branches.append(
                f"SELECT %s AS weight, * FROM (SELECT {_term_columns()} FROM {table} WHERE organization_id = %s"  # noqa: S608
                f" AND term = %s ORDER BY {RECENT_FIRST} LIMIT %s) AS exact{number}"
            )
            params += [weight, organization.pk, term, limit]
        rows = " UNION ALL ".join(branches)
    factor = " ".join(f"WHEN {int(kind)} THEN {float(value)!r}" for kind, value in sorted(factors.items()))
    score = f"r.weight * CASE r.kind {factor} ELSE 1.0 END" if factors else "r.weight"
    sql = (
        "WITH best AS (SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY customer_id"  # noqa: S608
        f" ORDER BY score DESC, term) AS nth FROM (SELECT r.*, {score} AS score FROM ({rows}) AS r) AS s) AS ranked"
        " WHERE nth = 1) SELECT customer_id, term, kind, seen FROM best WHERE score >= (SELECT min(score) FROM"
        " (SELECT score FROM best ORDER BY score DESC LIMIT %s) AS page) - %s"
        " ORDER BY score DESC, seen DESC NULLS LAST, customer_id DESC"
    )
    return sql, [*params, limit, margin]


# A range read whole comes back as this many rows per guest of the page, best first (prefix_sql): a guest holds one
# or two terms starting with a prefix, so the page's guests are nearly always among them (first_guests says when not).
PREFIX_ROWS_PER_GUEST = 4


def prefix_sql(
    organization: Organization,
    prefix: str,
    limit: int,
    *,
    only_if: tuple[str, list] | None = None,
    at_most: int | None = None,
    rows: int | None = None,
) -> tuple[str, list]:
    """The best rows of the terms strictly starting with prefix (the exact term is exact_sql's): customer, term,
    kind, last visit, in the order their guests rank (the best kind, then the most recent visit, then the newest: a
    guest's first row is its best), `rows` of them (PREFIX_ROWS_PER_GUEST for each of the `limit` guests unless
    said), for first_guests() to cut at the `limit`-th guest. One index range in term order (at most RANGE_ROWS rows
    on PostgreSQL: a longer one is walked, see _lookup), ranked in the database, so that a thousand rows do not
    cross to Python: a top-N sort, where grouping the rows by guest before ranking the groups sorted the whole range
    twice (the 1,584 rows of liuwe… at a million guests: 2.0 against 2.9 ms, 2026-12-07). only_if: a condition on
    the statement around it (prefixes_sql's count), checked before the range is read. at_most: the rows the range
    holds when it is read at all (only_if counted them): said to the planner, whose generic plan (crm.prepared)
    otherwise guesses a tenth of the guests — a phone's four rows ranked in 0.9 ms where its own plan took 0.1."""
    table = SearchTerm._meta.db_table
    gate, gate_params = (f" AND {only_if[0]}", only_if[1]) if only_if else ("", [])
    # Written into the text: a LIMIT given as a parameter is guessed at a tenth of the rows in a generic plan.
    bound = f" LIMIT {int(at_most)}" if at_most is not None else ""
    matches = (
        f"SELECT {_term_columns()} FROM {table} WHERE organization_id = %s AND term > %s AND term < %s{gate}{bound}"  # noqa: S608
    )
    sql = (
        f"SELECT customer_id, term, kind, seen FROM ({matches}) AS r"  # noqa: S608
        " ORDER BY kind DESC, seen DESC NULLS LAST, customer_id DESC LIMIT %s"
    )
    return sql, [organization.pk, prefix, prefix + UPPER, *gate_params, prefix_rows(limit, rows)]


def prefix_rows(limit: int, rows: int | None = None) -> int:
    """The rows prefix_sql asks for: `rows`, else PREFIX_ROWS_PER_GUEST for each of the `limit` guests."""
    return limit * PREFIX_ROWS_PER_GUEST if rows is None else rows


def first_guests(rows: list, limit: int, asked: int) -> list | None:
    """prefix_sql's rows of its first `limit` guests (each guest's rows among them, in their order); None when those
    cannot be told: all `asked` rows came back and hold fewer guests (some guest holds many of the terms), so a guest
    of the page may lie beyond them — the caller asks for the whole range."""
    guests: set[int] = set()
    kept = []
    for row in rows:
        if row[0] not in guests:
            if len(guests) == limit:
                continue
            guests.add(row[0])
        kept.append(row)
    if len(guests) < limit and len(rows) >= asked:
        return None
    return kept


EXACT_PART = -1  # prefixes_sql's number for the rows of the exact terms


def prefixes_sql(
    organization: Organization,
    prefixes: list[str],
    limit: int,
    cap: int | None,
    *,
    exact: list[str] = (),
    enough: str | None = None,
    enough_kind: int = 0,
    ranged: frozenset[str] = frozenset(),
    ranged_cap: int | None = None,
    outranked: dict[str, list[str]] | None = None,
) -> tuple[str, list]:
    """Every prefix's `limit` best holders in one statement (a round trip each cost more than their index reads),
    as rows (the prefix's number in prefixes, the rows in its range, customer, term, kind, last visit): a short
    prefix's from its PREFIX rows, in exact_sql's order (no count); a longer one's ranked as prefix_sql ranks them.
    With a cap (PostgreSQL), a longer prefix's range is first counted from the index up to cap + 1 rows, and ranked
    only when it holds at most cap: its count comes with its rows, or alone with NULLs when there are none or too
    many (the caller walks a common prefix, see _lookup). exact: terms whose exact_sql rows come first, numbered
    EXACT_PART. enough: an exact term whose `limit` best rows, when they are `limit` guests (of rows of enough_kind
    or a higher kind), outrank every prefix match (the caller knows when): the longer prefixes are then neither
    counted nor read ("deborah" at a million guests: its 1,000 holders answer, and the 3,500 rows of deborah… and
    @deborah… cost 3 of the statement's 4 ms; "Wáng Zhēn": 4.9 ms ranking the 2,000 rows of wangzhen… for none).
    ranged: short prefixes read as a longer one is, by their range (the caller's typed words joined, whose rows' kinds
    tell a whole name starting with them from a part of one: a PREFIX row does not tell), capped at ranged_cap.
    outranked: a counted prefix's range is neither counted nor read (its count NULL) when one of these counted
    prefixes holds more than the cap: the caller walks that one, and its matches fill the page above this one's
    ("huami" at a million guests, 2,001 rows and walked, left the 1,652 of @huami… counted and ranked for nothing, 2.4
    of the statement's 3 ms). The counts are made first (a CTE), those outranking others before them.
    (The count is typed: a UNION resolves its columns two branches at a time, and two untyped NULLs would make it
    text.)"""
    table = SearchTerm._meta.db_table
    branches, params, counts = [], [], []
    outranked = outranked or {}
    number_of = {prefix: number for number, prefix in enumerate(prefixes)}
    cap_of: dict[int, int] = {}  # each counted prefix's own cap
    if exact:
        rows_sql, rows_params = exact_sql(organization, list(exact), limit)
        branches.append(_uncounted(rows_sql, "e"))
        params += [EXACT_PART, *rows_params]
    # Read the longer prefixes only while the enough term's best rows are fewer than `limit` guests.
    gate, gate_params = ("TRUE", [])
    if enough is not None:
        gate = (
            f"(SELECT count(DISTINCT customer_id) FROM (SELECT customer_id, kind FROM {table}"  # noqa: S608
            f" WHERE organization_id = %s AND term = %s ORDER BY {RECENT_FIRST} LIMIT %s) AS enough"
            " WHERE kind >= %s) < %s"
        )
        gate_params = [organization.pk, enough, limit, int(enough_kind), limit]
    for number, prefix in enumerate(prefixes):
        if is_prefix_key(prefix) and prefix not in ranged:
            rows_sql, rows_params = exact_sql(organization, [PREFIX_SIGIL + prefix], limit)
            branches.append(_uncounted(rows_sql, f"p{number}"))
            params += [number, *rows_params]
        elif cap is None:
            rows_sql, rows_params = prefix_sql(organization, prefix, limit, only_if=(gate, gate_params))
            branches.append(_uncounted(rows_sql, f"p{number}"))
            params += [number, *rows_params]
        else:
            # A range not counted (the gate closed) has a count of 0: not read either (the gate is an InitPlan of
            # each count, run once there).
            most = cap_of[number] = ranged_cap if prefix in ranged and ranged_cap is not None else cap
            counted = (
                f"(SELECT count(*) FROM (SELECT 1 FROM {table} WHERE organization_id = %s AND term > %s"  # noqa: S608
                f" AND term < %s AND {gate} LIMIT %s) AS x)"
            )
            above = [number_of[other] for other in outranked.get(prefix, ())]
            counts.append((number, counted, [organization.pk, prefix, prefix + UPPER, *gate_params, most + 1], above))
            ranked, ranked_params = prefix_sql(
                organization, prefix, limit, only_if=(f"counted.range{number} BETWEEN 1 AND %s", [most]), at_most=most
            )
            branches.append(
                f"SELECT %s AS part, counted.range{number}, r.customer_id, r.term, r.kind, r.seen FROM counted"  # noqa: S608
                f" LEFT JOIN LATERAL ({ranked}) AS r ON true"
            )
            params += [number, *ranked_params]
    union = " UNION ALL ".join(branches)
    if not counts:
        return union, params
    # Each count a column of a select around the ones before it, those outranking it among them (the fewer a prefix
    # is outranked by, the higher it reaches; the first by none): an outranked one is counted only when none of those
    # ran over the cap (a subquery in a CASE branch not taken is not run).
    counted_sql, counted_params = None, []
    for number, count, count_params, above in sorted(counts, key=lambda c: (len(c[3]), c[0])):
        if above:
            over = " OR ".join(f"c.range{other} > %s" for other in above)
            column, column_params = (
                f"CASE WHEN {over} THEN NULL ELSE {count} END",
                [
                    *(cap_of[other] for other in above),
                    *count_params,
                ],
            )
        else:
            column, column_params = count, count_params
        if counted_sql is None:
            counted_sql, counted_params = f"SELECT {column} AS range{number}", column_params
        else:
            # OFFSET 0: the select inside is not flattened into this one, which would copy its counts into the CASE.
            counted_sql = f"SELECT c.*, {column} AS range{number} FROM ({counted_sql} OFFSET 0) AS c"  # noqa: S608
            counted_params = [*column_params, *counted_params]
    return f"WITH counted AS MATERIALIZED ({counted_sql}) {union}", [*counted_params, *params]


def _uncounted(rows_sql: str, alias: str) -> str:
    """A branch of prefixes_sql whose rows come without a count."""
    return f"SELECT %s AS part, CAST(NULL AS bigint) AS n, customer_id, term, kind, seen FROM ({rows_sql}) AS {alias}"  # noqa: S608


def ranges(variants: list[Variant]) -> list[tuple[str, list]]:
    """The conditions "term is one of these" and "term starts with this", each an index range alone. A short
    prefix is its PREFIX row, one of the terms (crm.lookup.terms.prefix_keys): one row per holder ("fo": 936 rows at
    a million guests, where the terms starting with fo are three times as many)."""
    prefixes = sorted({v.term for v in variants if v.prefix})
    exact = sorted({v.term for v in variants} | {PREFIX_SIGIL + p for p in prefixes if is_prefix_key(p)})
    parts = [exact_part(exact)]
    # Strictly after the prefix itself: the exact range already has it.
    parts += [("(term > %s AND term < %s)", [p, p + UPPER]) for p in prefixes if not is_prefix_key(p)]
    return parts


def exact_part(terms: list[str]) -> tuple[str, list]:
    """The condition "term is one of these": on PostgreSQL one array parameter, so that the statement's text is the
    same however many terms a word has (its nicknames, a PREFIX row) and is prepared once (crm.prepared) — written
    as an IN list, each count of terms was a statement of its own, planned anew on every run (0.3 ms of a name
    nobody holds, "Linda Lindqvist", counted at a million guests); on SQLite an IN list."""
    if connection.vendor == "postgresql":
        return "term = ANY(%s::text[])", [list(terms)]
    return f"term IN ({', '.join(['%s'] * len(terms))})", list(terms)


def exact_terms(part: tuple[str, list]) -> list[str]:
    """The terms of an exact_part."""
    _, params = part
    return params[0] if connection.vendor == "postgresql" else params


def either(parts: list[tuple[str, list]]) -> tuple[str, list]:
    return "(" + " OR ".join(sql for sql, _ in parts) + ")", [p for _, params in parts for p in params]


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
            f"SELECT t.* FROM unnest(ARRAY({found_sql})) AS found (id) CROSS JOIN LATERAL (SELECT {_term_columns()}"  # noqa: S608
            f" FROM {table} WHERE customer_id = found.id AND {sql} OFFSET 0) AS t",
            [*found_params, *params],
        )
    return (
        f"SELECT {_term_columns()} FROM {table} WHERE customer_id IN ({found_sql}) AND organization_id = %s AND {sql}",  # noqa: S608
        [*found_params, organization.pk, *params],
    )


def run(sql: str, params: list, *, for_its_values: bool = False) -> list:
    """The statement's rows. Hand-written SQL takes the road the ORM would (a replica in the views config/routers.py
    names), prepared on PostgreSQL once it has run a few times on the connection and run with its generic plan
    (crm.prepared). for_its_values: a statement whose best plan depends on its values — a walk, the every-word
    stage's intersections, a prefix's range read whole — goes with its values written into its text and is planned
    for them each time (the intersections' generic plan took 24 ms at the median where their own plans took 19)."""
    database = connections[router.db_for_read(Customer)]
    with database.cursor() if for_its_values else prepared.cursor(database) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()

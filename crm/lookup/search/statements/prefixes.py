"""The reads by prefix: a longer prefix's range ranked in the database, and every prefix of a query with the exact
terms in one statement, each range counted first."""

from __future__ import annotations

from crm.lookup.search.statements.exact import exact_sql
from crm.lookup.search.statements.reading import RECENT_FIRST, UPPER, recent_first, term_columns
from crm.lookup.terms import PREFIX_SIGIL, is_prefix_key
from crm.models import Organization, SearchTerm

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
    whole: bool = False,
) -> tuple[str, list]:
    """The best rows of the terms strictly starting with prefix (the exact term is exact_sql's): customer, term,
    kind, last visit, in the order their guests rank (the best kind, then the most recent visit, then the newest: a
    guest's first row is its best), PREFIX_ROWS_PER_GUEST of them for each of the `limit` guests (every row when
    `whole`), for first_guests() to cut at the `limit`-th guest. One index range in term order (at most RANGE_ROWS rows
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
        f"SELECT {term_columns()} FROM {table} WHERE organization_id = %s AND term > %s AND term < %s{gate}{bound}"  # noqa: S608
    )
    params = [organization.pk, prefix, prefix + UPPER, *gate_params]
    sql = (
        f"SELECT customer_id, term, kind, seen FROM ({matches}) AS r"  # noqa: S608
        " ORDER BY kind DESC, seen DESC NULLS LAST, customer_id DESC"
    )
    if whole:
        return sql, params
    return f"{sql} LIMIT %s", [*params, limit * PREFIX_ROWS_PER_GUEST]


def first_guests(rows: list, limit: int, *, whole: bool = False) -> list | None:
    """prefix_sql's rows of its first `limit` guests (each guest's rows among them, in their order); None when those
    cannot be told: every row asked for came back (not `whole`) and they hold fewer guests (some guest holds many of
    the terms), so a guest of the page may lie beyond them — the caller asks for the whole range. The rows are put in
    prefix_sql's order here: a UNION ALL around the statement (prefixes_sql) need not keep it."""
    guests: set[int] = set()
    kept = []
    for row in sorted(rows, key=lambda row: recent_first(row[2], row[3], row[0])):  # customer, term, kind, seen
        if row[0] not in guests:
            if len(guests) == limit:
                continue
            guests.add(row[0])
        kept.append(row)
    if not whole and len(guests) < limit and len(rows) >= limit * PREFIX_ROWS_PER_GUEST:
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

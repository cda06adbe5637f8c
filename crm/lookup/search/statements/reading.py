"""What every statement of the lookup shares: the columns a read of terms returns and their order, the conditions on
a term (one of these, starting with this), and how a statement is run (prepared, on the road the ORM would take)."""

from __future__ import annotations

import json

from django.db import connection, connections, router

from crm import prepared
from crm.lookup.search.query import Variant
from crm.lookup.terms import PREFIX_SIGIL, is_prefix_key
from crm.models import Customer

UPPER = "\U0010ffff"  # sorts after every character: term < q + UPPER means "starts with q"


def id_list(ids) -> tuple[str, list]:
    """A condition "id is one of these" with one parameter: an array, or JSON on SQLite. Hundreds of ids
    as separate parameters cost more to bind and parse than the index scan takes."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [prepared.array(ids)]
    return "IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


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


def term_columns() -> str:
    return f"customer_id, term, kind, {SEEN[connection.vendor]} AS seen"


RECENT_FIRST = "kind DESC, last_seen DESC NULLS LAST, customer_id DESC"  # the order of searchterm_org_term_recent


def recent_first(first: float, seen: float | None, customer_id: int) -> tuple:
    """RECENT_FIRST's order as a sort key in Python: `first` (a kind, a score) highest, then the most recent visit
    (never seen last), then the newest guest."""
    return (-first, seen is None, -(seen or 0.0), -customer_id)


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

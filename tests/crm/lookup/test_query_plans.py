"""On PostgreSQL the lookup's queries are served by its indexes, never by a sequential scan.

The planner is told that sequential scans are prohibitively expensive (enable_seqscan = off):
it still chooses one when no index can serve the query (a LOWER() the index lacks, a
collation mismatch), so a plan without "Seq Scan" proves an index fits. The lookup's statements
are prepared (crm.prepared), and PostgreSQL may then run the plan it made without the values (a
generic plan): the statements a lookup runs on every keystroke are checked with both plans."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.lookup.search.query import analyze
from crm.lookup.search.scores import WHOLE_PART_FACTORS
from crm.lookup.search.statements import (
    anchor_walk_sql,
    best_holders_sql,
    count_sql,
    counted_with_sql,
    counts_sql,
    every_word_sql,
    exact_sql,
    prefix_sql,
    prefixes_sql,
    ranges,
    terms_of_sql,
    walk_sql,
    winners_sql,
)
from crm.lookup.search.words import FEW_ROWS, RANGE_ROWS
from crm.lookup.terms import reindex
from crm.lookup.vocabulary import corrections, vocabulary_add
from crm.models import Customer
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def plan(queryset_or_sql, *, generic: bool = False) -> str:
    """The plan for these values, or (generic) the one PostgreSQL makes for the prepared statement without them."""
    if isinstance(queryset_or_sql, tuple):
        sql, params = queryset_or_sql
    else:
        sql, params = queryset_or_sql.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("SET pg_trgm.word_similarity_threshold = 0.45")
        if generic:
            types = ", ".join(_TYPES[(type(p), type(p[0]) if isinstance(p, list) else None)] for p in params)
            numbered = sql % tuple(f"${n}" for n in range(1, len(params) + 1))
            cursor.execute(f"PREPARE explained ({types}) AS {numbered}")
            cursor.execute("SET plan_cache_mode = force_generic_plan")
            cursor.execute(f"EXPLAIN EXECUTE explained ({', '.join(['%s'] * len(params))})", params)
        else:
            cursor.execute("EXPLAIN " + sql, params)
        text = "\n".join(row[0] for row in cursor.fetchall())
        if generic:
            cursor.execute("DEALLOCATE explained")
            cursor.execute("RESET plan_cache_mode")
        cursor.execute("RESET enable_seqscan")
    return text


# The prepared statements' parameter types, as psycopg binds the lookup's values (none is NULL).
_TYPES = {
    (int, None): "bigint",
    (str, None): "text",
    (float, None): "float8",
    (list, str): "text[]",
    (list, int): "bigint[]",
    (list, float): "float8[]",
}
PLANS = pytest.mark.parametrize("generic", [False, True], ids=["for the values", "prepared, without them"])


@pytest.mark.parametrize("text", ["zhang wei", "张伟", "8000", "jose.alvarez@example.es", "bob", "O'Connor"])
@PLANS
def test_term_lookup_uses_the_term_index(organization, generic, text):
    CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang")
    variants = analyze(text).variants
    for query in (
        exact_sql(organization, sorted({v.term for v in variants}), 20),
        *(prefix_sql(organization, v.term, 20) for v in variants if v.prefix),
        prefixes_sql(organization, sorted({v.term for v in variants if v.prefix}) or ["zh"], 20, 2000),
        # as a word being typed runs it: its exact terms in the same statement, the longer prefixes read only while
        # the word itself has fewer than a page of holders
        prefixes_sql(
            organization,
            sorted({v.term for v in variants if v.prefix}) or ["zh"],
            20,
            2000,
            exact=sorted({v.term for v in variants}),
            enough=variants[0].term,
        ),
    ):
        explained = plan(query, generic=generic)
        assert "searchterm_org_term_recent" in explained, explained
        assert "Seq Scan" not in explained, explained


def test_a_page_of_holders_of_the_typed_word_leaves_its_longer_prefixes_unread(organization):
    """ "deborah" at a million guests: its 1,000 holders answer, and counting and ranking the 3,500 rows of deborah…
    and @deborah… took 3 of the statement's 4 ms. With 20 holders of the word among its best rows, PostgreSQL never
    runs the range scans (the gate is a one-time filter, evaluated first)."""
    guests = Customer.objects.bulk_create(
        Customer(organization=organization, given_name="Deborah", family_name=f"Smith{i}") for i in range(25)
    )
    reindex(guests)
    sql, params = prefixes_sql(organization, ["@deborah", "deborah"], 20, 2000, exact=["deborah"], enough="deborah")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    ranges = [lines[n - 1] for n, line in enumerate(lines) if "term > " in line and "Index Cond" in line]
    assert len(ranges) == 4 and all("never executed" in node for node in ranges), "\n".join(lines)


def test_a_counted_prefix_is_ranked_among_at_most_its_cap_of_rows_in_the_plan_made_without_values(organization):
    """The lookup's statements run their generic plan (crm.prepared). At a million guests the planner guessed a tenth
    of the terms for a prefix's range and sized its ranking's hash table for them: a phone's four rows ranked in
    0.9 ms where the plan for the values took 0.1. The range is read only when counted at most the cap, and the
    plan says so."""
    CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang", phone="+86 138 0013 8000")
    cap = 2000
    with connection.cursor() as cursor:  # the statistics of one organization's twenty million terms (rolled back)
        cursor.execute("ALTER TABLE crm_searchterm ALTER COLUMN customer_id SET (n_distinct = -0.05)")
        cursor.execute("ANALYZE crm_searchterm")
        cursor.execute(
            "UPDATE pg_class SET reltuples = 20000000, relpages = greatest(pg_relation_size(oid) / 8192, 1)"
            " WHERE relname = 'crm_searchterm'"
        )
    explained = plan(prefixes_sql(organization, ["@80001", "80001"], 20, cap), generic=True)
    guessed = [int(n) for n in re.findall(r"Aggregate\s+\(cost=[\d.]+ rows=(\d+)", explained)]
    assert guessed, explained
    assert max(guessed) <= cap, explained


def test_typo_stage_uses_the_vocabulary_index(organization):
    """The typo stage's one statement finds the words sharing a deletion with the typed words' through the
    vocabulary's btree, a range per key, and each candidate's count through it too."""
    vocabulary_add(organization.pk, Counter({f"guest{letters}": 1 for letters in _words(3000)}))
    vocabulary_add(organization.pk, Counter({"katherine": 3}))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_nameword")
    explained = plan(_captured(lambda: corrections(organization.pk, ["katherne", "whitfeild"])))
    assert "nameword_org_key_word" in explained, explained
    assert "Seq Scan" not in explained, explained


def _words(count: int) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(letters[i // 26**n % 26] for n in range(4)) for i in range(count)]


def _captured(call) -> tuple[str, list]:
    with CaptureQueriesContext(connection) as captured:
        call()
    (query,) = captured.captured_queries
    return query["sql"], []


@PLANS
def test_every_word_lookup_uses_the_term_index(organization, generic):
    CustomerFactory(organization=organization, given_name="Annabel", family_name="Smith")
    first_word = [v for v in analyze("anna smith").per_word() if v.slot == 0]
    explained = plan(count_sql(organization, ranges(first_word), RANGE_ROWS), generic=generic)
    assert "searchterm_org_term_recent" in explained, explained
    assert "Seq Scan" not in explained, explained
    # Every word counted in one statement (the every-word stage's first): each its own index ranges
    words = [ranges(analyze("anna smith").per_word_at(slot)) for slot in (0, 1)]
    explained = plan(counts_sql(organization, words, FEW_ROWS), generic=generic)
    assert explained.count("searchterm_org_term_recent") >= 2, explained
    assert "Seq Scan" not in explained, explained


@PLANS
def test_the_walk_through_recent_guests_follows_the_customer_index(organization, generic):
    """A prefix too common to read ("w") is answered by the most recent guests, in the customer_org_recent index's
    order, each probed for a matching term: no sort of every match."""
    now = timezone.now()
    guests = Customer.objects.bulk_create(
        Customer(organization=organization, given_name=f"Wei{i}", family_name="Wang", last_seen=now - timedelta(i))
        for i in range(5000)
    )
    reindex(guests)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_customer")
        cursor.execute("ALTER TABLE crm_searchterm ALTER COLUMN customer_id SET (n_distinct = -0.05)")
        cursor.execute("ANALYZE crm_searchterm")
    condition = ("(term > %s AND term < %s)", ["w", "w\U0010ffff"])
    explained = plan(walk_sql(organization, [condition, condition], 20), generic=generic)
    assert "customer_org_recent" in explained, explained
    assert "Seq Scan" not in explained and "Sort" not in explained, explained
    # Each probe of a guest's terms is read from the (customer_id, term) index alone.
    assert "Index Only Scan using searchterm_customer_term" in explained, explained


def wangs(organization, given: str, *statements: str) -> None:
    """3,000 guests called Wang {given}0…2999, indexed, then the statements run (ANALYZE, or statistics set)."""
    guests = Customer.objects.bulk_create(
        Customer(organization=organization, given_name=f"{given}{i}", family_name="Wang") for i in range(3000)
    )
    reindex(guests)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


@PLANS
def test_a_candidates_other_words_and_terms_are_read_from_the_customer_index_alone(organization, generic):
    """ "wang w": the customers of the rarer word, each probed for a term of the other, then the candidates' terms —
    every read of one customer's terms an index-only range of searchterm_customer_term."""
    wangs(organization, "Wei", "ANALYZE crm_customer", "ANALYZE crm_searchterm")
    first = [v for v in analyze("wang w").per_word() if v.slot == 0]
    found = every_word_sql(organization, [ranges(first)], [("(term > %s AND term < %s)", ["w", "w\U0010ffff"])])
    checked = plan(found, generic=generic)
    assert "Index Only Scan using searchterm_customer_term" in checked, checked
    # The found customers' terms in the same statement: the finding runs once (an InitPlan), not once per term.
    terms = plan(terms_of_sql(organization, found, ("(term > %s AND term < %s)", ["w", "x"])), generic=generic)
    assert "searchterm_customer_term" in terms and "InitPlan" in terms and "Seq Scan" not in terms, terms


@PLANS
def test_the_found_guests_terms_are_probed_per_guest_whatever_the_statistics_say(organization, generic):
    """At ten million guests ANALYZE's sample took each guest for ~1,160 terms (they hold ~20), and PostgreSQL read
    the found guests' terms through the organization's term index — "geor": every row of the range, 67,572, filtered
    by customer; "hyun woo": bitmaps of every holder of both words for each guest, 218 ms. Told the same here (a
    customer_id with 2 distinct values), the terms of the guests a walk finds are still one probe of
    searchterm_customer_term per guest."""
    wangs(
        organization,
        "George",
        "ALTER TABLE crm_searchterm ALTER COLUMN customer_id SET (n_distinct = 2)",
        "ANALYZE crm_searchterm",
    )
    condition = ("(term > %s AND term < %s)", ["geor", "geor\U0010ffff"])
    walked = anchor_walk_sql(organization, "^geo", [condition], 20)
    explained = plan(terms_of_sql(organization, walked, condition), generic=generic)
    # A nested loop over the found ids, each guest's terms an index range of its own.
    assert explained.startswith("Nested Loop"), explained
    probe = r"Index (Only )?Scan (using|on) searchterm_customer_term\b.*\n\s+Index Cond: \(\(customer_id = found\.id\)"
    assert re.search(probe, explained), explained


@PLANS
def test_the_corrected_whole_names_best_holders_are_read_from_the_term_index(organization, generic):
    CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang")
    weighed = [("zhangwei", 0.91), ("zhangwen", 0.908), ("changwei", 0.74)]
    best = best_holders_sql(organization, weighed, 20, WHOLE_PART_FACTORS, margin=0.0015)
    # alone, and with the typed words counted beside them (the typo stage's one statement)
    typed = [ranges(analyze("zhang wie").per_word_at(slot)) for slot in (0, 1)]
    for statement in (best, counted_with_sql(organization, typed, FEW_ROWS, best)):
        explained = plan(statement, generic=generic)
        assert "searchterm_org_term_recent" in explained, explained
        assert "Seq Scan" not in explained, explained


def test_the_corrected_names_after_the_first_are_not_read_when_its_holders_fill_the_page(organization):
    """ "jwiang fang" at a million guests: jiangfang, the heaviest of 64 corrected names, has a page of holders who
    score more than any other name can; the other 63 names' rows (1,260) were read and ranked for nothing. Each later
    tier's read is gated by a one-time filter, never executed here."""
    guests = Customer.objects.bulk_create(
        Customer(organization=organization, given_name="Fang", family_name="Jiang") for _ in range(25)
    )
    reindex(guests)
    weighed = [("jiangfang", 0.91)] + [(f"name{n}", 0.87 - n / 1000) for n in range(63)]
    sql, params = best_holders_sql(organization, weighed, 20, WHOLE_PART_FACTORS, margin=0.0015)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) " + sql, params)
        lines = [row[0] for row in cursor.fetchall()]
    reads = [line for line in lines if "searchterm_org_term_recent" in line]
    assert len(reads) == 3 and sum("never executed" in read for read in reads) == 2, "\n".join(lines)


@PLANS
def test_the_winners_are_read_by_id_through_an_index(organization, generic):
    customers = [CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang") for _ in range(20)]
    explained = plan(winners_sql(organization, [c.pk for c in customers]), generic=generic)
    assert "id = ANY" in explained and "Index" in explained, explained
    assert "Seq Scan" not in explained, explained


def test_the_guest_lists_name_filter_uses_the_trigram_index(organization):
    """The guest list's name fragment ("zhan" anywhere in a name) among 5,000 guests is served by the trigram
    index on search_name, that index's only reader: a filter it cannot serve (icontains' UPPER()) is checked on
    every guest of the organization."""
    from crm.guest_list import guest_list

    zhang = CustomerFactory(organization=organization, given_name="Wei", family_name="Zhang")
    columns = [f.column for f in Customer._meta.concrete_fields if not f.primary_key]
    copied = ", ".join("'guest ' || n" if column == "search_name" else column for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO crm_customer ({', '.join(columns)}) SELECT {copied}"  # noqa: S608 - our own column names
            " FROM crm_customer, generate_series(1, 5000) AS n WHERE id = %s",
            [zhang.pk],
        )
        # what autovacuum does with the index's pending list (fastupdate, crm 0029), as VACUUM would
        cursor.execute("SELECT gin_clean_pending_list('customer_search_name_trgm')")
        cursor.execute("ANALYZE crm_customer")
    explained = plan(guest_list(organization=organization, q="Zhan"))
    assert "customer_search_name_trgm" in explained, explained
    assert [c.pk for c in guest_list(organization=organization, q="Zhan")] == [zhang.pk]


@pytest.mark.parametrize("saved", [True, False], ids=["a profile shown", "a profile being typed"])
def test_a_common_name_reads_a_bounded_number_of_its_holders_for_likely_duplicates(organization, saved):
    """A guest's likely duplicates read at most MAX_NAME_GROUP + 1 holders of each of their names, emails and
    phones, from the index in its order: 60 namesakes here stand for tens of thousands at ten million guests."""
    from crm.selectors import MAX_NAME_GROUP, likely_duplicates_of, likely_duplicates_of_unsaved

    for _ in range(60):
        CustomerFactory(organization=organization, given_name="Wei", family_name="Wang", email="", phone="")
    if saved:
        guest = CustomerFactory(organization=organization, given_name="Wei", family_name="Wang", phone="")
        ask = lambda: likely_duplicates_of(guest)  # noqa: E731
    else:
        guest = Customer(organization=organization, given_name="Wei", family_name="Wang")
        ask = lambda: likely_duplicates_of_unsaved(guest)  # noqa: E731
    with CaptureQueriesContext(connection) as statements:
        assert ask() == []  # a common name: no namesake is a likely duplicate
    sharing = next(q["sql"] for q in statements.captured_queries if "LATERAL" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sharing)
        root = cursor.fetchone()[0][0]["Plan"]

    def scans(node):
        if node.get("Index Name") == "searchterm_org_term_recent":
            yield node
        for child in node.get("Plans", []):
            yield from scans(child)

    found = list(scans(root))
    assert found, root
    assert all(node["Actual Rows"] <= MAX_NAME_GROUP + 1 for node in found), found

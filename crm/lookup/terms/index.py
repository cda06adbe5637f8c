"""Writing a guest's derived name fields and search terms, in the transaction that writes the guest; rebuilding
them in batches."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from django.db import connection, transaction

from crm import prepared
from crm.bulk import insert_rows
from crm.languages import message_language
from crm.lookup.pronounce import han_name_pinyin
from crm.lookup.terms.names import customer_terms, names_of
from crm.lookup.vocabulary import vocabulary_change
from crm.models import Customer, SearchTerm
from crm.models.customers import address_name

# What derive_name_fields sets (a migration's historical model may have fewer of them).
DERIVED_FIELDS = ("pinyin", "search_name", "addressed_as")
REINDEX_BATCH = 500  # customers per transaction: ~11 terms and ~10 PREFIX rows each, one bulk insert per batch


def derive_name_fields(customer: Customer) -> None:
    """Fill the fields computed from the names: pinyin with tones, the folded search name, and how the guest
    is addressed (Customer.address_name, for the SQL that fills gift texts)."""
    customer.pinyin = han_name_pinyin(
        customer.native_name or customer.family_name + customer.given_name, language=customer.language
    )[:200]
    customer.search_name = names_of(customer).search_name
    customer.addressed_as = address_name(customer, message_language(customer.language))[:200]


def vocabulary_words(customer: Customer) -> frozenset[str]:
    """The words this guest adds to the vocabulary (crm.lookup.vocabulary): its name's, none when merged away.
    A service that changes a guest's names or merges it takes them before the change, for index_customer."""
    return names_of(customer).words if customer.merged_into_id is None else frozenset()


def index_customer(customer: Customer, *, new: bool = False, was: frozenset[str] | None = None) -> None:
    """Replace the customer's search terms (call inside the writing transaction): one DELETE of the stale terms
    (also those whose last_seen is not the guest's: a merge changes it) and one INSERT of the missing ones (a new
    customer: the INSERT alone); a profile merged away has none. The vocabulary follows: `was` is what
    vocabulary_words() answered before the change (a new customer: nothing): one more statement for a new guest,
    none when the words stay."""
    if was is None and not new:
        raise TypeError("index_customer(): was= is required for a customer that was indexed before")
    wanted = customer_terms(customer) if customer.merged_into_id is None else set()
    if not new:
        stale = SearchTerm.objects.filter(customer=customer)
        by_kind: dict[int, list[str]] = {}
        for term, kind in wanted:
            by_kind.setdefault(kind, []).append(term)
        for kind, kind_terms in by_kind.items():
            stale = stale.exclude(kind=kind, term__in=kind_terms, last_seen=customer.last_seen)
        stale.delete()
    if wanted:
        _insert_missing(customer, sorted(wanted))
    was = was or frozenset()
    now = vocabulary_words(customer)
    if now != was:
        vocabulary_change(customer.organization_id, added=now - was, removed=was - now)


def forget_customers(customers: Iterable[Customer]) -> None:
    """The vocabulary without these guests' words, before their rows are deleted (an erase, an undone import);
    their terms go with their rows."""
    by_organization: dict[int, list[str]] = {}
    for customer in customers:
        by_organization.setdefault(customer.organization_id, []).extend(vocabulary_words(customer))
    for organization_id, words in by_organization.items():
        vocabulary_change(organization_id, removed=words)


# Written for the customer only while its row says it is not merged away (a writer holding a stale copy must not
# revive a merged-away profile), with the row's last_seen, and only the terms it lacks. PostgreSQL gets the terms as
# two arrays, so that the statement's text is the same for every guest and is prepared (crm.prepared): planned with
# ~60 rows of VALUES it took 0.18 ms against 0.03 to run (at 100,000 guests, 2026-12-06); SQLite, the VALUES.
_INSERT_MISSING_SQL = """
WITH wanted (term, kind) AS ({wanted})
INSERT INTO crm_searchterm (organization_id, customer_id, term, kind, last_seen)
SELECT c.organization_id, c.id, wanted.term, wanted.kind, c.last_seen FROM wanted, crm_customer c
WHERE c.id = %s AND c.merged_into_id IS NULL AND NOT EXISTS (
    SELECT 1 FROM crm_searchterm s WHERE s.customer_id = c.id AND s.term = wanted.term AND s.kind = wanted.kind
)
"""


def _insert_missing(customer: Customer, wanted: list[tuple[str, int]]) -> None:
    if connection.vendor == "postgresql":
        sql = _INSERT_MISSING_SQL.format(wanted="SELECT * FROM unnest(%s::text[], %s::int[])")
        params = [prepared.array(term for term, _ in wanted), prepared.array(kind for _, kind in wanted), customer.pk]
    else:
        sql = _INSERT_MISSING_SQL.format(wanted="VALUES " + ", ".join(["(%s, %s)"] * len(wanted)))
        params = [*(value for row in wanted for value in row), customer.pk]
    with prepared.cursor(connection) as cursor:
        cursor.execute(sql, params)


def index_customers(
    customers: list[Customer], *, new: bool = False, was: Mapping[int, frozenset[str]] | None = None
) -> None:
    """index_customer() for many customers at once (call inside the writing transaction): one delete, one
    read of which are merged away, one COPY (crm.bulk). new: customers inserted by this transaction, which have
    no terms and cannot have been merged away yet: the COPY alone (the delete and the read were 30 % of an
    import's statement time, docs/benchmarks.md "Guest-list import"). The vocabulary follows in one upsert (and,
    when words go, a decrement and a delete): `was` maps each customer's id to its vocabulary_words() before the
    change (new customers: none)."""
    if not customers:
        return
    if was is None and not new:
        raise TypeError("index_customers(): was= is required for customers that were indexed before")
    ids = [customer.pk for customer in customers]
    if new:
        live = set(ids)
    else:
        SearchTerm.objects.filter(customer_id__any=ids).delete()
        live = set(Customer.objects.filter(pk__any=ids, merged_into__isnull=True).values_list("pk", flat=True))
    rows = []
    for customer in customers:
        if customer.pk in live:
            organization_id, customer_id, seen = customer.organization_id, customer.pk, customer.last_seen
            rows += [(organization_id, customer_id, term, kind, seen) for term, kind in customer_terms(customer)]
    insert_rows(SearchTerm, ("organization_id", "customer_id", "term", "kind", "last_seen"), rows)
    was = was or {}
    by_organization: dict[int, tuple[list[str], list[str]]] = {}
    for customer in customers:
        before = was.get(customer.pk, frozenset())
        now = names_of(customer).words if customer.pk in live else frozenset()
        added, removed = by_organization.setdefault(customer.organization_id, ([], []))
        added += now - before
        removed += before - now
    for organization_id, (added, removed) in by_organization.items():
        if added or removed:
            vocabulary_change(organization_id, added=added, removed=removed)


def reindex(
    customers: Iterable[Customer],
    *,
    customer_model=Customer,
    term_model=SearchTerm,
    words: dict[int, Counter] | None = None,
) -> int:
    """Recompute derived fields and terms of many customers, in batches; returns how many. words: filled with
    each organization's vocabulary counts of the live customers, for vocabulary_rebuild().

    The models can be a migration's historical ones (crm/migrations/0002)."""
    count = 0
    batch: list[Customer] = []
    for customer in customers:
        if words is not None and customer.merged_into_id is None:
            words.setdefault(customer.organization_id, Counter()).update(names_of(customer).words)
        batch.append(customer)
        if len(batch) == REINDEX_BATCH:
            count += _reindex_batch(batch, customer_model, term_model)
            batch = []
    if batch:
        count += _reindex_batch(batch, customer_model, term_model)
    return count


def _reindex_batch(batch, customer_model, term_model) -> int:
    with transaction.atomic():
        for customer in batch:
            derive_name_fields(customer)
        derived = [f.name for f in customer_model._meta.concrete_fields if f.name in DERIVED_FIELDS]
        customer_model.objects.bulk_update(batch, derived)
        term_model.objects.filter(customer__in=batch).delete()
        term_model.objects.bulk_create(_rows((c for c in batch if c.merged_into_id is None), term_model))
    return len(batch)


def _rows(customers: Iterable[Customer], term_model=SearchTerm) -> list[SearchTerm]:
    return [
        term_model(
            organization_id=customer.organization_id,
            customer_id=customer.pk,
            term=term,
            kind=kind,
            last_seen=customer.last_seen,
        )
        for customer in customers
        for term, kind in customer_terms(customer)
    ]

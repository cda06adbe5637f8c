"""A customer → its search terms; kept in step by the customer services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery

from crm.bulk import insert_rows
from crm.languages import message_language
from crm.lookup.normalize import (
    family_pinyin,
    fit,
    han_runs,
    latin_word_variants,
    latin_words,
    phonetic,
    pinyin_syllables,
    split_family_name,
    tone_key,
    u_umlaut_spellings,
)
from crm.lookup.pronounce import han_name_pinyin
from crm.lookup.vocabulary import is_word, vocabulary_change
from crm.models import Customer, SearchTerm, SearchTermVisit, TermKind
from crm.models.customers import address_name
from crm.phones import digits

NAME_FIELDS = ("given_name", "family_name", "native_name", "latin_name", "preferred_name")
MAX_SEARCH_NAME = 500
# What derive_name_fields sets (a migration's historical model may have fewer of them).
DERIVED_FIELDS = ("pinyin", "search_name", "addressed_as")
REINDEX_BATCH = 500  # customers per transaction: ~11 terms and ~10 PREFIX rows each, one bulk insert per batch

PHONETIC_SIGIL, EMAIL_SIGIL, PHONE_SIGIL, PREFIX_SIGIL, BIRTHDAY_SIGIL = "~", "@", "#", "^", "="
# Search as you type: a guest holds "^" + the first 1 to PREFIX_KEYS characters of each of its name terms (an
# email's: 2 to PREFIX_KEYS after the @), each a row of kind PREFIX carrying last_seen like every term, so that the
# term index hands out the 20 most recent holders of "w" or "zha" from 20 entries, where the range of the terms
# starting with "w" holds 382,201 rows at a million guests. Longer prefixes walk these rows (crm.lookup.search).
PREFIX_KEYS = 3
PREFIXED_KINDS = {
    TermKind.NAME_PART: 0,
    TermKind.NAME: 0,
    TermKind.FULL_NAME: 0,
    TermKind.EMAIL: 1,
    TermKind.EMAIL_LOCAL: 1,
}


def _han_terms(run: str) -> set[str]:
    """张伟 → 张伟, 伟, 张, zhangwei, weizhang, zhang, wei; 曾志伟 adds the surname reading zeng… beside ceng….

    The family name alone (张) lets a surname typed alone read its guests in index order; a ü reading gets
    every spelling people type (吕 → lv, lu, lyu)."""
    terms = {run[i:] for i in range(len(run))}
    family, given = split_family_name(run)
    if given:
        terms.add(family)
    given_py = "".join(pinyin_syllables(given, tones=False))
    for reading in {"".join(family_pinyin(family, tones=False)), "".join(pinyin_syllables(family, tones=False))}:
        terms |= {reading, reading + given_py, given_py + reading}
    terms.add(given_py)
    return {spelling for term in terms for spelling in u_umlaut_spellings(term)}


def han_parts(run: str) -> set[str]:
    """A Han name's inner parts among its terms: the suffixes that are neither the whole name, its given name nor
    its family name (郝光丽 → 丽; 欧阳娜娜 → 阳娜娜, 娜). Stored as NAME_PART so that a given name typed alone finds
    the guests whose given name it is first (丽 → 邹丽 before 郝光丽: issue 15's "given" queries)."""
    family, given = split_family_name(run)
    return {run[i:] for i in range(1, len(run))} - {family, given}


def _name_parts(fields: dict[str, str]) -> set[str]:
    """han_parts() of every Han run of the names, less those that are a whole, given or family name in another."""
    parts, names = set(), set()
    for field in NAME_FIELDS:
        for run in han_runs(fields[field]):
            parts |= han_parts(run)
            names |= {run, *split_family_name(run)}
    return parts - names


def _han_words(run: str) -> set[str]:
    """The name words a Han name gives the vocabulary: its family name's readings and its given name's (张若涵 →
    zhang, ruohan), every ü spelling; the typo stage corrects typed pinyin against them."""
    family, given = split_family_name(run)
    words = {"".join(family_pinyin(family, tones=False)), "".join(pinyin_syllables(family, tones=False))}
    words.add("".join(pinyin_syllables(given, tones=False)))
    return {spelling for word in words if word for spelling in u_umlaut_spellings(word)}


def _toned_keys(run: str) -> set[str]:
    """The whole Han name read with its tones, family name first (张伟 → zha1ngwe3i): what a query typed with tone
    marks matches first (crm.lookup.normalize.tone_key). One order only: each term costs ~170 bytes a guest, and
    tone marks come with pinyin written family name first."""
    family, given = split_family_name(run)
    if not given:
        return set()
    return {
        tone_key("".join(family_pinyin(family, tones=True))) + tone_key("".join(pinyin_syllables(given, tones=True)))
    }


def full_name_keys(customer: Customer) -> frozenset[str]:
    """The whole name as single keys, both orders and every script: zhangwei, weizhang, 张伟."""
    return _full_keys(*(getattr(customer, field) for field in NAME_FIELDS))


def full_name_keys_of(fields: Mapping[str, str]) -> frozenset[str]:
    """full_name_keys() of a profile's fields as a mapping (a row of an import): missing names are empty."""
    return _full_keys(*(fields.get(field) or "" for field in NAME_FIELDS))


@dataclass(frozen=True)
class Names:
    """What a guest's names give the lookup: computed once per set of names and shared by the derived fields,
    the search terms and an import's matching (each asked for it; pypinyin costs ~40 µs per Han name)."""

    terms: frozenset[str]
    phonetic_words: frozenset[str]
    full: frozenset[str]
    term_kinds: frozenset[tuple[str, int]]  # the name's search terms: name, full name and phonetic
    whole: tuple[str, ...]  # its FULL_NAME terms (full and the toned keys), for NAME_BIRTHDAY terms
    prefixes: frozenset[tuple[str, int]]  # their PREFIX rows (prefix_keys)
    search_name: str
    words: frozenset[str]  # the name's words for the vocabulary (crm.lookup.vocabulary): smith, zhang, ruohan


def names_of(customer: Customer) -> Names:
    return _names(*(getattr(customer, field) for field in NAME_FIELDS))


# Sets of names remembered: a batch asks for each guest's three times (matching, derived fields, terms), and a
# list repeats whole names too; ~2 KB each.
NAMES_CACHE = 4096


@lru_cache(maxsize=NAMES_CACHE)
def _names(*names: str) -> Names:
    """Names of the values of NAME_FIELDS, in order."""
    fields = dict(zip(NAME_FIELDS, names, strict=True))
    terms, words = _name_terms(fields)
    full = _full_keys(*names)
    parts = _name_parts(fields)
    term_kinds = {
        (fit(term), TermKind.NAME_PART if term in parts else TermKind.NAME) for term in terms if fit(term) not in full
    }
    term_kinds |= {(key, TermKind.FULL_NAME) for key in full}
    term_kinds |= {(PHONETIC_SIGIL + code, TermKind.PHONETIC) for code in map(phonetic, words) if code}
    term_kinds |= {(fit(key), TermKind.FULL_NAME) for key in _toned(names)}
    return Names(
        terms=frozenset(terms),
        phonetic_words=frozenset(words),
        full=full,
        term_kinds=frozenset(term_kinds),
        whole=tuple(sorted(term for term, kind in term_kinds if kind == TermKind.FULL_NAME)),
        prefixes=frozenset(prefix_keys(term_kinds)),
        search_name=" ".join(sorted(term for term in terms if term.isascii()))[:MAX_SEARCH_NAME],
        words=frozenset(word for word in words | _han_words_of(fields) if is_word(word)),
    )


def _han_words_of(fields: dict[str, str]) -> set[str]:
    return {word for field in NAME_FIELDS for run in han_runs(fields[field]) for word in _han_words(run)}


def _toned(names: tuple[str, ...]) -> set[str]:
    fields = dict(zip(NAME_FIELDS, names, strict=True))
    runs = (run for field in ("native_name", "latin_name") for run in han_runs(fields[field]))
    return {key for run in runs for key in _toned_keys(run)}


# Alone for an import's preview, which matches rows by their full names and needs no other term.
@lru_cache(maxsize=NAMES_CACHE)
def _full_keys(*names: str) -> frozenset[str]:
    fields = dict(zip(NAME_FIELDS, names, strict=True))
    keys = set()
    given, family = latin_words(fields["given_name"]), latin_words(fields["family_name"])
    preferred = latin_words(fields["preferred_name"])
    for first in (given, preferred):  # Katherine Lee who goes by Kathy is "Kathy Lee" too
        if first and family:
            keys |= {"".join(first + family), "".join(family + first)}
    for field in ("native_name", "latin_name"):
        text = fields[field]
        for run in han_runs(text):
            if len(run) > 1:
                family_name, given_name = split_family_name(run)
                given_py = "".join(pinyin_syllables(given_name, tones=False))
                family_py = "".join(family_pinyin(family_name, tones=False))
                # Both orders, as a Latin name's: "yinghua zhang" (or "yinghuazhang") is 张英华's whole name, not a
                # part of it (a part ranks below: crm.lookup.search.scores.PART_OF_NAME).
                keys |= {run, *u_umlaut_spellings(family_py + given_py), *u_umlaut_spellings(given_py + family_py)}
        words = latin_words(text)
        if len(words) > 1:
            keys.add("".join(words))
    return frozenset(fit(key) for key in keys if len(key) > 1)


def _name_terms(fields: dict[str, str]) -> tuple[set[str], set[str]]:
    terms: set[str] = set()
    words_for_phonetic: set[str] = set()
    for field in NAME_FIELDS:
        text = fields[field]
        if not text:
            continue
        for run in han_runs(text):
            terms |= _han_terms(run)
        variants = {word for word in latin_word_variants(text) if len(word) > 1}
        terms |= variants
        words_for_phonetic |= variants
        words = latin_words(text)
        if len(words) > 1:
            terms.add("".join(words))
    given, family = latin_words(fields["given_name"]), latin_words(fields["family_name"])
    if given and family:
        terms |= {"".join(given + family), "".join(family + given)}
    return {term for term in terms if term}, words_for_phonetic


def customer_terms(customer: Customer) -> frozenset[tuple[str, int]]:
    """The guest's search terms, with their PREFIX rows."""
    names = names_of(customer)
    terms = names.term_kinds | names.prefixes
    if customer.email:
        email = customer.email.lower()
        email_terms = {
            (fit(EMAIL_SIGIL + email), TermKind.EMAIL),
            (fit(EMAIL_SIGIL + email.split("@")[0]), TermKind.EMAIL_LOCAL),
        }
        terms |= email_terms | prefix_keys(email_terms)
    if customer.phone:
        terms |= {(PHONE_SIGIL + digits(customer.phone)[::-1], TermKind.PHONE)}
    if customer.birthday_month and customer.birthday_day:
        month, day = customer.birthday_month, customer.birthday_day
        terms |= {(birthday_term(name, month, day), TermKind.NAME_BIRTHDAY) for name in names.whole}
    return terms


def birthday_term(name: str, month: int, day: int) -> str:
    """A full-name term with a birthday's month and day (=3-14 zhangwei): the guests of that name born that day
    are one index probe, where reading every namesake's birthday grew with the guests of a common name (an import's
    matching, crm.imports.matching). The year is left out (a birthday's year may be unknown on either side): the
    few guests found are compared by it. Migration 0030 writes the same rows in SQL: change both together."""
    return fit(f"{BIRTHDAY_SIGIL}{month}-{day} {name}")


def prefix_keys(terms: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
    """The PREFIX rows of these terms: "^" + each name term's first 1 to PREFIX_KEYS characters, shorter than the
    term (zhangwei → ^z, ^zh, ^zha; 王芳 → ^王); an email's sigil and then 2 to PREFIX_KEYS characters (@ab, @abc).
    Migration 0024 writes the same rows in SQL: change both together."""
    keys = set()
    for term, kind in terms:
        sigil = PREFIXED_KINDS.get(kind)
        if sigil is None:
            continue
        for length in range(1 + sigil, min(PREFIX_KEYS, len(term) - 1 - sigil) + 1):
            keys.add((PREFIX_SIGIL + term[: sigil + length], TermKind.PREFIX))
    return keys


def is_prefix_key(prefix: str) -> bool:
    """Whether the lookup finds a prefix's holders by its PREFIX rows (prefix_keys) rather than by a range."""
    sigil = 1 if prefix.startswith(EMAIL_SIGIL) else 0
    if prefix[:1] in (PHONETIC_SIGIL, PHONE_SIGIL, PREFIX_SIGIL):
        return False
    return 1 + sigil <= len(prefix) - sigil <= PREFIX_KEYS


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
# revive a merged-away profile), with the row's last_seen, and only the terms it lacks; plain SQL that PostgreSQL
# and SQLite both speak.
_INSERT_MISSING_SQL = """
WITH wanted (term, kind) AS (VALUES {values})
INSERT INTO crm_searchterm (organization_id, customer_id, term, kind, last_seen)
SELECT c.organization_id, c.id, wanted.term, wanted.kind, c.last_seen FROM wanted, crm_customer c
WHERE c.id = %s AND c.merged_into_id IS NULL AND NOT EXISTS (
    SELECT 1 FROM crm_searchterm s WHERE s.customer_id = c.id AND s.term = wanted.term AND s.kind = wanted.kind
)
"""


def _insert_missing(customer: Customer, wanted: list[tuple[str, int]]) -> None:
    values = ", ".join(["(%s, %s)"] * len(wanted))
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_MISSING_SQL.format(values=values), [*(value for row in wanted for value in row), customer.pk]
        )


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

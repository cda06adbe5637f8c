"""Search as you type at a million guests (issue 15): a short prefix's most recent holders come from its PREFIX
rows in index order, a longer common one walks those rows' holders, and both give the answer that reading every
holder gives; the rows are written with the terms, by the same statements, and migration 0024 fills the same."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm.lookup import search as lookup
from crm.lookup.terms import PREFIX_SIGIL, customer_terms, reindex
from crm.models import Customer, SearchTerm, TermKind
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

# Guests whose names start alike in different ways: a family name first (张伟 → zhangwei), a given name first
# (Zhao Wei as "Wei Zhao": its full name weizhao, and zhao alone), a Western given name, an email's local part.
NAMES = [
    {"native_name": "张伟", "given_name": "", "family_name": ""},
    {"native_name": "", "given_name": "Wei", "family_name": "Zhao"},
    {"native_name": "周", "given_name": "", "family_name": ""},
    {"native_name": "", "given_name": "Zhanna", "family_name": "Smith"},
    {"native_name": "", "given_name": "Anna", "family_name": "Lee", "email": "zhanglee@example.com"},
    {"native_name": "", "given_name": "Mary", "family_name": "Lee"},
]


def find(organization, text, **kwargs):
    return [c.pk for c in lookup.search(organization=organization, text=text, **kwargs)]


def guests(organization, count: int) -> list[Customer]:
    """count guests cycling through NAMES, each seen an hour after the one before; the most recent first."""
    now = timezone.now()
    made = Customer.objects.bulk_create(
        Customer(organization=organization, last_seen=now - timedelta(hours=count - i), **NAMES[i % len(NAMES)])
        for i in range(count)
    )
    reindex(made)
    return sorted(made, key=lambda c: c.last_seen, reverse=True)


def holders(made: list[Customer], prefix: str, kinds=(TermKind.NAME, TermKind.FULL_NAME)) -> list[int]:
    """Who truly holds a term of these kinds strictly starting with prefix, the most recent first."""
    return [
        c.pk
        for c in made
        if any(term.startswith(prefix) and term != prefix for term, kind in customer_terms(c) if kind in kinds)
    ]


def test_a_guest_holds_the_first_letters_of_its_names(organization):
    # Given 张伟 and an email
    guest = CustomerFactory(
        organization=organization, native_name="张伟", given_name="", family_name="", email="Zw@qq.com", phone=""
    )
    stored = set(SearchTerm.objects.filter(customer=guest, kind=TermKind.PREFIX).values_list("term", flat=True))
    # Then it holds its first one to four letters of each name term, and of the email after the @
    assert {"^z", "^zh", "^zha", "^zhan", "^w", "^we", "^wei", "^张", "^@zw", "^@zw@", "^@zw@q"} <= stored
    assert not {"^zhang", "^伟", "^@z", "^~"} & {term[:4] if term.startswith("^~") else term for term in stored}


@pytest.mark.parametrize("text", ["z", "zh", "zha", "周", "zhan", "zhang", "zhangl", "zhangle"])
def test_the_most_recent_holders_of_a_common_prefix_come_first(organization, text):
    # Given 60 guests with names and emails starting alike, in full names, given names first, family names alone
    made = guests(organization, 60)
    prefix = text
    # When a prefix is typed, then the 20 most recent guests holding a name starting with it come back, latest first,
    # whether the name is a full name or a part of one
    found = find(organization, text)
    # (a name equal to what was typed scores above a name starting with it, and that above an email starting with it)
    tiers = [
        [c.pk for c in made if any(term == prefix for term, _ in customer_terms(c))],
        holders(made, prefix),
        holders(made, "@" + prefix, kinds=(TermKind.EMAIL, TermKind.EMAIL_LOCAL)) if len(prefix) > 1 else [],
    ]
    expected = []
    for tier in tiers:
        expected += [pk for pk in tier if pk not in expected]
    assert found == expected[:20], text


def test_a_short_prefix_reads_twenty_index_entries_not_every_holder(organization):
    # Given 60 guests, 50 of whom hold a name starting with z
    guests(organization, 60)
    # When "z" is typed, its PREFIX rows are read in index order with a LIMIT: no range over the z terms, no count
    with CaptureQueriesContext(connection) as queries:
        find(organization, "z")
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SET ")]
    assert len(statements) == 2, statements  # the terms equal to "z" with its PREFIX rows, the winners
    assert not any("count(*)" in sql for sql in statements)


@pytest.mark.postgres
@pytest.mark.parametrize("text", ["zhangw", "zhaow", "zhang w", "zhangle"])
def test_a_longer_common_prefix_walks_the_holders_of_its_first_letters_to_the_same_answer(
    organization, monkeypatch, text
):
    # Given 120 guests, and a cap on the rows a longer prefix reads whole below their count
    guests(organization, 120)
    read_whole = find(organization, text)
    assert read_whole
    monkeypatch.setattr(lookup, "PREFIX_RANGE_ROWS", 5)
    # When the prefix is typed, the holders of its first four letters are walked, most recent first, probed for it
    with CaptureQueriesContext(connection) as queries:
        walked = find(organization, text)
    # Then the answer is the one reading every row gives
    assert walked == read_whole
    assert any(") AS anchor CROSS JOIN LATERAL" in q["sql"] for q in queries.captured_queries)


def test_migrations_0024_and_0033_fill_the_rows_the_writers_write(organization):
    # Given guests whose terms the product wrote, PREFIX rows included
    guests(organization, 12)
    CustomerFactory(organization=organization, email="li.na@163.com", phone="+8613800001234")
    written = set(SearchTerm.objects.filter(kind=TermKind.PREFIX).values_list("customer_id", "term", "last_seen"))
    assert written
    # When they are deleted and the migration's SQL fills them again
    SearchTerm.objects.filter(kind=TermKind.PREFIX).delete()
    with connection.cursor() as cursor:
        for migration in ("0024_searchterm_prefix_keys", "0033_searchterm_prefix_keys_four"):
            cursor.execute(importlib.import_module(f"crm.migrations.{migration}").FILL)
    # Then they are the same rows
    filled = set(SearchTerm.objects.filter(kind=TermKind.PREFIX).values_list("customer_id", "term", "last_seen"))
    assert filled == written
    assert all(term.startswith(PREFIX_SIGIL) for _, term, _ in filled)
    # and filling again writes nothing twice
    rows = SearchTerm.objects.filter(kind=TermKind.PREFIX).count()
    with connection.cursor() as cursor:
        cursor.execute(importlib.import_module("crm.migrations.0033_searchterm_prefix_keys_four").FILL)
    assert SearchTerm.objects.filter(kind=TermKind.PREFIX).count() == rows
    # And 0033's reverse leaves what 0024 wrote
    with connection.cursor() as cursor:
        cursor.execute(importlib.import_module("crm.migrations.0033_searchterm_prefix_keys_four").UNFILL)
    left = set(SearchTerm.objects.filter(kind=TermKind.PREFIX).values_list("customer_id", "term", "last_seen"))
    assert left == {row for row in written if len(row[1]) - row[1].startswith("^@") <= 4}
    assert any(len(term) == 5 and not term.startswith("^@") for _, term, _ in written - left)


def test_migration_0025_marks_the_inner_parts_and_whole_readings_the_writers_mark(organization):
    # Given guests whose terms the product wrote, Han names with inner parts among them
    guests(organization, 12)
    for native in ("郝光丽", "欧阳娜娜", "王丽丽", "司马光"):
        CustomerFactory(organization=organization, native_name=native, given_name="", family_name="")
    written = set(SearchTerm.objects.values_list("customer_id", "term", "kind"))
    assert any(kind == TermKind.NAME_PART for _, _, kind in written)
    migration = importlib.import_module("crm.migrations.0025_searchterm_name_part")
    execute = lambda sql, params: connection.cursor().execute(sql, params)  # noqa: E731
    editor = SimpleNamespace(connection=connection, execute=execute)
    # When they are written back as NAME, as before the migration (inner parts, and readings given name first),
    # and the migration runs
    migration.unmark_parts(django_apps, editor)
    assert not SearchTerm.objects.filter(kind=TermKind.NAME_PART).exists()
    given_first = ["guanglihao", "nanaouyang", "liliwang", "guangsima"]
    assert SearchTerm.objects.filter(term__in=given_first, kind=TermKind.FULL_NAME).update(kind=TermKind.NAME) == 4
    migration.mark_parts(django_apps, editor)
    # Then the rows are those the writers write
    assert set(SearchTerm.objects.values_list("customer_id", "term", "kind")) == written

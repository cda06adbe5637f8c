"""What a lookup sends to the database: the fixed part of every request (the winners' rows and what the list shows
of them) in as few statements as the search allows, on PostgreSQL and SQLite alike."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm import selectors
from crm.lookup.search.query import analyze
from crm.lookup.search.statements import counts_sql, ranges, run
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def test_the_winners_come_with_their_ids_in_other_systems_in_their_order(organization, django_assert_num_queries):
    # given two namesakes, one known to two other systems (written out of order), one to none
    known = CustomerFactory(
        organization=organization,
        zhang_wei=True,
        external_ids=[{"system": "opera", "id": "B2"}, {"system": "mews", "id": "9"}, {"system": "opera", "id": "A1"}],
    )
    CustomerFactory(organization=organization, zhang_wei=True)
    # when the lookup answers
    found = selectors.customer_lookup(organization=organization, q="张伟")
    # then each guest's ids are already there, in their model's order (system, then id), read with the guest
    with django_assert_num_queries(0):
        ids = {c.pk: [(e.system, e.value, e.customer.pk) for e in c.external_ids.all()] for c in found}
    assert ids == {
        known.pk: [("mews", "9", known.pk), ("opera", "A1", known.pk), ("opera", "B2", known.pk)],
        **{c.pk: [] for c in found if c.pk != known.pk},
    }
    assert len(found) == 2


def test_the_list_shows_the_ids_in_other_systems_of_each_guest_found(api, organization):
    known = CustomerFactory(organization=organization, zhang_wei=True, external_ids=[{"system": "opera", "id": "A1"}])
    other = CustomerFactory(organization=organization, zhang_wei=True)
    rows = {row["id"]: row["external_ids"] for row in api.get(URL, {"q": "张伟"}).json()["results"]}
    assert rows == {known.pk: [{"system": "opera", "id": "A1"}], other.pk: []}


def test_a_full_name_is_found_in_three_statements(api, organization, django_assert_num_queries):
    # given namesakes, one known to another system
    CustomerFactory(organization=organization, zhang_wei=True, external_ids=[{"system": "opera", "id": "A1"}])
    CustomerFactory(organization=organization, zhang_wei=True)
    # 1 the token and its staff member · 2 the name's terms, exact, and the holders of names starting with it (its
    # PREFIX rows) · 3 the winners' rows with their ids in other systems (no prefetch, no COUNT: one page at most)
    with django_assert_num_queries(3):
        answer = api.get(URL, {"q": "张伟"})
    assert answer.json()["count"] == 2


def test_a_phone_ending_is_found_in_three_statements(api, organization, django_assert_num_queries):
    # given a guest whose phone ends in 8000, and another guest
    wei = CustomerFactory(organization=organization, zhang_wei=True, phone="+8613800138000")
    CustomerFactory(organization=organization, given_name="Anna", phone="+14155550134")
    # "8000" is a phone's ending and an email's start: two ranges, each counted (on PostgreSQL) and ranked in the
    # statement of the exact terms — 1 the token · 2 the exact terms and both ranges · 3 the winners
    with django_assert_num_queries(3):
        answer = api.get(URL, {"q": "8000"})
    assert [row["id"] for row in answer.json()["results"]] == [wei.pk]


def test_one_word_being_typed_is_found_in_three_statements(api, organization, django_assert_num_queries):
    # given Cynthia Moore, and a guest whose email starts with cynth
    cynthia = CustomerFactory(organization=organization, given_name="Cynthia", family_name="Moore")
    mailed = CustomerFactory(
        organization=organization, given_name="Ann", family_name="Lee", email="cynth.lee@example.com"
    )
    # 1 the token · 2 the word's terms and the names starting with it, with the emails starting with it (its
    # whole-query keys weigh less than a name, so the word's own keys are read whatever they find) · 3 the winners
    with django_assert_num_queries(3):
        answer = api.get(URL, {"q": "cynth"})
    assert {row["id"] for row in answer.json()["results"]} == {cynthia.pk, mailed.pk}


def test_a_surname_and_the_start_of_a_given_name_are_read_as_the_start_of_a_whole_name(
    api, organization, django_assert_num_queries
):
    # given a Zhang Wei, a Zhang Fang and a Wang Wei
    wei = CustomerFactory(organization=organization, zhang_wei=True)
    CustomerFactory(organization=organization, given_name="Fang", family_name="Zhang")
    CustomerFactory(organization=organization, given_name="Wei", family_name="Wang")
    # 1 the token · 2 the exact terms of the whole query and its prefixes: zhangwei starts with "zhangw" · 3 the
    # winners; the words one by one are not read
    with django_assert_num_queries(3):
        answer = api.get(URL, {"q": "zhang w"})
    assert [row["id"] for row in answer.json()["results"]] == [wei.pk]


def test_the_words_one_by_one_find_a_middle_name_when_no_whole_name_starts_with_them(api, organization):
    # given Anna Maria Smith, whose whole name is annamariasmith
    anna = CustomerFactory(organization=organization, given_name="Anna Maria", family_name="Smith")
    # when "anna smith" is typed, then she is found by her words
    answer = api.get(URL, {"q": "anna smith"})
    assert [row["id"] for row in answer.json()["results"]] == [anna.pk]


def test_a_name_nobody_holds_finds_nothing(api, organization):
    # given a guest of another name, whose surname starts with "wei"
    CustomerFactory(organization=organization, given_name="Anna", family_name="Weiss")
    # when a name nobody holds is typed, then nothing is found, and nothing fails
    answer = api.get(URL, {"q": "zhang wei"})
    assert answer.status_code == 200 and answer.json()["results"] == []


def test_the_last_resort_reads_any_word_as_typed(api, organization):
    # given Wei Zhang, and Mei Chen: nobody holds Wei, Zhang and Chen together
    zhang = CustomerFactory(organization=organization, zhang_wei=True)
    CustomerFactory(organization=organization, given_name="Mei", family_name="Chen")
    # when the three words are typed, then the guest holding most of them is found; one holding one word is not
    answer = api.get(URL, {"q": "Wei Zhang Chen"})
    assert [row["id"] for row in answer.json()["results"]] == [zhang.pk]


def test_a_word_nobody_holds_ends_the_search_without_its_last_resort(organization):
    # given Wei Zhang; nobody's name holds or starts with lindqvist, or sounds like it
    CustomerFactory(organization=organization, zhang_wei=True)
    with CaptureQueriesContext(connection) as captured:
        found = selectors.customer_lookup(organization=organization, q="Wei Lindqvist")
    # then nothing is found, and no statement read the typed words' holders once the stages had found no one
    assert list(found) == []
    statements = [query["sql"] for query in captured.captured_queries]
    assert not any("LEFT JOIN crm_externalid" in sql for sql in statements), statements  # no winners to read


def test_an_email_nobody_holds_finds_nothing_without_reading_its_words_as_names(
    api, organization, django_assert_num_queries
):
    # given a guest named Nobody Nowhere
    CustomerFactory(organization=organization, given_name="Nobody", family_name="Nowhere")
    # when an email nobody holds is typed: 1 the token · 2 the email's terms; its words are not names
    with django_assert_num_queries(2):
        answer = api.get(URL, {"q": "nobody.4467@nowhere.example"})
    # then nothing is found
    assert answer.status_code == 200 and answer.json()["results"] == []


@pytest.mark.postgres
def test_the_words_are_counted_only_when_each_has_a_row(organization):
    # given many guests called Martin, none called Jack, and one Anna Martin
    for number in range(30):
        CustomerFactory(organization=organization, given_name=f"Ann{'a' * (number % 3)}", family_name="Martin")
    words = {word: ranges(analyze(word).per_word_at(0)) for word in ("jack", "martin", "anna")}
    # when the every-word stage counts "jack martin" (up to 10 rows a word)
    (counted,) = run(*counts_sql(organization, [words["jack"], words["martin"]], 10))
    # then jack has none, and martin, which could not place a guest without jack, is not counted (NULL)
    assert counted == (0, None)
    # and when every word has a row, each is counted up to the cap and one more
    (counted,) = run(*counts_sql(organization, [words["anna"], words["martin"]], 10))
    assert counted == (11, 11)
    (counted,) = run(*counts_sql(organization, [words["martin"]], 10))
    assert counted == (11,)

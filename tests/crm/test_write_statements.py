"""The three writes of a front desk's day — a new guest, a preference, a contact — each run a small fixed number of
SQL statements through the API, however many names, search terms, preferences and contacts the guest has.

Counted inside the test's transaction, so each service's own transaction is a SAVEPOINT and its RELEASE (in
production a BEGIN and a COMMIT). The counts are the same on PostgreSQL and SQLite, but a contact's
(CONTACT_STATEMENTS)."""

# A new guest with likely duplicates adds one SELECT of those profiles to the answer; a contact logged without a
# place, or near one logged without, one SELECT of the organization's zones (the place it is counted at).

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from psycopg import pq

from crm import services
from crm.lookup.terms import customer_terms, visits_copy
from crm.models import ChangeRecord, Customer, ExternalId, SearchTerm, SearchTermVisit, TermKind, WebhookDelivery
from personalization.metrics.services.contacts import metrics_caught_up
from personalization.models import Touch
from personalization.models.metrics import MetricDay, MetricsPendingContact
from tests.factories import CustomerFactory, PreferenceFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"

# Every name field, an email and a phone: about 30 search terms.
MANY_NAMES = {
    "given_name": "Katherine Anne",
    "family_name": "Lee-Wong",
    "native_name": "李王凯瑟琳",
    "latin_name": "Li Wang Kaiselin",
    "preferred_name": "Kathy",
    "email": "kathy.lee@example.com",
    "phone": "+1 415 555 0134",
}


@pytest.fixture
def webhook(settings, organization):
    """An endpoint that wants to hear of new guests: creating one also writes its delivery (the outbox row)."""
    settings.RAPPORT_WEBHOOKS_ALLOW_PRIVATE = True
    return services.webhook_endpoint_create(
        organization=organization, url="http://127.0.0.1:9/hooks", events=["customer.created"]
    )


def _terms_of(customer) -> set[tuple[str, int]]:
    return set(SearchTerm.objects.filter(customer=customer).values_list("term", "kind"))


@pytest.mark.parametrize("names", [{"given_name": "Wei"}, MANY_NAMES], ids=["one name", "every name"])
def test_creating_a_guest_is_ten_statements_however_many_names(api, webhook, names, django_assert_num_queries):
    # 1 the token and its staff member · 2 SAVEPOINT · 3 INSERT the guest · 4 INSERT all their search terms ·
    # 5 UPSERT their name words into the vocabulary (the typo stage's) · 6 INSERT the change record ·
    # 7 SELECT the endpoints that want the event · 8 INSERT its delivery · 9 RELEASE · 10 SELECT the likely
    # duplicates (the ids in other systems the answer shows are those just written: no SELECT)
    with django_assert_num_queries(10):
        answer = api.post(URL, names, format="json")
    assert answer.status_code == 201, answer.json()
    customer = Customer.objects.get(pk=answer.json()["id"])
    assert _terms_of(customer) == customer_terms(customer)
    assert ChangeRecord.objects.filter(target_id=customer.pk, action="customer.create").count() == 1
    assert WebhookDelivery.objects.filter(endpoint=webhook, event_type="customer.created").count() == 1


@pytest.mark.postgres
def test_a_new_guests_terms_vocabulary_change_record_and_endpoints_are_sent_together(api, webhook):
    # Given an endpoint that wants to hear of new guests
    sent_together = []

    def note(execute, sql, params, many, context):
        sent_together.append((sql.split()[:3], connection.connection.pgconn.pipeline_status != pq.PipelineStatus.OFF))
        return execute(sql, params, many, context)

    # When a guest is created through the API
    with connection.execute_wrapper(note):
        answer = api.post(URL, MANY_NAMES, format="json")
    assert answer.status_code == 201, answer.json()
    # Then the writes that do not read one another's answers went in psycopg's pipeline (the terms and the
    # vocabulary with the change record, then the endpoints, then the delivery), and the guest's own row and the
    # likely duplicates' read did not
    together = [words for words, piped in sent_together if piped]
    assert [words[:3] for words in together] == [
        ["WITH", "wanted", "(term,"],
        ["INSERT", "INTO", "crm_nameword"],
        ["INSERT", "INTO", '"crm_changerecord"'],
        ["SELECT", 'e."id",', 'e."created_at",'],  # the endpoints (crm.webhooks.services._enabled_endpoints)
        ["INSERT", "INTO", '"crm_webhookdelivery"'],
    ], sent_together
    assert not any(piped for words, piped in sent_together if words[:3] == ["INSERT", "INTO", '"crm_customer"'])


def test_a_new_namesake_of_many_reads_only_the_likely_duplicates(api, organization, django_assert_num_queries):
    # Given 30 guests called Wang Wei (a common name: not a reason on its own) and one of them with the phone the
    # new guest gives, and one namesake among few.
    namesakes = [CustomerFactory(organization=organization, given_name="Wei", family_name="Wang") for _ in range(30)]
    services.customer_update(customer=namesakes[7], phone="+86 139 1111 2222")
    rare = CustomerFactory(organization=organization, given_name="Xiaoyu", family_name="Wang", email="")
    # When one more Wang Wei is created: the nine statements of a guest when no endpoint wants the event, and one
    # SELECT of the profile sharing the phone (not of the 29 namesakes).
    with django_assert_num_queries(10):
        answer = api.post(URL, {"given_name": "Wei", "family_name": "Wang", "phone": "+86 139 1111 2222"})
    # Then that profile is the likely duplicate, for its phone; the 29 others are namesakes, not duplicates.
    assert answer.status_code == 201, answer.json()
    duplicates = answer.json()["likely_duplicates"]
    assert [(d["customer"]["id"], d["reasons"]) for d in duplicates] == [(namesakes[7].pk, ["same_phone"])]
    # A name shared by few is a reason on its own.
    answer = api.post(URL, {"given_name": "Xiaoyu", "family_name": "Wang"})
    assert [(d["customer"]["id"], d["reasons"]) for d in answer.json()["likely_duplicates"]] == [
        (rare.pk, ["same_name"])
    ]


def test_ids_in_other_systems_add_one_insert_in_a_savepoint(api, django_assert_num_queries):
    # The nine of a guest when no endpoint wants the event, and SAVEPOINT · INSERT every id · RELEASE: the unique
    # constraint decides whether an id is taken, not a SELECT per id before; the answer shows the ids written.
    ids = [{"system": "opera", "id": f"A{n}"} for n in (3, 1, 4, 0, 2)]
    with django_assert_num_queries(12):
        answer = api.post(URL, {"given_name": "Wei", "external_ids": ids}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["external_ids"] == [{"system": "opera", "id": f"A{n}"} for n in range(5)]
    assert api.get(f"{URL}{answer.json()['id']}/").json()["external_ids"] == answer.json()["external_ids"]


def test_a_patch_of_ids_answers_the_ids_it_kept_and_wrote_without_reading_them_again(
    api, organization, django_assert_num_queries
):
    # Given a guest with two ids in other systems
    guest = CustomerFactory(organization=organization)
    services.customer_update(
        customer=guest, external_ids=[{"system": "opera", "id": "KEEP"}, {"system": "opera", "id": "DROP"}]
    )
    # When one is kept, one dropped and one added: 1 the token · 2 SELECT the guest with their ids · 3 SAVEPOINT ·
    # 4 DELETE the dropped · 5 SAVEPOINT · 6 INSERT the new · 7 RELEASE · 8 UPDATE the guest's updated_at ·
    # 9 INSERT the change record · 10 SELECT the endpoints · 11 RELEASE — and no SELECT of the ids for the answer
    wanted = [{"system": "opera", "id": "KEEP"}, {"system": "fidelio", "id": "NEW"}]
    with django_assert_num_queries(11):
        answer = api.patch(f"{URL}{guest.pk}/", {"external_ids": wanted}, format="json")
    # Then the answer shows the ids the guest now holds, as a later read does
    assert answer.status_code == 200, answer.json()
    expected = [{"system": "fidelio", "id": "NEW"}, {"system": "opera", "id": "KEEP"}]
    assert answer.json()["external_ids"] == expected
    assert api.get(f"{URL}{guest.pk}/").json()["external_ids"] == expected


def test_an_id_already_taken_is_still_a_400_naming_the_guest_and_nothing_is_written(api, organization):
    first = CustomerFactory(organization=organization)
    services.customer_update(customer=first, external_ids=[{"system": "opera", "id": "A123"}])
    guests = SearchTerm.objects.values("customer").distinct().count()

    answer = api.post(
        URL,
        {"given_name": "Wei", "external_ids": [{"system": "opera", "id": "A9"}, {"system": "Opera", "id": "A123"}]},
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json() == {"external_ids": [f"opera:A123 already names another guest (#{first.pk})."]}
    assert SearchTerm.objects.values("customer").distinct().count() == guests
    assert not ExternalId.objects.filter(value="A9").exists()


def test_a_patch_that_takes_another_guests_id_keeps_the_guests_own_ids(api, organization):
    other = CustomerFactory(organization=organization)
    services.customer_update(customer=other, external_ids=[{"system": "opera", "id": "TAKEN"}])
    guest = CustomerFactory(organization=organization)
    services.customer_update(customer=guest, external_ids=[{"system": "opera", "id": "MINE"}])

    answer = api.patch(f"{URL}{guest.pk}/", {"external_ids": [{"system": "opera", "id": "TAKEN"}]}, format="json")

    assert answer.status_code == 400
    assert answer.json() == {"external_ids": [f"opera:TAKEN already names another guest (#{other.pk})."]}
    assert api.get(f"{URL}{guest.pk}/").json()["external_ids"] == [{"system": "opera", "id": "MINE"}]


def test_renaming_a_guest_deletes_the_stale_terms_and_inserts_the_new_in_two_statements(
    api, organization, django_assert_num_queries
):
    # and moves the guest between the vocabulary's words in three: the new words upserted, the old ones
    # decremented, those nobody holds any more deleted.
    guest = CustomerFactory(organization=organization, **MANY_NAMES)
    services.contact_log(customer=guest, kind="visit")
    email_terms = {(term, kind) for term, kind in _terms_of(guest) if kind in (TermKind.EMAIL, TermKind.EMAIL_LOCAL)}
    # 1 the token · 2 SELECT the guest with their ids in other systems · 3 SAVEPOINT · 4 UPDATE the guest ·
    # 5 DELETE the stale terms · 6 INSERT the new ones · 7 UPSERT the new words · 8 UPDATE the old words' counts ·
    # 9 DELETE the words nobody holds · 10 INSERT the change record · 11 SELECT the endpoints · 12 RELEASE
    with django_assert_num_queries(12):
        answer = api.patch(f"{URL}{guest.pk}/", {"family_name": "Chan", "native_name": "陈凯瑟琳"}, format="json")
    assert answer.status_code == 200, answer.json()
    guest.refresh_from_db()
    assert _terms_of(guest) == customer_terms(guest)
    assert set(SearchTerm.objects.filter(customer=guest).values_list("last_seen", flat=True)) == {guest.last_seen}
    assert email_terms and email_terms <= _terms_of(guest)  # the email's terms stayed as they were
    names = {term for term, kind in _terms_of(guest) - email_terms}
    assert not {term for term in names if "lee" in term or "李" in term}
    assert [c["id"] for c in api.get(URL, {"q": "Kathy Chan"}).json()["results"]] == [guest.pk]
    assert api.get(URL, {"q": "Lee-Wong"}).json()["results"] == []


@pytest.mark.parametrize("history", [0, 40], ids=["new guest", "40 preferences"])
def test_adding_a_preference_is_six_statements_however_many_the_guest_has(
    api, customer, history, django_assert_num_queries
):
    PreferenceFactory.create_batch(history, customer=customer)
    # 1 the token · 2 SELECT the guest · 3 SAVEPOINT · 4 INSERT the preference · 5 INSERT the change record ·
    # 6 RELEASE
    with django_assert_num_queries(6):
        answer = api.post(f"{URL}{customer.pk}/preferences/", {"category": "allergy", "text": "Peanuts"}, format="json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["polarity"] == "avoid" and answer.json()["safety_critical"] is True
    assert ChangeRecord.objects.filter(action="preference.record", target_id=answer.json()["id"]).exists()


def test_a_bad_preference_is_still_a_400_on_its_field(api, customer):
    answer = api.post(
        f"{URL}{customer.pk}/preferences/", {"category": "allergy", "text": "Peanuts", "polarity": "likes"}
    )
    assert answer.status_code == 400
    assert list(answer.json()) == ["polarity"]
    blank = api.post(f"{URL}{customer.pk}/preferences/", {"category": "food", "text": ""})
    assert blank.status_code == 400 and list(blank.json()) == ["text"]


# A contact's statements through the API: nine, of which PostgreSQL sends three as one (see below).
CONTACT_STATEMENTS = 7 if connection.vendor == "postgresql" else 9


def _log(api, customer, kind: str, **fields):
    return api.post(f"{URL}{customer.pk}/contacts/", {"kind": kind, **fields}, format="json")


@pytest.mark.parametrize("history", [0, 40], ids=["first contact", "40 contacts before"])
def test_logging_a_contact_is_a_fixed_number_of_statements_however_many_the_guest_has(
    api, customer, property_, history, django_assert_num_queries
):
    long_ago = timezone.now() - timedelta(days=400)
    for day in range(history):
        services.contact_log(
            customer=customer, kind="call", property=property_, occurred_at=long_ago + timedelta(days=day)
        )
    # 1 the token · 2 SELECT the guest · 3 SAVEPOINT · 4 UPDATE their visits and first and last seen, which locks
    # their row and returns them · 5 INSERT the contact · 6 INSERT their pending visit (the search terms' last seen,
    # the lookup's order, copied off the contact's path) · 7 INSERT the change record · 8 INSERT its pending row
    # (metrics: counted by the fold, off the contact's path) · 9 RELEASE. On PostgreSQL 4, 5 and 6 are one
    # statement (data-modifying CTEs).
    with django_assert_num_queries(CONTACT_STATEMENTS):
        answer = _log(api, customer, "arrival")
    assert answer.status_code == 201, answer.json()
    customer.refresh_from_db()
    assert customer.visit_count == 1 and customer.contacts.count() == history + 1
    logged = customer.contacts.get(pk=answer.json()["id"])
    assert (logged.kind, customer.last_seen) == ("arrival", logged.occurred_at)
    assert SearchTermVisit.objects.filter(customer_id=customer.pk).exists()
    visits_copy()
    assert set(SearchTerm.objects.filter(customer=customer).values_list("last_seen", flat=True)) == {logged.occurred_at}
    assert MetricsPendingContact.objects.filter(contact=logged, organization_id=customer.organization_id).exists()
    metrics_caught_up(customer.organization_id)
    assert MetricDay.objects.filter(day=timezone.localdate(timezone=property_.zone()), contacts__gte=1).exists()


def test_a_departure_that_schedules_a_thank_you_adds_one_statement(api, customer, django_assert_num_queries):
    # The statements of a contact, and the thank-you: INSERT the touch unless one of the last week is there.
    with django_assert_num_queries(CONTACT_STATEMENTS + 1):
        answer = _log(api, customer, "departure")
    assert answer.status_code == 201, answer.json()
    assert Touch.objects.filter(customer=customer, kind="thank_you").count() == 1
    assert _log(api, customer, "departure").status_code == 201
    assert Touch.objects.filter(customer=customer, kind="thank_you").count() == 1  # at most one a week


def test_a_bad_contact_is_still_a_400_on_its_field(api, customer):
    answer = _log(api, customer, "telepathy")
    assert answer.status_code == 400 and list(answer.json()) == ["kind"]
    assert customer.contacts.count() == 0

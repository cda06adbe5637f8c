"""The brief: greet, safety, recall, repair, close — through the API and the builder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from crm import services
from crm.models import Customer, Issue, Preference
from crm.partial_dates import PartialDate
from personalization.brief import brief_for
from personalization.models import Delight, GiftRule, Tip
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def brief_url(customer):
    return f"/api/v1/customers/{customer.pk}/brief/"


@pytest.fixture
def regular(organization):
    """A returning guest with a history: safety needs, likes, an open and a resolved issue."""
    customer = CustomerFactory(organization=organization, siobhan=True, salutation="Ms", pronunciation="shiv-AWN")
    now = timezone.now()
    for days in (400, 120):
        services.contact_log(customer=customer, kind="arrival", occurred_at=now - timedelta(days=days))
    services.preference_record(customer=customer, category="allergy", text="Peanuts", polarity="avoid")
    services.preference_record(customer=customer, category="drink", text="Oat-milk flat white")
    services.preference_record(customer=customer, category="seating", text="Window table", source="staff")
    services.preference_record(customer=customer, category="room", text="High floor")
    old = services.preference_record(customer=customer, category="amenity", text="Yoga mat")
    Preference.objects.filter(pk=old.pk).update(last_confirmed_at=now - timedelta(days=400))
    services.issue_open(customer=customer, summary="Noisy air conditioning", status="in_progress")
    services.issue_open(customer=customer, summary="Cold breakfast", status="resolved", resolution="Re-made")
    old_issue = services.issue_open(customer=customer, summary="Lost umbrella", status="resolved", resolution="Found")
    old_issue.resolved_at = now - timedelta(days=60)
    old_issue.save(update_fields=["resolved_at"])
    return customer


def test_the_brief_has_every_section_in_order(api, regular):
    response = api.get(brief_url(regular))
    assert response.status_code == 200
    brief = response.json()
    assert list(brief) == ["customer", "greet", "safety", "recall", "repair", "delight", "tips", "close"]
    assert brief["customer"] == {"id": regular.pk, "display_name": "Siobhán O'Connor", "language": "en"}
    greet = brief["greet"]
    assert greet["name"] == "Ms O'Connor" and greet["visit_count"] == 2
    assert greet["text"] == "Welcome back, Ms O'Connor! Visit number 3; last here 3 months ago."
    assert greet["pronunciation"] == {"respelling": "shiv-AWN", "pinyin": "", "note": ""}
    assert [s["text"] for s in brief["safety"]] == ["Peanuts"]
    assert "Peanuts" not in [r["text"] for r in brief["recall"]]
    assert brief["delight"] == []


def test_recall_is_ranked_for_the_contact_and_flags_stale_memories(api, regular):
    recall = api.get(brief_url(regular), {"contact_kind": "visit"}).json()["recall"]
    assert [r["text"] for r in recall][:2] == ["Oat-milk flat white", "Window table"]  # a restaurant visit
    stale = {r["text"]: r["needs_reconfirmation"] for r in recall}
    assert stale["Yoga mat"] is True and stale["Oat-milk flat white"] is False
    arrival = api.get(brief_url(regular), {"contact_kind": "arrival"}).json()["recall"]
    assert arrival[0]["text"] in ("High floor", "Oat-milk flat white")  # the room matters at check-in


def test_recall_holds_at_most_five(api, organization):
    customer = CustomerFactory(organization=organization)
    for i in range(9):
        services.preference_record(customer=customer, category="food", text=f"Dish {i}")
    assert len(api.get(brief_url(customer)).json()["recall"]) == 5


def test_repair_has_open_and_recently_resolved_issues_with_a_next_step(api, regular):
    repair = api.get(brief_url(regular)).json()["repair"]
    assert {r["summary"]: r["status"] for r in repair} == {
        "Noisy air conditioning": "in_progress",
        "Cold breakfast": "resolved",
    }
    steps = {r["summary"]: r["next_step"] for r in repair}
    assert steps["Noisy air conditioning"].startswith("Listen")
    assert "is fixed" in steps["Cold breakfast"]


def test_next_step_follows_the_recovery_sequence(regular):
    issue = regular.issues.get(summary="Noisy air conditioning")
    services.issue_update(issue=issue, steps_done=["listen", "empathize"])
    brief = brief_for(organization=regular.organization, customer_id=regular.pk)
    step = next(r["next_step"] for r in brief["repair"] if r["issue_id"] == issue.pk)
    assert step.startswith("Apologize")


def test_close_mentions_the_follow_up_in_words_the_guest_may_hear(api, regular):
    close = api.get(brief_url(regular)).json()["close"]["text"]
    # The close is said to the guest: the internal summary stays with the staff.
    assert close.startswith("Thank you, Ms O'Connor.") and "Noisy air conditioning" not in close
    assert close.endswith("We will follow up on what went wrong.")

    issue = regular.issues.get(summary="Noisy air conditioning")
    services.issue_update(issue=issue, guest_summary="the noise in your room")
    close = api.get(brief_url(regular)).json()["close"]["text"]
    assert close.endswith("We will follow up on “the noise in your room”.")


@pytest.mark.parametrize(
    ("language", "greet", "close"),
    [
        ("zh-hans", "欢迎回来，王女士！这是您第3次光临，上次光临是3个月前。", "谢谢您，王女士。期待您再次光临。"),
        ("zh-hant", "歡迎回來，王女士！這是您第3次光臨，上次光臨是3個月前。", "謝謝您，王女士。期待您再次光臨。"),
    ],
)
def test_greet_and_close_speak_the_customers_language(api, organization, language, greet, close):
    customer = CustomerFactory(organization=organization, wang_fang=True, salutation="女士", language=language)
    now = timezone.now()
    for days in (200, 95):
        services.contact_log(customer=customer, kind="visit", occurred_at=now - timedelta(days=days))
    brief = api.get(brief_url(customer)).json()
    assert brief["greet"]["text"] == greet
    assert brief["greet"]["pronunciation"]["pinyin"] == "Wáng Fāng"
    assert brief["close"]["text"] == close


def test_a_customer_with_no_history_still_gets_a_useful_greeting(api, organization):
    customer = CustomerFactory(organization=organization, given_name="Ann", family_name="Lee", salutation="")
    brief = api.get(brief_url(customer)).json()
    assert brief["greet"]["text"] == "Welcome, Ann!"
    assert brief["safety"] == [] and brief["recall"] == [] and brief["repair"] == []
    assert brief["close"]["text"] == "Thank you, Ann. We look forward to seeing you again."


def test_the_brief_takes_a_fixed_number_of_queries(api, regular, django_assert_max_num_queries):
    for i in range(30):
        services.preference_record(customer=regular, category="food", text=f"Dish {i}")
        services.issue_open(customer=regular, summary=f"Problem {i}")
    # auth (1), then the customer with their preferences, issues, tips and the gift rules in one
    # (brief/inputs.py), the insert of new delight suggestions (1), and the access record of this view (1)
    with django_assert_max_num_queries(4):
        assert api.get(brief_url(regular)).status_code == 200


def test_another_organizations_brief_is_404(outsider_api, regular):
    assert outsider_api.get(brief_url(regular)).status_code == 404


def test_an_unknown_contact_kind_is_400(api, regular):
    response = api.get(brief_url(regular), {"contact_kind": "telepathy"})
    assert response.status_code == 400 and "contact_kind" in response.json()


def test_tips_match_the_guests_interests_at_this_property(api, organization, property_, other_property, customer):
    from personalization.models import Tip

    services.customer_update(customer=customer, tags=["runner"])
    services.preference_record(customer=customer, category="seating", text="Window table")
    Tip.objects.create(organization=organization, property=property_, text="Riverside running route", tags=["runner"])
    Tip.objects.create(organization=organization, text="The quiet table by the window", tags=["seating"])
    Tip.objects.create(organization=organization, property=property_, text="Rooftop bar", tags=["nightlife"])
    Tip.objects.create(organization=organization, text="Retired tip", tags=["runner"], active=False)
    Tip.objects.create(organization=other_property.organization, text="Not ours", tags=["runner"])
    tips = [t["text"] for t in api.get(brief_url(customer)).json()["tips"]]
    assert sorted(tips) == ["Riverside running route", "The quiet table by the window"]


def test_an_id_beyond_any_integer_is_404_not_a_failure(api):
    assert api.get("/api/v1/customers/99999999999999999999/brief/").status_code == 404


def test_the_brief_statement_stays_within_what_postgresql_can_build():
    # json_build_object takes at most 100 arguments: a name and a value per column.
    for model in (Customer, Preference, Issue, Tip, GiftRule, Delight):
        assert 2 * len(model._meta.concrete_fields) + 4 <= 100, model


@pytest.mark.parametrize("property_id", [None, 7])
def test_the_brief_binds_the_rule_filter_as_the_orm_compiles_it(property_id):
    """The rules part is compiled once and its parameters found again by their stand-ins: they must be what
    compiling the queryset afresh binds, in the same order (a stand-in mistaken for a constant would not)."""
    from datetime import date

    from personalization.brief import inputs

    today = date(2026, 3, 14)
    sql, params = inputs.rules_part(organization_id=41, property_id=property_id, customer_id=5, today=today)
    fresh_sql, fresh_params = inputs._rules_queryset(
        organization_id=41, property_id=property_id, today=today
    ).query.sql_with_params()
    assert fresh_sql in sql
    assert params == [5, *fresh_params]


# --- the greeting counts this visit once and speaks of the one before (issue 12) ----------------------


@pytest.fixture
def returning(organization):
    """A guest whose one earlier visit was four months ago."""
    customer = CustomerFactory(organization=organization, given_name="Ana", family_name="Silva", salutation="")
    services.contact_log(customer=customer, kind="arrival", occurred_at=timezone.now() - timedelta(days=122))
    return customer


def test_the_greeting_is_the_same_before_and_after_the_arrival_is_logged(api, returning):
    # Given a guest with one earlier visit, the brief before their arrival is logged
    before = api.get(brief_url(returning), {"contact_kind": "arrival"}).json()["greet"]
    # and after it,
    services.contact_log(customer=returning, kind="arrival")
    after = api.get(brief_url(returning), {"contact_kind": "arrival"}).json()["greet"]
    # then both count this visit once and speak of the visit before it (not "visit 3; 0 minutes ago").
    for greet in (before, after):
        assert greet["text"] == "Welcome back, Ana! Visit number 2; last here 4 months ago."
        assert greet["visit_number"] == 2
    assert before["visit_count"] == 1 and after["visit_count"] == 2


def test_during_a_stay_the_greeting_speaks_of_the_visit_before_the_stay(api, returning):
    # Given a guest who arrived three days ago and has not left,
    services.contact_log(customer=returning, kind="arrival", occurred_at=timezone.now() - timedelta(days=3))
    # when the desk sees them again,
    greet = api.get(brief_url(returning), {"contact_kind": "visit"}).json()["greet"]
    # then this stay is their second visit, and the one before it was four months ago.
    assert greet["text"] == "Welcome back, Ana! Visit number 2; last here 4 months ago."


def test_after_a_departure_the_next_visit_is_a_new_one(api, returning):
    services.contact_log(customer=returning, kind="arrival", occurred_at=timezone.now() - timedelta(days=10))
    services.contact_log(customer=returning, kind="departure", occurred_at=timezone.now() - timedelta(days=7))
    greet = api.get(brief_url(returning), {"contact_kind": "arrival"}).json()["greet"]
    assert greet["text"] == "Welcome back, Ana! Visit number 3; last here 10 days ago."


def test_a_second_visit_the_same_day_says_earlier_today_not_just_now(hotel_noon, api, returning):
    # At the hotel's noon: from 16:00 to 16:30 UTC, 30 minutes ago was yesterday in Shanghai (CI, 2026-12-06 16:2x).
    services.contact_log(customer=returning, kind="visit", occurred_at=timezone.now() - timedelta(minutes=30))
    services.contact_log(customer=returning, kind="departure", occurred_at=timezone.now() - timedelta(minutes=20))
    greet = api.get(brief_url(returning), {"contact_kind": "visit"}).json()["greet"]
    assert greet["text"] == "Welcome back, Ana! Visit number 3; last here earlier today."


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Happy birthday, Ana! Welcome back! Visit number 2; last here 4 months ago."),
        ("zh-Hans", "Ana，生日快乐！欢迎回来！这是您第2次光临，上次光临是4个月前。"),
        ("zh-Hant", "Ana，生日快樂！歡迎回來！這是您第2次光臨，上次光臨是4個月前。"),
    ],
)
def test_a_birthday_today_at_the_property_is_in_the_greeting(organization, property_, language, text):
    # Given a Shanghai property, 00:30 on 2 December there (still 1 December on a UTC server), and a guest
    # born on 2 December whose one earlier visit was four months ago,
    now = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    returning = CustomerFactory(
        organization=organization, given_name="Ana", family_name="Silva", birthday=PartialDate(month=12, day=2)
    )
    services.contact_log(customer=returning, kind="arrival", occurred_at=now - timedelta(days=122))
    services.customer_update(customer=returning, language=language)
    # when the desk opens their brief,
    greet = brief_for(organization=organization, customer_id=returning.pk, property_id=property_.pk, now=now)["greet"]
    # then they are wished a happy birthday, and the API says which occasion.
    assert greet["occasion"] == "birthday"
    assert greet["text"] == text


def test_an_anniversary_today_is_named_and_other_days_have_no_occasion(organization, property_, customer):
    now = datetime(2026, 6, 15, 4, 0, tzinfo=UTC)  # noon in Shanghai
    services.customer_update(customer=customer, anniversary=PartialDate(month=6, day=15))
    greet = brief_for(organization=organization, customer_id=customer.pk, property_id=property_.pk, now=now)["greet"]
    assert greet["occasion"] == "anniversary" and greet["text"].startswith("Happy anniversary, ")
    later = brief_for(organization=organization, customer_id=customer.pk, now=now + timedelta(days=1))["greet"]
    assert later["occasion"] is None and later["text"].startswith("Welcome, ")


def test_chinese_sentences_follow_one_another_without_a_space(api, organization):
    customer = CustomerFactory(organization=organization, wang_fang=True, salutation="女士", language="zh-Hans")
    services.issue_open(customer=customer, summary="Charged twice for the minibar")  # internal: never said
    close = api.get(brief_url(customer)).json()["close"]["text"]
    assert close == "谢谢您，王女士。期待您再次光临。这次遇到的问题，我们会继续跟进。"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_briefs_read_is_prepared_and_its_record_pipelined_after_it(api, regular):
    """PostgreSQL took longer to plan the brief's read than to run it: once a desk has asked for a few briefs on a
    connection, the read is a prepared statement, and each brief's access record still commits with it."""
    from django.conf import settings
    from django.db import connection

    from crm.models import AccessRecord

    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    greetings = [api.get(brief_url(regular)).json()["greet"]["text"] for _ in range(threshold + 1)]
    assert len(set(greetings)) == 1 and greetings[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [statement for (statement,) in cursor.fetchall()]
    assert any("FROM crm_customer c WHERE c.id = $" in statement for statement in statements), statements
    assert AccessRecord.objects.filter(customer_id=regular.pk, action="brief").count() == threshold + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failed_statement_after_the_briefs_read_leaves_no_transaction_open(organization, regular):
    from django.db import DataError, connection

    from personalization.brief import inputs

    with pytest.raises(DataError):
        inputs.load(
            organization=organization,
            customer_id=regular.pk,
            property_id=None,
            now=timezone.now(),
            zone=None,
            then=["BEGIN", "SELECT 1 / 0", "COMMIT"],
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_current_xact_id_if_assigned() IS NULL AND now() = statement_timestamp()")
        assert cursor.fetchone() == (True,)  # no transaction left open, and the connection still answers

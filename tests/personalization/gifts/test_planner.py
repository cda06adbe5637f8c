"""The nightly planner: set-based suggestions for birthdays, anniversaries and absences, idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import services as crm_services
from crm.models import Preference
from crm.partial_dates import PartialDate
from personalization.gifts import services
from personalization.gifts.services.planner import delights_plan_nightly
from personalization.models import Delight, GiftRule
from tests.factories import CustomerFactory, DelightFactory, GiftRuleFactory, PropertyFactory

pytestmark = pytest.mark.django_db


def date_in(days: int, year: int | None = 1985) -> PartialDate:
    day = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=day.month, day=day.day, year=year)


def suggested(rule):
    return dict(Delight.objects.filter(rule=rule).values_list("customer__given_name", "gift"))


def test_birthdays_in_the_window_get_one_suggestion_however_often_it_runs(organization):
    rule = GiftRuleFactory(organization=organization, gift="Cake for {preferred_name} with {favorite_drink}")
    soon = CustomerFactory(organization=organization, given_name="Soon", preferred_name="Sunny", birthday=date_in(3))
    crm_services.preference_record(customer=soon, category="drink", text="Jasmine tea")
    crm_services.preference_record(customer=soon, category="drink", text="Cola", polarity="dislikes")
    nodrink = CustomerFactory(organization=organization, given_name="Dry", birthday=date_in(1))
    CustomerFactory(organization=organization, given_name="Later", birthday=date_in(9))
    CustomerFactory(organization=organization, given_name="Shy", birthday=date_in(0), consent_surprises=False)
    CustomerFactory(organization=organization, given_name="Unknown")

    assert delights_plan_nightly() == {rule.pk: 1}
    assert suggested(rule) == {"Soon": "Cake for Sunny with Jasmine tea"}
    delight = Delight.objects.get(rule=rule)
    occasion = timezone.localdate() + timedelta(days=3)
    assert delight.occasion_key == f"birthday:{occasion.year}" and delight.occasion_on == occasion
    assert delight.status == "suggested" and delight.cost == Decimal("0.00")

    assert delights_plan_nightly() == {rule.pk: 0}  # the second run adds nothing
    assert Delight.objects.filter(rule=rule).count() == 1
    # The brief sees the planner's delight, and records nothing new.
    (candidate,) = services.delights_suggest(
        customer=soon, property_id=None, preferences=list(Preference.objects.filter(customer=soon)), issues=[]
    )
    assert candidate.existing.id == delight.pk
    assert nodrink.pk not in Delight.objects.values_list("customer_id", flat=True)


def test_the_brief_first_then_the_planner_still_one_gift(organization):
    rule = GiftRuleFactory(
        organization=organization, trigger="anniversary", window_days=10, gift="A card for {preferred_name}"
    )
    guest = CustomerFactory(organization=organization, anniversary=date_in(10, year=None))
    services.delights_suggest(customer=guest, property_id=None, preferences=[], issues=[])
    assert delights_plan_nightly() == {rule.pk: 0}
    assert Delight.objects.filter(rule=rule, customer=guest).count() == 1


def test_absence_tags_cooldown_and_cap(organization):
    rule = services.gift_rule_create(
        organization=organization,
        name="Win-back",
        trigger="return_after_absence",
        absence_days=90,
        tags=["vip"],
        gift="Welcome back, {given_name}",
        cooldown_days=0,
        yearly_cap=1,
    )
    now = timezone.now()
    away = CustomerFactory(organization=organization, given_name="Away", tags=["VIP"])
    crm_services.contact_log(customer=away, kind="visit", occurred_at=now - timedelta(days=92))
    long_gone = CustomerFactory(organization=organization, given_name="Gone", tags=["vip"])
    crm_services.contact_log(customer=long_gone, kind="visit", occurred_at=now - timedelta(days=400))
    plain = CustomerFactory(organization=organization, given_name="Plain")
    crm_services.contact_log(customer=plain, kind="visit", occurred_at=now - timedelta(days=92))
    capped = CustomerFactory(organization=organization, given_name="Capped", tags=["vip"])
    crm_services.contact_log(customer=capped, kind="visit", occurred_at=now - timedelta(days=91))
    old = Delight.objects.create(
        organization=organization, customer=capped, rule=rule, occasion_key="return:x", gift="x", cost=0
    )
    services.delight_deliver(delight=old, now=now - timedelta(days=30))

    assert delights_plan_nightly() == {rule.pk: 1}
    delight = Delight.objects.get(rule=rule, status="suggested")
    assert delight.gift == "Welcome back, Away"
    assert delight.occasion_key == f"return:{timezone.localdate(now - timedelta(days=92)).isoformat()}"
    # When Away comes back, the brief offers that same delight.
    (candidate,) = services.delights_suggest(customer=away, property_id=None, preferences=[], issues=[])
    assert candidate.existing.id == delight.pk


def test_one_statement_per_rule_whatever_the_number_of_customers(organization):
    services.gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Cake")
    for i in range(30):
        CustomerFactory(organization=organization, birthday=date_in(i % 8))
    with CaptureQueriesContext(connection) as queries:
        created = delights_plan_nightly()
    assert sum(created.values()) == 30
    inserts = [q for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    # rules; per rule its place (2) and whether it is live on the day there; budget, savepoints, the insert;
    # the suggestions counted for the dashboard: the properties' zones and one upsert
    assert len(inserts) == 2 and "personalization_metricday" in inserts[1]["sql"] and len(queries) <= 11


def test_the_nightly_task_expires_the_past_and_plans_the_coming(organization):
    from personalization.tasks import plan_delights

    rule = services.gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Cake")
    CustomerFactory(organization=organization, birthday=date_in(2))
    gone = CustomerFactory(organization=organization)
    old = DelightFactory(
        rule=rule, customer=gone, occasion_key="birthday:2000", expires_at=timezone.now() - timedelta(days=1)
    )
    assert plan_delights() == 1
    old.refresh_from_db()
    assert old.status == "expired"
    assert plan_delights() == 0


def test_the_plan_delights_command_says_how_many(organization, capsys):
    from django.core.management import call_command

    services.gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Cake")
    CustomerFactory(organization=organization, birthday=date_in(0))
    call_command("plan_delights")
    assert "1 delights suggested." in capsys.readouterr().out


def test_the_nightly_planner_reads_the_day_at_the_property_not_on_the_servers_clock(organization, property_):
    # Given a Shanghai property, a rule for the birthday itself (window 0) and a guest born on 2 December,
    services.gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Cake", window_days=0)
    guest = CustomerFactory(organization=organization, birthday=PartialDate(month=12, day=2))
    # when the planner runs at 00:30 on 2 December in Shanghai (still 1 December on a UTC server),
    delights_plan_nightly(now=datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
    # then it is the guest's birthday there, and the cake is planned.
    assert Delight.objects.filter(customer=guest, occasion_key="birthday:2026").exists()


def test_each_propertys_guests_are_planned_on_the_day_it_is_there(organization, property_):
    # Given a Shanghai property (the organization's first) and one in Los Angeles, a rule of both for the
    # birthday itself, which ends on 1 December, and guests at each born on 1 and 2 December,
    los_angeles = PropertyFactory(organization=organization, name="Santa Monica", timezone="America/Los_Angeles")
    rule = services.gift_rule_create(
        organization=organization, name="Cake", trigger="birthday", gift="Cake", window_days=0
    )
    GiftRule.objects.filter(pk=rule.pk).update(ends_on=date(2026, 12, 1))
    guests = {
        (home.name if home else "none", day): CustomerFactory(
            organization=organization, home_property=home, birthday=PartialDate(month=12, day=day)
        )
        for home in (property_, los_angeles, None)
        for day in (1, 2)
    }
    # when the planner runs at 08:30 on 1 December in Los Angeles, 00:30 on 2 December in Shanghai,
    created = delights_plan_nightly(now=datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
    # then the Los Angeles guest born on 1 December has a cake (still 1 December there, the rule is live),
    # and no one else: in Shanghai, and for guests without a home (who belong to it), the rule is over.
    planned = {key for key, guest in guests.items() if Delight.objects.filter(customer=guest).exists()}
    assert planned == {("Santa Monica", 1)} and created == {rule.pk: 1}


def test_a_rule_live_in_both_places_plans_each_on_its_own_birthday(organization, property_):
    los_angeles = PropertyFactory(organization=organization, name="Santa Monica", timezone="America/Los_Angeles")
    services.gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Cake", window_days=0)
    shanghai_2 = CustomerFactory(organization=organization, home_property=property_, birthday=PartialDate(12, 2))
    shanghai_1 = CustomerFactory(organization=organization, home_property=property_, birthday=PartialDate(12, 1))
    la_1 = CustomerFactory(organization=organization, home_property=los_angeles, birthday=PartialDate(12, 1))
    la_2 = CustomerFactory(organization=organization, home_property=los_angeles, birthday=PartialDate(12, 2))
    homeless_2 = CustomerFactory(organization=organization, home_property=None, birthday=PartialDate(12, 2))
    delights_plan_nightly(now=datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
    planned = set(Delight.objects.values_list("customer_id", "occasion_on"))
    assert planned == {
        (shanghai_2.pk, date(2026, 12, 2)),
        (homeless_2.pk, date(2026, 12, 2)),
        (la_1.pk, date(2026, 12, 1)),
    }
    assert shanghai_1.pk not in {c for c, _day in planned} and la_2.pk not in {c for c, _day in planned}

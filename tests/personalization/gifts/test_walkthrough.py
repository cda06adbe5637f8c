"""Issue 6 as a new user tries it, through the API: the manager's "Birthday dessert", the front desk's
brief, five deliveries and a sixth guest left out; and the brief's delight section in two queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm import services as crm_services
from crm.partial_dates import PartialDate
from personalization.brief import brief_for
from personalization.gifts import services
from tests.factories import BIRTHDAY_DESSERT, CustomerFactory

pytestmark = pytest.mark.django_db


def birthday_in(days: int) -> PartialDate:
    day = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=day.month, day=day.day, year=1990)


def test_birthday_dessert_from_the_managers_rule_to_the_sixth_guest(manager_api, api, organization):
    rule = manager_api.post(
        "/api/v1/gift-rules/",
        BIRTHDAY_DESSERT,
    ).json()
    assert api.post("/api/v1/gift-rules/", {"name": "Mine", "trigger": "manual", "gift": "x"}).status_code == 403

    guests = [
        CustomerFactory(organization=organization, preferred_name=f"Guest {i}", birthday=birthday_in(i))
        for i in range(6)
    ]
    for guest in guests[:5]:
        (delight,) = api.get(f"/api/v1/customers/{guest.pk}/brief/").json()["delight"]
        assert delight["gift"] == f"A slice of cake for {guest.preferred_name}"
        assert api.post(f"/api/v1/delights/{delight['delight_id']}/deliver/").status_code == 200

    assert api.get(f"/api/v1/customers/{guests[5].pk}/brief/").json()["delight"] == []
    spent = manager_api.get(f"/api/v1/gift-rules/{rule['id']}/").json()
    assert spent["spent_this_month"] == "30.00" and spent["delivered_this_month"] == 5


def test_the_delight_section_adds_at_most_two_queries_whatever_the_number_of_rules(
    organization, django_assert_max_num_queries
):
    guest = CustomerFactory(organization=organization, tags=["vip"], birthday=birthday_in(1))
    crm_services.preference_record(customer=guest, category="drink", text="Jasmine tea")
    crm_services.issue_open(customer=guest, summary="Cold soup", status="resolved", resolution="New soup")
    for i in range(40):
        trigger = ["birthday", "first_visit", "issue_resolved", "anniversary"][i % 4]
        tags = ["vip"] if i % 2 else []
        services.gift_rule_create(
            organization=organization,
            name=f"Rule {i}",
            trigger=trigger,
            priority=i % 3,
            gift="{favorite_drink} for {preferred_name}",
            tags=tags,
        )
    guest.refresh_from_db()
    # The brief reads the customer, preferences, issues, tips and rules in one statement; the delight
    # section adds the insert of its new suggestions and their count for the dashboard, whatever the number of
    # rules.
    with django_assert_max_num_queries(1 + 2):
        first = brief_for(organization=organization, customer_id=guest.pk)
    assert len(first["delight"]) == 30  # birthday, first visit and issue rules; no anniversary on file
    with django_assert_max_num_queries(1):  # nothing new to record the second time
        again = brief_for(organization=organization, customer_id=guest.pk)
    assert [d["delight_id"] for d in again["delight"]] == [d["delight_id"] for d in first["delight"]]
    assert first["delight"][0]["gift"] == "Jasmine tea for " + guest.given_name


def test_money_in_the_brief_keeps_its_cents(api, organization):
    # Given a rule whose cost and budget have cents, read back through the brief's one statement
    guest = CustomerFactory(organization=organization, birthday=birthday_in(1))
    services.gift_rule_create(
        organization=organization, name="Cake", trigger="birthday", gift="Cake", cost="12.30", monthly_budget="100.00"
    )
    [delight] = api.get(f"/api/v1/customers/{guest.pk}/brief/").json()["delight"]
    assert (delight["cost"], delight["budget_left"]) == ("12.30", "100.00")

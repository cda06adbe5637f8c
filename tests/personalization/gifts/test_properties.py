"""Rules of a list of properties (none: every property), and a monthly budget per property."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from crm.errors import Conflict
from crm.partial_dates import PartialDate
from personalization.brief.build import brief_for
from personalization.gifts import services
from personalization.gifts.services.planner import delights_plan_nightly
from personalization.models import Delight, GiftRule, GiftSpend
from tests.factories import CustomerFactory, DelightFactory, GiftRuleFactory, PropertyFactory

pytestmark = pytest.mark.django_db
RULES = "/api/v1/gift-rules/"


def birthday_in(days: int) -> PartialDate:
    day = timezone.localdate() + timedelta(days=days)
    return PartialDate(month=day.month, day=day.day, year=1980)


@pytest.fixture
def a(property_):
    return property_


@pytest.fixture
def b(organization):
    return PropertyFactory(organization=organization, name="Garden Hotel")


@pytest.fixture
def c(organization):
    return PropertyFactory(organization=organization, name="City Hotel")


def cake(organization, **fields):
    return GiftRuleFactory(organization=organization, cost=Decimal("6.00"), **fields)


def gifts_at(organization, guest, property_):
    return [
        d["gift"]
        for d in brief_for(organization=organization, customer_id=guest.pk, property_id=property_.pk)["delight"]
    ]


def test_a_rule_of_two_properties_applies_at_both_and_not_at_a_third(organization, a, b, c):
    cake(organization, properties=[a, b])
    guest = CustomerFactory(organization=organization, birthday=birthday_in(2))
    assert gifts_at(organization, guest, a) == ["Cake"]
    assert gifts_at(organization, guest, b) == ["Cake"]
    assert gifts_at(organization, guest, c) == []


def test_a_rule_of_no_property_applies_at_every_property(organization, a, b, c):
    rule = cake(organization)
    assert list(rule.properties.all()) == []
    guest = CustomerFactory(organization=organization, birthday=birthday_in(2))
    for where in (a, b, c):
        assert gifts_at(organization, guest, where) == ["Cake"]


def test_the_api_sets_and_returns_the_list_and_refuses_another_organizations_property(
    manager_api, organization, a, b, other_property
):
    body = {"name": "Cake", "trigger": "birthday", "gift": "Cake", "properties": [a.pk, b.pk]}
    created = manager_api.post(RULES, body, format="json")
    assert created.status_code == 201 and sorted(created.json()["properties"]) == sorted([a.pk, b.pk])
    refused = manager_api.post(RULES, {**body, "properties": [a.pk, other_property.pk]}, format="json")
    assert refused.status_code == 400 and refused.json()["properties"]
    rule_id = created.json()["id"]
    changed = manager_api.patch(f"{RULES}{rule_id}/", {"properties": []}, format="json")
    assert changed.status_code == 200 and changed.json()["properties"] == []
    refused = manager_api.patch(f"{RULES}{rule_id}/", {"properties": [other_property.pk]}, format="json")
    assert refused.status_code == 400 and refused.json()["properties"]


def test_the_service_refuses_another_organizations_property(organization, other_property):
    with pytest.raises(ValidationError) as refused:
        cake(organization, properties=[other_property])
    assert "properties" in refused.value.message_dict


def _delight(rule, organization, property_):
    return DelightFactory(rule=rule, property=property_, occasion_key="a")


def test_a_budget_per_property_is_spent_at_each_property_separately(organization, a, b):
    rule = cake(organization, monthly_budget=Decimal("6.00"), budget_per_property=True)
    services.delight_deliver(delight=_delight(rule, organization, a))
    with pytest.raises(Conflict, match="budget"):
        services.delight_deliver(delight=_delight(rule, organization, a))
    services.delight_deliver(delight=_delight(rule, organization, b))  # B's budget is its own
    spent = dict(GiftSpend.objects.filter(rule=rule).values_list("property_id", "spent"))
    assert spent == {a.pk: Decimal("6.00"), b.pk: Decimal("6.00")}


def test_a_rule_wide_budget_is_shared_by_every_property(organization, a, b):
    rule = cake(organization, monthly_budget=Decimal("6.00"))
    services.delight_deliver(delight=_delight(rule, organization, a))
    with pytest.raises(Conflict, match="budget"):
        services.delight_deliver(delight=_delight(rule, organization, b))
    assert GiftSpend.objects.get(rule=rule).property_id is None


def test_the_brief_at_each_property_reads_that_propertys_budget(organization, a, b):
    rule = cake(organization, monthly_budget=Decimal("10.00"), budget_per_property=True)
    services.delight_deliver(delight=_delight(rule, organization, a))  # A: 4.00 left, below the cost
    guest = CustomerFactory(organization=organization, birthday=birthday_in(2))
    assert gifts_at(organization, guest, a) == []  # not suggested: A's budget left is below the cost
    (at_b,) = brief_for(organization=organization, customer_id=guest.pk, property_id=b.pk)["delight"]
    assert at_b["budget_left"] == "10.00"


def test_the_planner_suggests_only_to_guests_of_the_rules_properties(organization, a, b, c):
    rule = cake(organization, properties=[a, b])
    for name, home in (("At A", a), ("At B", b), ("At C", c), ("Nowhere", None)):
        CustomerFactory(organization=organization, given_name=name, home_property=home, birthday=birthday_in(3))
    assert delights_plan_nightly() == {rule.pk: 2}
    planned = dict(Delight.objects.filter(rule=rule).values_list("customer__given_name", "property_id"))
    assert planned == {"At A": a.pk, "At B": b.pk}


def test_the_old_single_property_field_still_reads_and_writes(manager_api, organization, a, b, other_property):
    body = {"name": "Cake", "trigger": "birthday", "gift": "Cake"}
    created = manager_api.post(RULES, {**body, "property": b.pk}, format="json").json()
    assert created["properties"] == [b.pk] and created["property"] == b.pk
    both = manager_api.patch(f"{RULES}{created['id']}/", {"properties": [a.pk, b.pk]}, format="json").json()
    assert both["property"] == min(a.pk, b.pk)
    every = manager_api.patch(f"{RULES}{created['id']}/", {"property": None}, format="json").json()
    assert every["properties"] == [] and every["property"] is None
    refused = manager_api.post(RULES, {**body, "property": other_property.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["property"]
    refused = manager_api.post(RULES, {**body, "property": a.pk, "properties": [b.pk]}, format="json")
    assert refused.status_code == 400 and refused.json()["property"]


def test_deleting_a_rules_only_property_stops_the_rule_instead_of_widening_it(organization, a, b, c):
    only_c = cake(organization, properties=[c])
    b_and_c = cake(organization, properties=[b, c])
    c.delete()
    only_c.refresh_from_db()
    b_and_c.refresh_from_db()
    assert only_c.active is False
    assert b_and_c.active is True and list(b_and_c.properties.all()) == [b]


def test_the_brief_asks_whether_a_rule_is_live_on_the_day_at_the_property(organization, property_):
    # Given a Shanghai property and a Los Angeles one, and a first-visit rule that ends on 1 December,
    los_angeles = PropertyFactory(organization=organization, name="Santa Monica", timezone="America/Los_Angeles")
    rule = services.gift_rule_create(organization=organization, name="Tea", trigger="first_visit", gift="Tea")
    GiftRule.objects.filter(pk=rule.pk).update(ends_on=date(2026, 12, 1))
    # when two new guests are greeted at 08:30 on 1 December in Los Angeles, 00:30 on 2 December in Shanghai,
    now = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)
    there = brief_for(
        organization=organization,
        customer_id=CustomerFactory(organization=organization).pk,
        property_id=los_angeles.pk,
        now=now,
    )
    here = brief_for(
        organization=organization,
        customer_id=CustomerFactory(organization=organization).pk,
        property_id=property_.pk,
        now=now,
    )
    # then the rule is still live in Los Angeles, and over in Shanghai.
    assert there["delight"] and not here["delight"]


def test_the_api_reads_the_brief_for_the_day_at_the_callers_property(api, organization, property_, frontdesk):
    # Given the caller's property in Shanghai and a rule that ended on 1 December (the server's day, in UTC),
    property_.timezone = "Asia/Shanghai"
    property_.save()
    rule = services.gift_rule_create(organization=organization, name="Tea", trigger="first_visit", gift="Tea")
    GiftRule.objects.filter(pk=rule.pk).update(ends_on=date(2026, 12, 1))
    guest = CustomerFactory(organization=organization)
    # when the desk reads a new guest's brief at 00:30 on 2 December in Shanghai,
    with time_machine.travel(datetime(2026, 12, 1, 16, 30, tzinfo=UTC), tick=False):
        brief = api.get(f"/api/v1/customers/{guest.pk}/brief/").json()
    # then the rule is over there.
    assert brief["delight"] == []

"""Two front desks deliver the last affordable gift at the same moment: exactly one succeeds."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from personalization.gifts import services
from personalization.models import Delight, GiftSpend
from tests.conftest import _client_for
from tests.factories import DelightFactory, GiftRuleFactory, PropertyFactory, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def dessert(organization, **budget):
    return GiftRuleFactory(
        organization=organization, name="Dessert", trigger="first_visit", cost=Decimal("6.00"), **budget
    )


def deliver_at_once(desks, delights) -> list:
    """Each desk posts "deliver" for its delight at the same moment, from its own thread; their answers."""
    start = threading.Barrier(len(desks))
    answers: list = [None] * len(desks)

    def deliver(i: int) -> None:
        try:
            start.wait()
            answers[i] = desks[i].post(f"/api/v1/delights/{delights[i].pk}/deliver/")
        finally:
            connection.close()  # each thread had its own database connection

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(len(desks))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


def test_the_last_of_the_budget_is_spent_once(organization, property_):
    rule = dessert(organization, monthly_budget=Decimal("12.00"))
    # One gift already delivered this month: 6.00 left, enough for one more.
    services.delight_deliver(delight=DelightFactory(rule=rule, occasion_key="a"))
    delights = [DelightFactory(rule=rule, occasion_key="first_visit") for _ in range(2)]
    desks = [_client_for(StaffFactory(property=property_, role="frontdesk")) for _ in range(2)]
    answers = deliver_at_once(desks, delights)

    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert "budget" in refused.json()["detail"]
    spend = GiftSpend.objects.get(rule=rule)
    assert spend.spent == Decimal("12.00") and spend.deliveries == 2
    assert Delight.objects.filter(rule=rule, status="delivered").count() == 2


def test_with_a_budget_per_property_the_last_gift_at_one_property_does_not_block_another(organization, property_):
    rule = dessert(organization, monthly_budget=Decimal("6.00"), budget_per_property=True)
    garden = PropertyFactory(organization=organization, name="Garden Hotel")
    delights = [DelightFactory(rule=rule, property=where, occasion_key="first_visit") for where in (property_, garden)]
    desks = [_client_for(StaffFactory(property=where, role="frontdesk")) for where in (property_, garden)]
    answers = deliver_at_once(desks, delights)

    assert [a.status_code for a in answers] == [200, 200]
    spent = dict(GiftSpend.objects.filter(rule=rule).values_list("property_id", "spent"))
    assert spent == {property_.pk: Decimal("6.00"), garden.pk: Decimal("6.00")}

"""Two front desks deliver the last affordable gift at the same moment: exactly one succeeds."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from personalization.gifts import services
from personalization.models import Delight, GiftSpend
from tests.conftest import _client_for
from tests.factories import CustomerFactory, PropertyFactory, StaffFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_last_of_the_budget_is_spent_once(organization, property_):
    rule = services.gift_rule_create(
        organization=organization,
        name="Dessert",
        trigger="first_visit",
        gift="Dessert",
        cost=Decimal("6.00"),
        monthly_budget=Decimal("12.00"),
    )
    # One gift already delivered this month: 6.00 left, enough for one more.
    first = CustomerFactory(organization=organization)
    done = Delight.objects.create(
        organization=organization, customer=first, rule=rule, occasion_key="a", gift="Dessert", cost=rule.cost
    )
    services.delight_deliver(delight=done)
    delights = [
        Delight.objects.create(
            organization=organization,
            customer=CustomerFactory(organization=organization),
            rule=rule,
            occasion_key="first_visit",
            gift="Dessert",
            cost=rule.cost,
        )
        for _ in range(2)
    ]
    desks = [_client_for(StaffFactory(property=property_, role="frontdesk")) for _ in range(2)]
    start = threading.Barrier(2)
    answers: list = [None, None]

    def deliver(i: int) -> None:
        try:
            start.wait()
            answers[i] = desks[i].post(f"/api/v1/delights/{delights[i].pk}/deliver/")
        finally:
            connection.close()  # each thread had its own database connection

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(a.status_code for a in answers) == [200, 409]
    refused = next(a for a in answers if a.status_code == 409)
    assert "budget" in refused.json()["detail"]
    spend = GiftSpend.objects.get(rule=rule)
    assert spend.spent == Decimal("12.00") and spend.deliveries == 2
    assert Delight.objects.filter(rule=rule, status="delivered").count() == 2


def test_with_a_budget_per_property_the_last_gift_at_one_property_does_not_block_another(organization, property_):
    rule = services.gift_rule_create(
        organization=organization,
        name="Dessert",
        trigger="first_visit",
        gift="Dessert",
        cost=Decimal("6.00"),
        monthly_budget=Decimal("6.00"),
        budget_per_property=True,
    )
    garden = PropertyFactory(organization=organization, name="Garden Hotel")
    delights = [
        Delight.objects.create(
            organization=organization,
            customer=CustomerFactory(organization=organization),
            rule=rule,
            property=where,
            occasion_key="first_visit",
            gift="Dessert",
            cost=rule.cost,
        )
        for where in (property_, garden)
    ]
    desks = [_client_for(StaffFactory(property=where, role="frontdesk")) for where in (property_, garden)]
    start = threading.Barrier(2)
    answers: list = [None, None]

    def deliver(i: int) -> None:
        try:
            start.wait()
            answers[i] = desks[i].post(f"/api/v1/delights/{delights[i].pk}/deliver/")
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert [a.status_code for a in answers] == [200, 200]
    spent = dict(GiftSpend.objects.filter(rule=rule).values_list("property_id", "spent"))
    assert spent == {property_.pk: Decimal("6.00"), garden.pk: Decimal("6.00")}

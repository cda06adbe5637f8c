"""Fixtures of the personalization tests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from crm import services
from crm.partial_dates import PartialDate
from crm.services.stays import stay_push
from personalization.gifts.services import gift_rule_create
from tests.factories import PropertyFactory

TODAY = date(2026, 12, 2)  # the arrivals board's day (tests travel to 01:30 that day in Shanghai)


@pytest.fixture
def hotel(organization):
    """A hotel in Shanghai that sends mail (touches: sending, quiet hours, their counts)."""
    return PropertyFactory(
        organization=organization, name="Bund Hotel", timezone="Asia/Shanghai", sender_email="desk@bund.example"
    )


def arriving(organization, property_, name, *, nights=2, reservation=None, **fields):
    guest = services.customer_create(organization=organization, given_name=name, **fields)
    stay, _created = stay_push(
        organization=organization,
        system="opera",
        external_id=reservation or f"R-{name}",
        customer=guest,
        property=property_,
        arrival=TODAY,
        departure=TODAY + timedelta(days=nights),
    )
    return guest, stay


@pytest.fixture
def board(organization, property_):
    property_.timezone = "Asia/Shanghai"
    property_.save()
    plain, _ = arriving(organization, property_, "Plain")
    careful, _ = arriving(organization, property_, "Careful", tags=["VIP"], birthday=PartialDate(month=12, day=3))
    services.preference_record(customer=careful, category="allergy", text="Peanuts", polarity="avoid")
    services.issue_open(customer=careful, summary="Noisy room last time", property=property_)
    gift_rule_create(organization=organization, name="Cake", trigger="birthday", gift="Birthday cake", cost=8)
    tomorrow = services.customer_create(organization=organization, given_name="Tomorrow")
    stay_push(
        organization=organization,
        system="opera",
        external_id="R-later",
        customer=tomorrow,
        property=property_,
        arrival=TODAY + timedelta(days=1),
        departure=TODAY + timedelta(days=2),
    )
    cancelled, _ = arriving(organization, property_, "Cancelled", reservation="R-x")
    stay_push(
        organization=organization,
        system="opera",
        external_id="R-x",
        customer=cancelled,
        status="cancelled",
        arrival=TODAY,
        departure=TODAY + timedelta(days=1),
        property=property_,
    )
    return plain, careful

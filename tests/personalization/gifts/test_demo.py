"""The issue's walk-through on the demo data: guests with a birthday this week whatever day it is seeded."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from crm.models import Organization, Staff
from personalization.models import GiftRule
from tests.conftest import _client_for
from tests.factories import BIRTHDAY_DESSERT

pytestmark = pytest.mark.django_db


def test_birthday_dessert_on_the_demo(capsys, settings):
    settings.DEBUG = True  # the demo refuses to load otherwise
    call_command("seed_demo")
    call_command("seed_demo")  # twice: the demo rules are added once
    organization = Organization.objects.get(name="Harbour & Hill Hotels")
    assert GiftRule.objects.filter(organization=organization).count() == 4
    manager = _client_for(Staff.objects.get(user__username="manager"))
    desk = _client_for(Staff.objects.get(user__username="frontdesk"))

    rule = manager.post(
        "/api/v1/gift-rules/",
        BIRTHDAY_DESSERT,
    ).json()
    guests = [c["id"] for c in desk.get("/api/v1/customers/", {"page_size": 200}).json()["results"]]
    offered = []
    for guest in guests:
        delights = desk.get(f"/api/v1/customers/{guest}/brief/").json()["delight"]
        offered += [(guest, d) for d in delights if d["rule_id"] == rule["id"]]
    assert len(offered) >= 6  # the demo has guests whose birthday is this week
    for _guest, delight in offered[:5]:
        assert desk.post(f"/api/v1/delights/{delight['delight_id']}/deliver/").status_code == 200
    sixth, delight = offered[5]
    assert all(d["rule_id"] != rule["id"] for d in desk.get(f"/api/v1/customers/{sixth}/brief/").json()["delight"])
    refused = desk.post(f"/api/v1/delights/{delight['delight_id']}/deliver/")
    assert refused.status_code == 409 and "budget" in refused.json()["detail"]

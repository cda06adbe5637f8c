"""The gift-rule and delight API (API.md "Gift rules"): roles, organizations, bad input, 409s."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import ChangeRecord
from crm.partial_dates import PartialDate
from personalization.gifts import services
from personalization.models import Delight, GiftRule
from tests.factories import BIRTHDAY_DESSERT, CustomerFactory, DelightFactory

pytestmark = pytest.mark.django_db

RULES = "/api/v1/gift-rules/"


def birthday_in(days: int) -> str:
    day = timezone.localdate() + timedelta(days=days)
    return f"{day:%m-%d}"


@pytest.fixture
def rule(organization):
    return services.gift_rule_create(organization=organization, **{**BIRTHDAY_DESSERT, "cost": 6, "monthly_budget": 30})


def test_a_manager_creates_reads_changes_and_deletes_a_rule(manager_api, manager):
    created = manager_api.post(RULES, BIRTHDAY_DESSERT)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["cost"] == "6.00" and body["monthly_budget"] == "30.00" and body["cooldown_days"] == 365
    assert body["spent_this_month"] == "0.00" and body["active"] is True
    url = f"{RULES}{body['id']}/"
    assert manager_api.get(url).json()["name"] == "Birthday dessert"
    assert manager_api.patch(url, {"window_days": 3}).json()["window_days"] == 3
    assert [r["name"] for r in manager_api.get(RULES).json()["results"]] == ["Birthday dessert"]
    assert manager_api.delete(url).status_code == 204
    assert manager_api.get(url).status_code == 404
    assert manager_api.get(RULES).json()["count"] == 0
    actions = list(ChangeRecord.objects.filter(target_type="giftrule").values_list("action", "actor"))
    assert sorted(actions) == sorted(
        [
            ("gift_rule.create", manager.user.pk),
            ("gift_rule.update", manager.user.pk),
            ("gift_rule.delete", manager.user.pk),
        ]
    )


def test_front_desk_reads_rules_but_cannot_write_them(api, rule):
    assert api.get(RULES).status_code == 200
    assert api.get(f"{RULES}{rule.pk}/").status_code == 200
    assert api.post(RULES, BIRTHDAY_DESSERT).status_code == 403
    assert api.patch(f"{RULES}{rule.pk}/", {"cost": "1.00"}).status_code == 403
    assert api.delete(f"{RULES}{rule.pk}/").status_code == 403
    assert GiftRule.objects.get(pk=rule.pk).cost == 6


def test_another_organizations_rule_and_delight_are_404(outsider_api, rule, organization):
    guest = CustomerFactory(organization=organization, birthday=PartialDate.parse(birthday_in(1)))
    delight = Delight.objects.create(
        organization=organization, customer=guest, rule=rule, occasion_key="x", gift="Cake", cost=6
    )
    assert outsider_api.get(f"{RULES}{rule.pk}/").status_code == 404
    assert outsider_api.get(f"/api/v1/delights/{delight.pk}/").status_code == 404
    assert outsider_api.post(f"/api/v1/delights/{delight.pk}/deliver/").status_code == 404
    assert outsider_api.get("/api/v1/delights/", {"customer": guest.pk}).status_code == 404
    assert outsider_api.get(RULES).json()["count"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cost": "-1.00"}, "cost"),
        ({"monthly_budget": "-5.00"}, "monthly_budget"),
        ({"window_days": 61}, "window_days"),
        ({"window_days": -1}, "window_days"),
        ({"trigger": "nth_visit", "visit_number": 0}, "visit_number"),
        ({"trigger": "nth_visit"}, "visit_number"),
        ({"trigger": "return_after_absence"}, "absence_days"),
        ({"trigger": "full_moon"}, "trigger"),
        ({"gift": "A slice of cake for {prefered_name}"}, "gift"),
        ({"gift": "A slice of cake for {preferred_name"}, "gift"),
        ({"cooldown_days": -1}, "cooldown_days"),
        ({"cost": "40.00"}, "monthly_budget"),  # a budget below one gift: never suggested
        ({"property": 999999}, "property"),
        ({"properties": [999999]}, "properties"),
    ],
)
def test_bad_rules_are_400_with_a_message_on_the_field(manager_api, change, field):
    response = manager_api.post(RULES, {**BIRTHDAY_DESSERT, **change})
    assert response.status_code == 400
    assert field in response.json() and response.json()[field][0]
    assert not GiftRule.objects.exists()


def test_a_patch_that_would_break_the_rule_is_400(manager_api, rule):
    response = manager_api.patch(f"{RULES}{rule.pk}/", {"gift": "Cake with {favourite_drink}"})
    assert response.status_code == 400 and "Unknown placeholder {favourite_drink}" in response.json()["gift"][0]


def test_a_rule_tells_the_guest_ahead_only_when_asked(manager_api):
    created = manager_api.post(RULES, BIRTHDAY_DESSERT, format="json").json()
    assert created["notify_guest"] is False  # the default: a surprise stays a surprise
    url = f"{RULES}{created['id']}/"
    assert manager_api.patch(url, {"notify_guest": True}, format="json").json()["notify_guest"] is True
    assert GiftRule.objects.get(pk=created["id"]).notify_guest is True
    assert manager_api.get(url).json()["notify_guest"] is True
    told = manager_api.post(RULES, {**BIRTHDAY_DESSERT, "name": "Told", "notify_guest": True}, format="json")
    assert told.status_code == 201 and told.json()["notify_guest"] is True


@pytest.mark.parametrize("value", ["maybe", 2, [True], None])
def test_notify_guest_must_be_a_boolean(manager_api, rule, value):
    response = manager_api.post(RULES, {**BIRTHDAY_DESSERT, "notify_guest": value}, format="json")
    assert response.status_code == 400 and response.json()["notify_guest"][0]
    response = manager_api.patch(f"{RULES}{rule.pk}/", {"notify_guest": value}, format="json")
    assert response.status_code == 400 and response.json()["notify_guest"][0]
    assert GiftRule.objects.get(pk=rule.pk).notify_guest is False


def test_the_brief_suggests_a_delight_the_front_desk_delivers_once(api, rule, organization):
    guest = CustomerFactory(organization=organization, given_name="Aoife", birthday=PartialDate.parse(birthday_in(2)))
    brief = api.get(f"/api/v1/customers/{guest.pk}/brief/").json()
    (delight,) = brief["delight"]
    assert delight["gift"] == "A slice of cake for Aoife" and delight["cost"] == "6.00"
    assert delight["reason"] == "Birthday in 2 days" and delight["budget_left"] == "30.00"
    assert api.get(f"/api/v1/customers/{guest.pk}/brief/").json()["delight"] == [delight]  # not twice

    listed = api.get("/api/v1/delights/", {"customer": guest.pk}).json()
    assert [(d["id"], d["status"]) for d in listed["results"]] == [(delight["delight_id"], "suggested")]

    url = f"/api/v1/delights/{delight['delight_id']}/deliver/"
    delivered = api.post(url)
    assert delivered.status_code == 200 and delivered.json()["status"] == "delivered"
    again = api.post(url)
    assert again.status_code == 409 and "already delivered" in again.json()["detail"]
    assert api.get(f"{RULES}{rule.pk}/").json()["spent_this_month"] == "6.00"
    assert api.get(f"/api/v1/customers/{guest.pk}/brief/").json()["delight"] == []


def test_delivering_an_expired_delight_is_409(api, rule, organization):
    delight = DelightFactory(rule=rule, occasion_key="birthday:1", expires_at=timezone.now() - timedelta(hours=1))
    response = api.post(f"/api/v1/delights/{delight.pk}/deliver/")
    assert response.status_code == 409 and "expired" in response.json()["detail"]


def test_the_delights_list_needs_a_valid_customer_id(api):
    assert api.get("/api/v1/delights/", {"customer": "abc"}).status_code == 400
    assert api.get("/api/v1/delights/", {"customer": 99999}).status_code == 404


def test_the_schema_describes_gift_rules_and_delights(api):
    schema = api.get("/api/schema/?format=json").json()
    assert {
        "/api/v1/gift-rules/",
        "/api/v1/gift-rules/{id}/",
        "/api/v1/delights/",
        "/api/v1/delights/{id}/deliver/",
    } <= set(schema["paths"])
    deliver = schema["paths"]["/api/v1/delights/{id}/deliver/"]["post"]
    assert "409" in deliver["responses"]
    rule = schema["components"]["schemas"]["GiftRule"]["properties"]
    assert rule["window_days"]["maximum"] == 60 and "birthday" in str(schema["components"]["schemas"])


def test_a_declined_delight_is_over_and_a_costly_one_waits_for_a_manager(api, manager_api, organization):
    services.gift_rule_create(
        organization=organization, name="Suite", trigger="first_visit", gift="Suite upgrade", cost=80, approval_above=50
    )
    services.gift_rule_create(organization=organization, name="Tea", trigger="first_visit", gift="Tea")
    guest = CustomerFactory(organization=organization)
    suite, tea = api.get(f"/api/v1/customers/{guest.pk}/brief/").json()["delight"]
    assert (suite["gift"], suite["needs_approval"], tea["needs_approval"]) == ("Suite upgrade", True, False)

    assert api.post(f"/api/v1/delights/{tea['delight_id']}/decline/").json()["status"] == "declined"
    assert api.post(f"/api/v1/delights/{tea['delight_id']}/deliver/").status_code == 409

    assert api.post(f"/api/v1/delights/{suite['delight_id']}/deliver/").status_code == 409
    assert api.post(f"/api/v1/delights/{suite['delight_id']}/plan/").status_code == 409
    assert manager_api.post(f"/api/v1/delights/{suite['delight_id']}/plan/").json()["status"] == "planned"
    (planned,) = api.get(f"/api/v1/customers/{guest.pk}/brief/").json()["delight"]
    assert planned["status"] == "planned"
    assert api.post(f"/api/v1/delights/{suite['delight_id']}/deliver/").status_code == 200
    statuses = {d["gift"]: d["status"] for d in api.get("/api/v1/delights/", {"customer": guest.pk}).json()["results"]}
    assert statuses == {"Suite upgrade": "delivered"}  # the declined one is not listed


def test_front_desk_offers_a_manual_gift_once_a_day(api, organization, outsider_api):
    manual = services.gift_rule_create(
        organization=organization,
        name="Flowers",
        trigger="manual",
        gift="Flowers for {preferred_name}",
        cost=10,
        cooldown_days=0,
    )
    auto = services.gift_rule_create(organization=organization, name="Tea", trigger="first_visit", gift="Tea")
    guest = CustomerFactory(organization=organization, given_name="Niamh")
    offered = api.post("/api/v1/delights/", {"customer": guest.pk, "rule": manual.pk})
    assert offered.status_code == 201, offered.json()
    assert offered.json()["gift"] == "Flowers for Niamh" and offered.json()["status"] == "suggested"
    again = api.post("/api/v1/delights/", {"customer": guest.pk, "rule": manual.pk})
    assert again.status_code == 409 and "today" in again.json()["detail"]
    assert api.post("/api/v1/delights/", {"customer": guest.pk, "rule": auto.pk}).status_code == 400
    assert outsider_api.post("/api/v1/delights/", {"customer": guest.pk, "rule": manual.pk}).status_code == 404
    assert api.post(f"/api/v1/delights/{offered.json()['id']}/deliver/").status_code == 200


def test_managers_read_a_rules_history_with_who_and_when(manager_api, api, manager, frontdesk, organization):
    rule_id = manager_api.post(RULES, {**BIRTHDAY_DESSERT, "trigger": "first_visit"}).json()["id"]
    manager_api.patch(f"{RULES}{rule_id}/", {"cost": "5.00"})
    guest = CustomerFactory(organization=organization)
    (delight,) = api.get(f"/api/v1/customers/{guest.pk}/brief/").json()["delight"]
    api.post(f"/api/v1/delights/{delight['delight_id']}/deliver/")
    history = manager_api.get(f"{RULES}{rule_id}/history/").json()["results"]
    assert [(h["action"], h["actor"]) for h in history] == [
        ("delight.deliver", frontdesk.user.username),
        ("gift_rule.update", manager.user.username),
        ("gift_rule.create", manager.user.username),
    ]
    assert history[1]["changes"] == {"cost": "5.00"} and history[1]["old"] == {"cost": "6.00"}
    assert history[2]["changes"]["cost"] == "6.00" and history[2]["old"] == {}
    assert api.get(f"{RULES}{rule_id}/history/").status_code == 403

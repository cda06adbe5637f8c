"""GET /api/v1/metrics/ as an integrator calls it: managers only, their own properties, clear errors."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from crm import services
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

API_FIGURES = {
    "contacts",
    "greeted_by_name_rate",
    "preference_honored_rate",
    "delight_delivered_rate",
    "issues_opened",
    "first_response_median_seconds",
    "resolution_median_seconds",
    "csat_average",
    "csat_responses",
    "nps",
    "returning_guest_rate",
    "touches_sent",
    "touches_skipped",
    "touches_failed",
    "delights_delivered",
    "delight_cost",
}


def test_a_manager_reads_a_property_by_week_with_the_totals(manager_api, organization, property_):
    guest = CustomerFactory(organization=organization)
    when = datetime(2026, 3, 10, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    services.contact_log(customer=guest, kind="visit", property=property_, occurred_at=when, greeted_by_name=True)
    response = manager_api.get(
        "/api/v1/metrics/", {"property": property_.pk, "from": "2026-03-01", "to": "2026-03-31", "granularity": "week"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [(p["start"], p["end"]) for p in body["periods"]] == [
        ("2026-03-01", "2026-03-01"),
        ("2026-03-02", "2026-03-08"),
        ("2026-03-09", "2026-03-15"),
        ("2026-03-16", "2026-03-22"),
        ("2026-03-23", "2026-03-29"),
        ("2026-03-30", "2026-03-31"),
    ]
    assert set(body["totals"]) >= API_FIGURES and all(set(p) >= API_FIGURES for p in body["periods"])
    assert body["periods"][2]["contacts"] == 1 and body["periods"][2]["greeted_by_name_rate"] == 1.0
    assert body["totals"]["contacts"] == 1 and body["totals"]["delight_cost"] == "0.00"
    assert (body["previous"]["start"], body["previous"]["end"]) == ("2026-02-01", "2026-02-28")  # the month before


def test_by_default_this_month_of_the_whole_organization_by_day(manager_api):
    body = manager_api.get("/api/v1/metrics/").json()
    assert body["periods"][0]["start"].endswith("-01") and len(body["periods"]) >= 1


def test_front_desk_is_refused(api):
    assert api.get("/api/v1/metrics/").status_code == 403


def test_another_organizations_property_is_not_found(manager_api, other_property):
    assert manager_api.get("/api/v1/metrics/", {"property": other_property.pk}).status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/metrics/", "/api/v1/metrics/staff/"])
def test_another_organizations_property_over_a_given_range_is_not_found(manager_api, other_property, path):
    # A range that ends on a given day needs no property's zone: the figures' own query checks the property.
    query = {"property": other_property.pk, "from": "2026-03-01", "to": "2026-03-31", "granularity": "week"}
    assert manager_api.get(path, query).status_code == 404
    assert manager_api.get(path, {**query, "property": 2**62}).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-03-01"}, "from"),
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-02-30"}, "to"),
        ({"granularity": "year"}, "granularity"),
        ({"property": "0"}, "property"),
        ({"property": str(2**70)}, "property"),
    ],
)
def test_bad_queries_get_a_field_message(manager_api, query, field):
    response = manager_api.get("/api/v1/metrics/", query)
    assert response.status_code == 400 and field in response.json()


def test_managers_see_each_member_of_staffs_figures_front_desk_does_not(
    manager_api, api, organization, property_, frontdesk
):
    guest = CustomerFactory(organization=organization)
    services.contact_log(customer=guest, kind="visit", actor=frontdesk.user, property=property_, greeted_by_name=True)
    body = manager_api.get("/api/v1/metrics/staff/", {"property": property_.pk}).json()
    (line,) = body["staff"]
    assert line["staff"]["id"] == frontdesk.user.pk and line["staff"]["username"] == frontdesk.user.username
    assert line["contacts"] == 1 and line["greeted_by_name_rate"] == 1.0
    assert api.get("/api/v1/metrics/staff/").status_code == 403

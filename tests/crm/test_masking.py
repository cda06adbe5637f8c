"""Front desk sees many guests' emails and phones masked (lists and lookups, the API and the screens) and
pages at most 50 at a time; one guest's own profile, and managers, see them in full (issue 11)."""

from __future__ import annotations

import pytest

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest(organization):
    return CustomerFactory(
        organization=organization,
        given_name="Wei",
        family_name="Zhang",
        email="zhang.wei@example.cn",
        phone="+86 138 0013 8000",
    )


def test_front_desk_lists_and_lookups_mask_email_and_phone(api, guest):
    for query in ({}, {"q": "zhang"}, {"q": "8000"}):
        [row] = [r for r in api.get("/api/v1/customers/", query).json()["results"] if r["id"] == guest.pk]
        assert row["email"] == "z•••@example.cn", query
        assert row["phone"] == "…8000", query


def test_the_guests_own_profile_shows_them_in_full(api, guest):
    body = api.get(f"/api/v1/customers/{guest.pk}/").json()
    assert (body["email"], body["phone"]) == ("zhang.wei@example.cn", "+8613800138000")


def test_the_other_profiles_beside_a_guest_are_masked_for_front_desk(api, manager_api, guest, organization):
    twin = CustomerFactory(organization=organization, given_name="W", family_name="Z", email="zhang.wei@example.cn")
    [duplicate] = api.get(f"/api/v1/customers/{guest.pk}/").json()["likely_duplicates"]
    assert duplicate["customer"]["id"] == twin.pk and duplicate["customer"]["email"] == "z•••@example.cn"
    [duplicate] = manager_api.get(f"/api/v1/customers/{guest.pk}/").json()["likely_duplicates"]
    assert duplicate["customer"]["email"] == "zhang.wei@example.cn"


def test_managers_lists_show_them_in_full(manager_api, guest):
    [row] = manager_api.get("/api/v1/customers/", {"q": "zhang"}).json()["results"]
    assert (row["email"], row["phone"]) == ("zhang.wei@example.cn", "+8613800138000")


def test_front_desk_pages_at_most_50_managers_200(api, manager_api, organization):
    CustomerFactory.create_batch(60, organization=organization)
    desk = api.get("/api/v1/customers/", {"page_size": 200}).json()
    assert desk["count"] == 60 and len(desk["results"]) == 50 and desk["next"]
    assert len(manager_api.get("/api/v1/customers/", {"page_size": 200}).json()["results"]) == 60

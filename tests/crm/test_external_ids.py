"""A guest's ids in other systems (issue 13): written with the profile, unique per organization and system,
found by `?external_id=SYSTEM:ID`, moved by a merge, gone with an erase."""

from __future__ import annotations

import pytest

from crm import services
from crm.models import ChangeRecord, ExternalId
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

OPERA = [{"system": "opera", "id": "A123"}]


def test_a_guest_is_created_with_ids_of_other_systems_and_found_by_one(api):
    created = api.post(
        "/api/v1/customers/",
        {"given_name": "Ana", "external_ids": [{"system": " Opera ", "id": " A123 "}, {"system": "mews", "id": "9"}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert sorted(created.json()["external_ids"], key=lambda e: e["system"]) == [
        {"system": "mews", "id": "9"},
        {"system": "opera", "id": "A123"},
    ]
    found = api.get("/api/v1/customers/", {"external_id": "opera:A123"}).json()
    assert [row["id"] for row in found["results"]] == [created.json()["id"]]
    assert api.get("/api/v1/customers/", {"external_id": "opera:B999"}).json()["results"] == []


def test_an_id_naming_another_guest_is_refused_naming_them_and_nothing_is_written(api, organization):
    first = services.customer_create(organization=organization, given_name="Ana", external_ids=OPERA)
    answer = api.post("/api/v1/customers/", {"given_name": "Bo", "external_ids": OPERA}, format="json")
    assert answer.status_code == 400
    assert answer.json()["external_ids"] == [f"opera:A123 already names another guest (#{first.pk})."]
    assert not organization.customers.filter(given_name="Bo").exists()  # not half-written


def test_patch_replaces_the_list_and_the_change_is_recorded(api, organization):
    guest = services.customer_create(organization=organization, given_name="Ana", external_ids=OPERA)
    answer = api.patch(
        f"/api/v1/customers/{guest.pk}/", {"external_ids": [{"system": "mews", "id": "77"}]}, format="json"
    )
    assert answer.status_code == 200
    assert answer.json()["external_ids"] == [{"system": "mews", "id": "77"}]
    assert list(ExternalId.objects.filter(customer=guest).values_list("system", "value")) == [("mews", "77")]
    change = ChangeRecord.objects.filter(target_id=guest.pk, action="customer.update").latest("pk")
    assert change.changes["external_ids"] == {"old": ["opera:A123"], "new": ["mews:77"]}


@pytest.mark.parametrize(
    "bad",
    [
        [{"system": "op:era", "id": "1"}],
        [{"system": "", "id": "1"}],
        [{"system": "opera", "id": ""}],
        [{"system": "opera", "id": "A\n1"}],
        [{"system": "opera", "id": "x" * 101}],
        [{"system": "opera"}],
        "opera:A123",
        [{"system": "opera", "id": str(n)} for n in range(21)],
    ],
)
def test_bad_external_ids_are_a_400_on_the_field(api, bad):
    answer = api.post("/api/v1/customers/", {"given_name": "Ana", "external_ids": bad}, format="json")
    assert answer.status_code == 400 and "external_ids" in answer.json(), answer.json()


def test_a_malformed_filter_is_a_400_and_another_organizations_id_finds_nothing(api, outsider_api, organization):
    services.customer_create(organization=organization, given_name="Ana", external_ids=OPERA)
    assert api.get("/api/v1/customers/", {"external_id": "A123"}).status_code == 400
    assert outsider_api.get("/api/v1/customers/", {"external_id": "opera:A123"}).json()["results"] == []
    # The same id in another organization is another guest's, not a conflict.
    other = outsider_api.post("/api/v1/customers/", {"given_name": "Zoe", "external_ids": OPERA}, format="json")
    assert other.status_code == 201


def test_a_merge_moves_the_ids_and_an_erase_removes_them(organization, manager):
    kept = CustomerFactory(organization=organization, given_name="Ana")
    duplicate = services.customer_create(organization=organization, given_name="Ana", external_ids=OPERA)
    services.customer_merge(kept=kept, duplicate=duplicate)
    assert list(kept.external_ids.values_list("value", flat=True)) == ["A123"]
    services.customer_erase(customer=kept, actor=manager.user)
    assert not ExternalId.objects.exists()

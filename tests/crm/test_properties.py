"""Properties carry a country and a time zone: phones typed without +country are read in the country where
they are typed; create_staff and the admin set both, refusing unknown ones (issue 12)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from crm.models import Customer, Property
from tests.crm.test_admin import _form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def shanghai(property_):
    property_.country, property_.timezone = "CN", "Asia/Shanghai"
    property_.save()
    return property_


def test_a_phone_without_country_code_is_read_in_the_desks_country(api, shanghai):
    # Given a front desk at a property in China, when they type a mobile number without +86,
    response = api.post("/api/v1/customers/", {"given_name": "Wei", "phone": "138 0013 9999"}, format="json")
    # then it is stored as a Chinese number, not as +1 380…
    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "+8613800139999"
    # and so is a number changed later.
    patched = api.patch(f"/api/v1/customers/{response.json()['id']}/", {"phone": "139 1234 5678"}, format="json")
    assert patched.json()["phone"] == "+8613912345678"


def test_a_property_without_country_falls_back_to_the_default_region(api, property_, settings):
    settings.PHONE_DEFAULT_REGION = "US"
    response = api.post("/api/v1/customers/", {"given_name": "Ann", "phone": "(415) 555-0100"}, format="json")
    assert response.json()["phone"] == "+14155550100"


def test_a_number_with_its_country_code_is_kept_whatever_the_property(api, shanghai):
    response = api.post("/api/v1/customers/", {"given_name": "Ann", "phone": "+1 415 555 0100"}, format="json")
    assert response.json()["phone"] == "+14155550100"


def test_the_admin_reads_a_phone_in_the_admin_managers_country(client, admin_manager, shanghai):
    page = client.get("/admin/crm/customer/add/")
    data = {**_form_data(page), "organization": admin_manager.organization.pk, "given_name": "Li", "family_name": "Na"}
    data |= {"phone": "138 0013 9999", "language": "zh-hans", "tags": "", "preferences-TOTAL_FORMS": "0"}
    response = client.post("/admin/crm/customer/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Customer.objects.get(family_name="Na").phone == "+8613800139999"


def test_a_manager_sets_country_and_time_zone_in_the_admin(client, admin_manager, property_):
    page = client.get(f"/admin/crm/property/{property_.pk}/change/")
    data = {**_form_data(page), "country": "TW", "timezone": "Asia/Taipei"}
    response = client.post(f"/admin/crm/property/{property_.pk}/change/", data)
    assert response.status_code == 302
    property_.refresh_from_db()
    assert (property_.country, property_.timezone) == ("TW", "Asia/Taipei")
    wrong = client.post(f"/admin/crm/property/{property_.pk}/change/", {**data, "timezone": "Mars/Olympus"})
    assert wrong.status_code == 200 and "timezone" in wrong.context["adminform"].form.errors


def _create_staff(*extra):
    call_command(
        "create_staff", "li", "--password", "front-desk-42", "--organization", "Harbour", "--role", "frontdesk", *extra
    )


def test_create_staff_sets_country_and_time_zone_when_it_creates_or_updates_the_property():
    _create_staff("--property", "Shanghai", "--country", "cn", "--time-zone", "Asia/Shanghai")
    place = Property.objects.get(name="Shanghai")
    assert (place.country, place.timezone) == ("CN", "Asia/Shanghai")
    _create_staff("--property", "Shanghai", "--time-zone", "Asia/Hong_Kong")
    place.refresh_from_db()
    assert (place.country, place.timezone) == ("CN", "Asia/Hong_Kong")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--time-zone", "Asia/Shanghia", "--time-zone: “Asia/Shanghia” is not a time zone"),
        ("--country", "XX", "--country"),
    ],
)
def test_create_staff_refuses_an_unknown_zone_or_country_and_writes_nothing(option, value, message):
    with pytest.raises(CommandError, match=message):
        _create_staff("--property", "Shanghai", option, value)
    assert not Property.objects.exists()

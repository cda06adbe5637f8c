"""Stays (issue 13): a PMS pushes reservations idempotently, naming the guest by Rapport id or by its own id
(a new guest is created); checking in logs the arrival once, whoever says it first; bad pushes are a 400 and
leave nothing half-written; another organization's stays are a 404."""

from __future__ import annotations

from datetime import date

import pytest

from crm import services
from crm.models import Contact, Customer, Stay
from crm.services.stays import stay_check_in

pytestmark = pytest.mark.django_db

URL = "/api/v1/stays/by-external-id/opera/R-1001/"
NEW_GUEST = {"given_name": "Mei", "family_name": "Chen", "external_ids": [{"system": "opera", "id": "P-77"}]}


def push(api, url=URL, **fields):
    body = {"arrival": "2026-12-02", "departure": "2026-12-04", **fields}
    return api.put(url, body, format="json")


def test_a_push_creates_the_stay_and_its_new_guest_then_the_same_push_changes_nothing(api, property_):
    first = push(api, guest=NEW_GUEST, room="1208", party_size=2)
    assert first.status_code == 201, first.json()
    stay = first.json()
    assert (stay["property"], stay["nights"], stay["room"], stay["status"]) == (property_.pk, 2, "1208", "expected")
    assert (stay["system"], stay["external_id"]) == ("opera", "R-1001")
    guest = Customer.objects.get(pk=stay["customer"])
    assert guest.display_name == "Mei Chen"

    again = push(api, guest=NEW_GUEST, room="1208", party_size=2)
    assert again.status_code == 200 and again.json()["id"] == stay["id"]
    assert Stay.objects.count() == 1 and Customer.objects.filter(given_name="Mei").count() == 1


def test_a_later_push_updates_the_stay_and_finds_the_guest_by_their_id(api, organization):
    guest = services.customer_create(
        organization=organization, given_name="Mei", external_ids=NEW_GUEST["external_ids"]
    )
    push(api, guest=NEW_GUEST)
    moved = push(api, guest=NEW_GUEST, departure="2026-12-06", note="Late arrival")
    assert moved.status_code == 200
    assert (moved.json()["customer"], moved.json()["nights"], moved.json()["note"]) == (guest.pk, 4, "Late arrival")
    listed = api.get("/api/v1/stays/", {"customer": guest.pk}).json()
    assert [row["id"] for row in listed["results"]] == [moved.json()["id"]]


def test_check_in_logs_the_arrival_once_whoever_says_it_first(api, organization, property_):
    guest = services.customer_create(organization=organization, given_name="Mei")
    stay = push(api, customer=guest.pk, arrival=str(date.today()), departure=str(date.today())).json()
    checked = api.post(f"/api/v1/stays/{stay['id']}/check-in/")
    assert checked.status_code == 200 and checked.json()["status"] == "in_house"
    assert api.post(f"/api/v1/stays/{stay['id']}/check-in/").status_code == 200
    push(api, customer=guest.pk, arrival=str(date.today()), departure=str(date.today()), status="in_house")
    guest.refresh_from_db()
    assert guest.visit_count == 1 and Contact.objects.filter(customer=guest, kind="arrival").count() == 1


def test_an_arrival_the_desk_logged_first_is_the_stays_check_in(api, organization, property_):
    guest = services.customer_create(organization=organization, given_name="Mei")
    logged = services.contact_log(customer=guest, kind="arrival", property=property_)
    stay = push(api, customer=guest.pk, arrival=str(date.today()), departure=str(date.today()), status="in_house")
    assert stay.json()["status"] == "in_house"
    guest.refresh_from_db()
    assert guest.visit_count == 1 and Stay.objects.get().arrival_contact_id == logged.pk


def test_a_cancelled_stay_cannot_be_checked_in(api, organization):
    guest = services.customer_create(organization=organization, given_name="Mei")
    stay = push(api, customer=guest.pk, status="cancelled").json()
    answer = api.post(f"/api/v1/stays/{stay['id']}/check-in/")
    assert answer.status_code == 409 and "cancelled" in answer.json()["detail"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"arrival": "2026-12-04", "departure": "2026-12-02"}, "departure"),
        ({"arrival": "2026-02-30"}, "arrival"),
        ({"party_size": 0}, "party_size"),
        ({"party_size": 10**12}, "party_size"),
        ({"status": "asleep"}, "status"),
        ({"room": "12\r\n08"}, "room"),
        ({"customer": 10**15}, "customer"),
    ],
)
def test_a_bad_push_is_a_400_on_its_field_and_writes_nothing(api, organization, fields, field):
    answer = push(api, guest=NEW_GUEST, **fields)
    assert answer.status_code == 400 and field in answer.json(), answer.json()
    assert not Stay.objects.exists() and not Customer.objects.filter(given_name="Mei").exists()


def test_a_push_must_name_the_guest_once(api, organization):
    guest = services.customer_create(organization=organization, given_name="Mei")
    assert push(api).status_code == 400
    assert push(api, customer=guest.pk, guest=NEW_GUEST).status_code == 400
    assert push(api, guest={"given_name": "Mei"}).json()["guest"]["external_ids"]
    assert push(api, url="/api/v1/stays/by-external-id/Op:era/1/", customer=guest.pk).status_code in (400, 404)


def test_a_refused_stay_leaves_no_new_guest_behind(api, organization, other_property):
    answer = push(api, guest=NEW_GUEST, property=other_property.pk)
    assert answer.status_code == 400 and "property" in answer.json()
    assert not Customer.objects.filter(given_name="Mei").exists()


def test_another_organizations_stays_and_properties_are_invisible(api, outsider_api, organization, property_):
    guest = services.customer_create(organization=organization, given_name="Mei")
    stay = push(api, customer=guest.pk).json()
    assert outsider_api.get(f"/api/v1/stays/{stay['id']}/").status_code == 404
    assert outsider_api.post(f"/api/v1/stays/{stay['id']}/check-in/").status_code == 404
    assert outsider_api.get("/api/v1/stays/").json()["results"] == []
    assert outsider_api.get("/api/v1/stays/", {"customer": guest.pk}).status_code == 404
    # Their push naming our guest is refused like an unknown id.
    assert push(outsider_api, customer=guest.pk).status_code == 400
    names = [p["name"] for p in outsider_api.get("/api/v1/properties/").json()]
    assert property_.name not in names


def test_properties_list_the_organizations_places_with_country_and_time_zone(api, property_):
    property_.country, property_.timezone = "CN", "Asia/Shanghai"
    property_.save()
    assert api.get("/api/v1/properties/").json() == [
        {"id": property_.pk, "name": property_.name, "country": "CN", "time_zone": "Asia/Shanghai"}
    ]


def test_stay_check_in_is_a_service_callers_share(organization, property_):
    guest = services.customer_create(organization=organization, given_name="Mei")
    stay = Stay.objects.create(
        organization=organization, property=property_, customer=guest, arrival=date.today(), departure=date.today()
    )
    stay_check_in(stay=stay)
    stay_check_in(stay=stay)
    guest.refresh_from_db()
    assert guest.visit_count == 1

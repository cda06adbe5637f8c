"""A walk-in added from the lookup (issue 12): pre-filled from what was typed, likely duplicates shown while the
form is filled, saved through customer_create, then the new guest's card."""

from __future__ import annotations

import re

import pytest

from crm import services
from crm.lookup.entered import fields_from_lookup
from crm.models import AccessAction, AccessRecord, ChangeAction, ChangeRecord, Customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("typed", "fields"),
    [
        ("陳靜", {"native_name": "陳靜", "family_name": "陳", "given_name": "靜", "language": "zh-hant"}),
        ("陈静", {"native_name": "陈静", "family_name": "陈", "given_name": "静", "language": "zh-hans"}),
        ("欧阳娜娜", {"native_name": "欧阳娜娜", "family_name": "欧阳", "given_name": "娜娜"}),
        ("王芳", {"native_name": "王芳", "family_name": "王", "given_name": "芳"}),
        # Written with a space: split there, kept as written (a Japanese family name no Chinese surname list
        # knows; kanji alone do not tell Japanese from Chinese: 樹 is written so only in Traditional, staff change
        # the guess)
        ("田中 直樹", {"native_name": "田中 直樹", "family_name": "田中", "given_name": "直樹", "language": "zh-hant"}),
        ("陳 靜", {"native_name": "陳 靜", "family_name": "陳", "given_name": "靜", "language": "zh-hant"}),
        ("Siobhán O'Connor", {"given_name": "Siobhán", "family_name": "O'Connor"}),
        ("O'Connor, Siobhán", {"given_name": "Siobhán", "family_name": "O'Connor"}),
        ("Alvarez", {"family_name": "Alvarez"}),
        ("jose.alvarez@example.es", {"email": "jose.alvarez@example.es"}),
        ("138 0013 9999", {"phone": "138 0013 9999"}),
        # A courtesy title is how the desk spoke of the guest, not a part of the name
        ("Mr Okonkwo", {"family_name": "Okonkwo"}),
        ("Mrs. Mary Lindqvist", {"given_name": "Mary", "family_name": "Lindqvist"}),
        ("欧阳先生", {"native_name": "欧阳", "name_order": "family_first"}),
    ],
)
def test_what_was_typed_fills_the_right_fields_as_typed(typed, fields):
    guessed = fields_from_lookup(typed)
    assert {k: guessed.get(k) for k in fields} == fields
    assert "language" in fields or guessed.get("language") in (None, "zh-hans")


def search(desk, q: str) -> str:
    return desk.post("/", {"q": q}, HTTP_HX_REQUEST="true").content.decode()


def open_form(desk, q: str) -> str:
    response = desk.post("/customers/new/", {"q": q})
    assert response.status_code == 200
    return response.content.decode()


def token(page: str) -> str:
    return re.search(r'name="form_token" value="([0-9a-f]+)"', page).group(1)


def value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    return match.group(1) if match else ""


def test_nobody_found_offers_a_new_guest_prefilled_with_the_han_name_as_typed(desk):
    results = search(desk, "陳靜")
    assert "No guest matches." in results and 'formaction="/customers/new/"' in results and "+ New guest" in results
    assert "陳靜" not in results  # the button posts the search box; the results do not echo what was typed
    page = open_form(desk, "陳靜")
    assert value(page, "native_name") == "陳靜" and value(page, "family_name") == "陳"
    assert value(page, "given_name") == "靜"
    assert re.search(r'<option value="zh-hant" selected>繁體中文</option>', page)


def test_a_new_guest_is_saved_and_lands_on_their_card(desk, frontdesk):
    page = open_form(desk, "Siobhán O'Connor")
    response = desk.post(
        "/customers/new/",
        {
            "form_token": token(page),
            "given_name": "Siobhán",
            "family_name": "O'Connor",
            "name_order": "given_first",
            "language": "en",
            "email": "siobhan@example.ie",
            "phone": "+353 85 123 4567",
            "birthday": "03-14",
        },
    )
    customer = Customer.objects.get(family_name="O'Connor")
    assert response.status_code == 302 and response["Location"] == f"/customers/{customer.pk}/"
    assert customer.phone == "+353851234567" and str(customer.birthday) == "03-14"
    assert customer.organization == frontdesk.organization
    assert ChangeRecord.objects.filter(action=ChangeAction.CUSTOMER_CREATE, actor=frontdesk.user).exists()
    card = desk.get(response["Location"])
    assert "Siobhán O&#x27;Connor was added." in card.content.decode()
    assert AccessRecord.objects.filter(customer_id=customer.pk, action=AccessAction.CARD).exists()


def test_a_double_click_adds_one_guest(desk):
    page = open_form(desk, "Alvarez")
    data = {"form_token": token(page), "family_name": "Alvarez", "language": "en"}
    first, second = desk.post("/customers/new/", data), desk.post("/customers/new/", data)
    assert first["Location"] == second["Location"] and Customer.objects.filter(family_name="Alvarez").count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({}, "given_name", "At least one name is required"),
        ({"family_name": "Byrne", "phone": "12"}, "phone", "Enter a valid phone number"),
        ({"family_name": "Byrne", "birthday": "02-30"}, "birthday", "Enter a real date"),
        ({"family_name": "Byrne", "email": "not-an-email"}, "email", "Enter a valid email address"),
    ],
)
def test_a_refused_guest_shows_the_error_on_the_field_and_writes_nothing(desk, fields, field, message):
    page = open_form(desk, "")
    response = desk.post("/customers/new/", {"form_token": token(page), "language": "en", **fields})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'class="field has-error"' in html
    assert not Customer.objects.exists()


def test_errors_speak_the_staff_language(desk, frontdesk):
    frontdesk.language = "zh-hant"
    frontdesk.save()
    page = open_form(desk, "")
    response = desk.post("/customers/new/", {"form_token": token(page), "language": "en"})
    html = response.content.decode()
    assert response.status_code == 400 and "新客人" in html and "至少需要一個姓名" in html
    response = desk.post("/customers/new/", {"form_token": token(page), "family_name": "Byrne", "birthday": "13-01"})
    assert "請輸入有效日期" in response.content.decode()


def test_likely_duplicates_are_shown_as_the_form_is_filled(desk, organization):
    known = services.customer_create(
        organization=organization, given_name="Wei", family_name="Zhang", phone="+8613800138000"
    )
    # Typed with another spelling of the name, but the same phone (formatted otherwise)
    answer = desk.post(
        "/customers/new/duplicates/",
        {"given_name": "Way", "family_name": "Chang", "phone": "+86 138 0013 8000", "language": "en"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert f"/customers/{known.pk}/" in answer and "same phone" in answer
    assert "…8000" in answer and "+8613800138000" not in answer  # masked: one of many guests
    # and the same whole name is a likely duplicate too
    answer = desk.post(
        "/customers/new/duplicates/", {"given_name": "Wei", "family_name": "Zhang"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "same name" in answer
    assert desk.post("/customers/new/duplicates/", {"family_name": "Nobody"}).content.decode().strip() == ""


def test_another_organizations_guests_are_never_offered_as_duplicates(desk, outsider):
    services.customer_create(organization=outsider.organization, given_name="Wei", family_name="Zhang")
    answer = desk.post("/customers/new/duplicates/", {"given_name": "Wei", "family_name": "Zhang"}).content.decode()
    assert "Zhang" not in answer


def test_the_lookup_offers_a_new_guest_beside_namesakes(desk, customer):
    assert "Not them? New guest" in search(desk, "Siobhan")


def test_a_new_guests_language_is_one_rapport_writes(desk):
    page = open_form(desk, "")
    response = desk.post("/customers/new/", {"form_token": token(page), "family_name": "Byrne", "language": "tlh"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Customer.objects.exists()


def test_a_walk_ins_phone_without_country_code_is_read_in_the_desks_country(desk, frontdesk, settings):
    # Given a desk at a Shanghai property, on a server whose default region is the US,
    settings.PHONE_DEFAULT_REGION = "US"
    frontdesk.property.country, frontdesk.property.timezone = "CN", "Asia/Shanghai"
    frontdesk.property.save()
    page = open_form(desk, "王芳")
    # when the walk-in's mobile is typed as the guest says it,
    fields = {"native_name": "王芳", "language": "zh-hans", "phone": "138 0013 9999"}
    desk.post("/customers/new/", {"form_token": token(page), **fields})
    customer = Customer.objects.get(native_name="王芳")
    # then it is a Chinese mobile, not +1 380…
    assert customer.phone == "+8613800139999"

"""The guest card: the brief on screen, and the quick forms of a contact."""

from __future__ import annotations

import re

import pytest

from crm import services
from crm.models import Contact, Issue, Preference

pytestmark = pytest.mark.django_db


@pytest.fixture
def guest(customer):
    services.preference_record(customer=customer, category="allergy", text="Peanuts", polarity="avoid")
    services.preference_record(customer=customer, category="drink", text="Oat-milk flat white")
    return customer


def token(page: str, form_id: str) -> str:
    form = page[page.index(f'id="{form_id}"') :]
    return re.search(r'name="form_token" value="([0-9a-f]+)"', form).group(1)


def test_the_card_shows_safety_first_then_recall(desk, guest):
    page = desk.get(f"/customers/{guest.pk}/").content.decode()
    assert page.index("safety-box") < page.index("Oat-milk flat white")
    assert "Peanuts" in page and "Welcome, Ms" not in page  # no salutation was recorded
    assert "Welcome, Siobhán!" in page


def test_one_click_confirm(desk, guest):
    preference = guest.preferences.get(category="drink")
    response = desk.post(f"/preferences/{preference.pk}/confirm/", follow=True)
    assert "Confirmed" in response.content.decode()
    preference.refresh_from_db()
    assert preference.times_confirmed == 1


def preference_form(desk, guest, **fields) -> dict:
    """What the card's preference form posts: a liking the guest told, with the token of the form as shown."""
    page = desk.get(f"/customers/{guest.pk}/").content.decode()
    return {"polarity": "likes", "source": "customer", **fields, "form_token": token(page, "preference-form")}


def test_add_a_preference_and_a_double_submit_writes_once(desk, guest):
    data = preference_form(desk, guest, category="room", text="High floor")
    assert desk.post(f"/customers/{guest.pk}/preferences/", data).status_code == 302
    assert desk.post(f"/customers/{guest.pk}/preferences/", data).status_code == 302
    assert Preference.objects.filter(customer=guest, text="High floor").count() == 1


def test_a_bad_preference_shows_the_error_and_keeps_what_was_typed(desk, guest):
    data = preference_form(desk, guest, category="mood", text="Cheerful mornings")
    response = desk.post(f"/customers/{guest.pk}/preferences/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "errorlist" in html and "Cheerful mornings" in html
    assert not Preference.objects.filter(text="Cheerful mornings").exists()


def test_errors_speak_the_staff_language(desk, guest, frontdesk):
    frontdesk.language = "zh-hans"
    frontdesk.save()
    page = desk.get(f"/customers/{guest.pk}/").content.decode()
    response = desk.post(
        f"/customers/{guest.pk}/issues/", {"summary": "", "severity": "medium", "form_token": token(page, "issue-form")}
    )
    assert response.status_code == 400 and "该字段是必填项" in response.content.decode()


def test_open_an_issue(desk, guest):
    page = desk.get(f"/customers/{guest.pk}/").content.decode()
    desk.post(
        f"/customers/{guest.pk}/issues/",
        {"summary": "Shower too cold", "severity": "high", "form_token": token(page, "issue-form")},
    )
    issue = Issue.objects.get(customer=guest)
    assert (issue.summary, issue.severity, issue.status) == ("Shower too cold", "high", "open")
    assert "Shower too cold" in desk.get(f"/customers/{guest.pk}/").content.decode()  # now in Repair


def test_log_a_contact_with_what_staff_did_and_the_acknowledged_allergy(desk, guest, frontdesk):
    page = desk.get(f"/customers/{guest.pk}/").content.decode()
    allergy = guest.preferences.get(category="allergy")
    desk.post(
        f"/customers/{guest.pk}/contacts/",
        {
            "kind": "arrival",
            "note": "",
            "greeted_by_name": "on",
            "preference_honored": "on",
            "acknowledged": [str(allergy.pk)],
            "form_token": token(page, "contact-form"),
        },
    )
    contact = Contact.objects.get(customer=guest)
    assert contact.greeted_by_name and contact.preference_honored and not contact.delight_delivered
    assert contact.staff == frontdesk.user
    acknowledged = contact.brief_shown["safety_acknowledged"]
    assert [(a["preference_id"], a["by"]) for a in acknowledged] == [(allergy.pk, frontdesk.user.username)]
    guest.refresh_from_db()
    assert guest.visit_count == 1


def test_another_organizations_card_and_forms_are_404(client, outsider, guest):
    client.force_login(outsider.user)
    assert client.get(f"/customers/{guest.pk}/").status_code == 404
    assert client.post(f"/customers/{guest.pk}/preferences/", {"text": "x"}).status_code == 404
    preference = guest.preferences.first()
    assert client.post(f"/preferences/{preference.pk}/confirm/").status_code == 404


def test_an_allergy_liked_on_the_card_is_refused_on_screen(desk, guest):
    data = preference_form(desk, guest, category="allergy", text="Penicillin", polarity="likes")
    response = desk.post(f"/customers/{guest.pk}/preferences/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "An allergy cannot be a liking" in html and "Penicillin" in html  # what was typed is kept
    assert not Preference.objects.filter(text="Penicillin").exists()


def test_an_allergy_liked_is_refused_in_the_staff_language(desk, guest, frontdesk):
    frontdesk.language = "zh-hant"
    frontdesk.save()
    data = preference_form(desk, guest, category="allergy", text="Penicillin", polarity="likes")
    response = desk.post(f"/customers/{guest.pk}/preferences/", data)
    assert response.status_code == 400 and "過敏不能標為「喜歡」" in response.content.decode()

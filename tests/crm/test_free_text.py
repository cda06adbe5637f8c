"""Free text has a ceiling: a contact's note, an issue's detail and resolution hold a paragraph (2,000
characters), not 100,000 — through the API (400 on the field), the services (screens, admin) too."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from crm import services
from crm.models import Contact, Issue

pytestmark = pytest.mark.django_db

LONG = "x" * 100_000


def test_a_contact_note_of_100000_characters_is_a_400_on_the_note(api, customer):
    response = api.post(f"/api/v1/customers/{customer.pk}/contacts/", {"kind": "visit", "note": LONG})
    assert response.status_code == 400
    assert "2000" in response.json()["note"][0]
    assert not Contact.objects.exists()


def test_a_note_of_2000_characters_is_kept(api, customer):
    response = api.post(f"/api/v1/customers/{customer.pk}/contacts/", {"kind": "visit", "note": "y" * 2000})
    assert response.status_code == 201
    assert len(Contact.objects.get().note) == 2000


@pytest.mark.parametrize("field", ["detail", "resolution"])
def test_an_issue_text_of_100000_characters_is_a_400_on_its_field(api, customer, field):
    response = api.post(f"/api/v1/customers/{customer.pk}/issues/", {"summary": "Cold room", field: LONG})
    assert response.status_code == 400
    assert field in response.json()
    assert not Issue.objects.exists()


def test_the_services_refuse_it_too(customer):
    # the screens and the admin write through the services, which check the model
    with pytest.raises(ValidationError) as refused:
        services.contact_log(customer=customer, kind="visit", note=LONG)
    assert "note" in refused.value.message_dict
    issue = services.issue_open(customer=customer, summary="Cold room")
    with pytest.raises(ValidationError) as refused:
        services.issue_update(issue=issue, detail=LONG)
    assert "detail" in refused.value.message_dict

"""The admin as a manager uses it (issue 11): filters show only their organization's properties, and edits of
customers, preferences and issues go through the services (change records, search terms, touches)."""

from __future__ import annotations

import pytest
from django.contrib.admin.models import LogEntry

from crm import services
from crm.models import ChangeAction, ChangeRecord, Customer, Issue, Preference
from personalization.models import Tip, Touch

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(admin_manager):
    return admin_manager


def _form_data(page) -> dict:
    """The change form as the browser would post it back unchanged (main form and inlines)."""
    data = {}

    def add(form, prefix=""):
        for name in form.fields:
            value = form[name].value()
            key = f"{prefix}{name}"
            if value is None or value is False:
                continue
            data[key] = "on" if value is True else value

    add(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for index, form in enumerate(formset.forms):
            add(form, f"{formset.prefix}-{index}-")
    return data


def _save_in_admin(client, path: str, changes: dict):
    """Open an admin change form and post it back with changes, as a manager's browser would."""
    return client.post(path, {**_form_data(client.get(path)), **changes})


def test_by_property_filters_list_only_the_managers_properties(client, boss, organization, other_property):
    Tip.objects.create(organization=organization, property=boss.property, text="Rooftop bar")
    Tip.objects.create(organization=other_property.organization, property=other_property, text="Their tip")
    page = client.get("/admin/personalization/tip/").content.decode()
    assert "Harbour Hotel" in page
    assert "Elsewhere Inn" not in page  # another organization's property name, not even in the filter


def test_a_superuser_filters_by_every_property(client, django_user_model, property_, other_property):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "s3cret-pass!")
    client.force_login(root)
    Tip.objects.create(organization=property_.organization, property=property_, text="Rooftop bar")
    page = client.get("/admin/personalization/tip/").content.decode()
    assert "Harbour Hotel" in page and "Elsewhere Inn" in page


def test_renaming_a_customer_in_the_admin_is_recorded_and_findable(client, boss, customer, api):
    response = _save_in_admin(client, f"/admin/crm/customer/{customer.pk}/change/", {"family_name": "Fitzgerald"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = ChangeRecord.objects.get(action=ChangeAction.CUSTOMER_UPDATE, target_id=customer.pk)
    assert record.actor == boss.user and record.changes["family_name"]["new"] == "Fitzgerald"
    found = api.get("/api/v1/customers/", {"q": "fitzgerald"}).json()["results"]
    assert [row["id"] for row in found] == [customer.pk]


def test_adding_a_customer_with_a_preference_in_the_admin_goes_through_the_services(client, boss, api):
    page = client.get("/admin/crm/customer/add/")
    data = {
        **_form_data(page),
        "organization": boss.organization.pk,  # the only one offered
        "given_name": "Aoife",
        "family_name": "Byrne",
        "language": "en",
        "phone": "+353 85 123 4567",
        "tags": "",
        "preferences-TOTAL_FORMS": "1",
        "preferences-0-category": "allergy",
        "preferences-0-text": "Shellfish",
        "preferences-0-polarity": "avoid",
        "preferences-0-source": "staff",
        "preferences-0-safety_critical": "on",
    }
    response = client.post("/admin/crm/customer/add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    customer = Customer.objects.get(family_name="Byrne")
    assert customer.phone == "+353851234567" and customer.organization == boss.organization
    actions = set(ChangeRecord.objects.filter(actor=boss.user).values_list("action", flat=True))
    assert {ChangeAction.CUSTOMER_CREATE, ChangeAction.PREFERENCE_RECORD} <= actions
    assert api.get("/api/v1/customers/", {"q": "aoife"}).json()["count"] == 1
    assert Preference.objects.get(customer=customer).text == "Shellfish"


def test_a_phone_the_service_would_refuse_is_a_field_error_in_the_admin(client, boss, customer):
    response = _save_in_admin(client, f"/admin/crm/customer/{customer.pk}/change/", {"phone": "12"})
    assert response.status_code == 200
    assert "phone" in response.context["adminform"].form.errors


def test_deleting_a_customer_in_the_admin_erases_them(client, boss, customer):
    services.preference_record(customer=customer, category="allergy", text="Peanuts")
    response = client.post(f"/admin/crm/customer/{customer.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert ChangeRecord.objects.get(action=ChangeAction.CUSTOMER_ERASE).actor == boss.user
    assert not LogEntry.objects.filter(object_repr__icontains="Connor").exists()  # the admin's log keeps no name


def test_editing_a_preference_in_the_admin_is_recorded(client, boss, customer):
    preference = services.preference_record(customer=customer, category="drink", text="Flat white")
    response = _save_in_admin(client, f"/admin/crm/preference/{preference.pk}/change/", {"text": "Oat-milk flat white"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    record = ChangeRecord.objects.get(action=ChangeAction.PREFERENCE_UPDATE)
    assert record.actor == boss.user and record.changes["text"]["old"] == "Flat white"


def test_resolving_an_issue_in_the_admin_schedules_the_follow_up(client, boss, customer):
    issue = services.issue_open(customer=customer, summary="Cold shower")
    changes = {"status": "resolved", "resolution": "Boiler fixed"}
    assert _save_in_admin(client, f"/admin/crm/issue/{issue.pk}/change/", changes).status_code == 302
    issue.refresh_from_db()
    assert issue.status == "resolved" and issue.resolved_at is not None
    assert ChangeRecord.objects.filter(action=ChangeAction.ISSUE_UPDATE, actor=boss.user).exists()
    assert Touch.objects.filter(issue=issue).exists()  # the follow-up the services schedule


def test_an_issue_resolved_without_a_resolution_is_a_field_error_in_the_admin(client, boss, customer):
    issue = services.issue_open(customer=customer, summary="Cold shower")
    response = _save_in_admin(client, f"/admin/crm/issue/{issue.pk}/change/", {"status": "resolved"})
    assert response.status_code == 200
    assert "resolution" in response.context["adminform"].form.errors
    assert Issue.objects.get(pk=issue.pk).status == "open"


def test_contacts_are_read_only_in_the_admin(client, boss, customer):
    contact = services.contact_log(customer=customer, kind="arrival")
    change = f"/admin/crm/contact/{contact.pk}/change/"
    assert client.get(change).status_code == 200
    assert client.post(change, {"kind": "call", "customer": customer.pk}).status_code == 403
    assert client.get("/admin/crm/contact/add/").status_code == 403
    customer.refresh_from_db()
    assert customer.visit_count == 1  # the one arrival, still counted once


def test_removing_a_preference_in_the_customers_inline_is_recorded(client, boss, customer):
    preference = services.preference_record(customer=customer, category="allergy", text="Peanuts")
    response = _save_in_admin(client, f"/admin/crm/customer/{customer.pk}/change/", {"preferences-0-DELETE": "on"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not Preference.objects.filter(pk=preference.pk).exists()
    assert ChangeRecord.objects.get(action=ChangeAction.PREFERENCE_DELETE).actor == boss.user


def test_tags_and_language_have_proper_widgets_in_the_admin(client, boss, customer):
    # Given a guest's page in the admin, where tags were raw JSON and the language free text,
    page = client.get(f"/admin/crm/customer/{customer.pk}/change/")
    html = page.content.decode()
    assert '<select name="language"' in html and "简体中文" in html and "繁體中文" in html
    # when a manager types two tags as words and picks Traditional Chinese,
    data = {**_form_data(page), "tags": "VIP, business", "language": "zh-hant"}
    response = client.post(f"/admin/crm/customer/{customer.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    # then the guest has those two tags and reads Traditional Chinese
    customer.refresh_from_db()
    assert customer.tags == ["VIP", "business"] and customer.language == "zh-hant"

"""Preferences, issues and contacts through the HTTP API (API.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.models import Contact, Issue, Preference
from tests.factories import IssueFactory, PreferenceFactory

pytestmark = pytest.mark.django_db


def prefs_url(customer):
    return f"/api/v1/customers/{customer.pk}/preferences/"


def issues_url(customer):
    return f"/api/v1/customers/{customer.pk}/issues/"


def contacts_url(customer):
    return f"/api/v1/customers/{customer.pk}/contacts/"


# --- preferences -------------------------------------------------------------


def test_add_list_confirm_update_delete_preference(api, customer, frontdesk):
    created = api.post(prefs_url(customer), {"category": "allergy", "text": "Peanuts"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["safety_critical"] is True and body["polarity"] == "avoid" and body["source"] == "customer"
    assert body["times_confirmed"] == 0 and body["last_confirmed_at"]

    listed = api.get(prefs_url(customer)).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]

    confirmed = api.post(f"/api/v1/preferences/{body['id']}/confirm/")
    assert confirmed.status_code == 200 and confirmed.json()["times_confirmed"] == 1

    patched = api.patch(f"/api/v1/preferences/{body['id']}/", {"polarity": "dislikes", "text": "Peanuts, all nuts"})
    assert patched.json()["polarity"] == "dislikes" and patched.json()["text"] == "Peanuts, all nuts"
    preference = Preference.objects.get(pk=body["id"])
    assert preference.recorded_by == frontdesk.user and preference.recorded_at_property == frontdesk.property

    assert api.delete(f"/api/v1/preferences/{body['id']}/").status_code == 204
    assert not Preference.objects.exists()


def test_drink_preference_is_not_safety_critical_by_default(api, customer):
    body = api.post(prefs_url(customer), {"category": "drink", "text": "Oat-milk flat white"}).json()
    assert body["safety_critical"] is False


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"text": "Peanuts"}, "category"),
        ({"category": "mood", "text": "Cheerful"}, "category"),
        ({"category": "drink"}, "text"),
        ({"category": "drink", "text": ""}, "text"),
        ({"category": "drink", "text": "x" * 501}, "text"),
        ({"category": "drink", "text": "Tea", "polarity": "adores"}, "polarity"),
        ({"category": "drink", "text": "Tea", "source": "rumour"}, "source"),
        ({"category": "drink", "text": "Tea", "safety_critical": "sometimes"}, "safety_critical"),
    ],
)
def test_bad_preference_is_400(api, customer, payload, field):
    response = api.post(prefs_url(customer), payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Preference.objects.exists()


def test_preferences_of_another_organization_are_not_found(outsider_api, customer):
    preference = PreferenceFactory(customer=customer)
    assert outsider_api.get(prefs_url(customer)).status_code == 404
    assert outsider_api.post(prefs_url(customer), {"category": "drink", "text": "Tea"}).status_code == 404
    assert outsider_api.get(f"/api/v1/preferences/{preference.pk}/").status_code == 404
    assert outsider_api.patch(f"/api/v1/preferences/{preference.pk}/", {"text": "x"}).status_code == 404
    assert outsider_api.delete(f"/api/v1/preferences/{preference.pk}/").status_code == 404
    assert outsider_api.post(f"/api/v1/preferences/{preference.pk}/confirm/").status_code == 404
    preference.refresh_from_db()
    assert preference.times_confirmed == 0 and preference.text == "Oat-milk flat white"


# --- issues ------------------------------------------------------------------


def test_open_progress_and_resolve_an_issue(api, customer):
    created = api.post(issues_url(customer), {"summary": "Air conditioning noisy"})
    assert created.status_code == 201, created.json()
    issue = created.json()
    assert issue["status"] == "open" and issue["severity"] == "medium"
    assert issue["opened_at"] and issue["first_response_at"] is None and issue["resolved_at"] is None

    url = f"/api/v1/issues/{issue['id']}/"
    in_progress = api.patch(url, {"status": "in_progress"}).json()
    assert in_progress["first_response_at"]

    refused = api.patch(url, {"status": "resolved"})
    assert refused.status_code == 400 and "resolution" in refused.json()

    resolved = api.patch(url, {"status": "resolved", "resolution": "Moved to a quiet room"})
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved" and resolved.json()["resolved_at"]
    assert api.get(issues_url(customer)).json()["results"][0]["status"] == "resolved"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "summary"),
        ({"summary": ""}, "summary"),
        ({"summary": "x" * 501}, "summary"),
        ({"summary": "Cold food", "severity": "apocalyptic"}, "severity"),
        ({"summary": "Cold food", "status": "forgotten"}, "status"),
        ({"summary": "Cold food", "status": "resolved"}, "resolution"),
        ({"summary": "Cold food", "recovery_steps": ["shrug"]}, "recovery_steps"),
        ({"summary": "Cold food", "steps_done": ["shrug"]}, "steps_done"),
        ({"summary": "Cold food", "guest_summary": "two\nlines"}, "guest_summary"),
    ],
)
def test_bad_issue_is_400_and_writes_nothing(api, customer, payload, field):
    response = api.post(issues_url(customer), payload, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not Issue.objects.exists()


def test_issue_created_resolved_with_resolution(api, customer):
    response = api.post(
        issues_url(customer), {"summary": "Late taxi", "status": "resolved", "resolution": "Refunded the fare"}
    )
    assert response.status_code == 201 and response.json()["resolved_at"]


def test_issues_of_another_organization_are_not_found(outsider_api, customer):
    issue = IssueFactory(customer=customer)
    assert outsider_api.get(issues_url(customer)).status_code == 404
    assert outsider_api.get(f"/api/v1/issues/{issue.pk}/").status_code == 404
    assert outsider_api.patch(f"/api/v1/issues/{issue.pk}/", {"status": "closed"}).status_code == 404
    issue.refresh_from_db()
    assert issue.status == "open"


# --- contacts ----------------------------------------------------------------


def test_logging_contacts_updates_visits_and_seen_dates(api, customer):
    earlier = (timezone.now() - timedelta(days=30)).isoformat()
    first = api.post(contacts_url(customer), {"kind": "arrival", "occurred_at": earlier, "greeted_by_name": True})
    assert first.status_code == 201, first.json()
    assert first.json()["greeted_by_name"] is True
    api.post(contacts_url(customer), {"kind": "call", "note": "Asked about parking"})
    api.post(contacts_url(customer), {"kind": "visit", "preference_honored": True})

    body = api.get(f"/api/v1/customers/{customer.pk}/").json()
    assert body["visit_count"] == 2
    assert body["first_seen"].startswith(earlier[:16])
    assert body["last_seen"] > body["first_seen"]
    kinds = [c["kind"] for c in api.get(contacts_url(customer)).json()["results"]]
    assert sorted(kinds) == ["arrival", "call", "visit"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "kind"),
        ({"kind": "seance"}, "kind"),
        ({"kind": "visit", "occurred_at": "yesterday"}, "occurred_at"),
        ({"kind": "visit", "greeted_by_name": "kind of"}, "greeted_by_name"),
    ],
)
def test_bad_contact_is_400_and_counts_nothing(api, customer, payload, field):
    response = api.post(contacts_url(customer), payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not Contact.objects.exists()
    customer.refresh_from_db()
    assert customer.visit_count == 0


def test_contacts_of_another_organization_are_not_found(outsider_api, customer):
    assert outsider_api.get(contacts_url(customer)).status_code == 404
    assert outsider_api.post(contacts_url(customer), {"kind": "visit"}).status_code == 404
    customer.refresh_from_db()
    assert customer.visit_count == 0


# --- an allergy is avoided (issue 12) -------------------------------------------


def test_an_allergy_without_a_polarity_is_to_be_avoided(api, customer):
    created = api.post(prefs_url(customer), {"category": "allergy", "text": "Penicillin"})
    assert created.status_code == 201 and created.json()["polarity"] == "avoid"


def test_an_allergy_that_is_liked_is_refused_on_the_field(api, customer):
    answer = api.post(prefs_url(customer), {"category": "allergy", "text": "Penicillin", "polarity": "likes"})
    assert answer.status_code == 400 and "polarity" in answer.json()
    assert not Preference.objects.filter(text="Penicillin").exists()


def test_a_liking_cannot_become_an_allergy(api, customer):
    liked = api.post(prefs_url(customer), {"category": "food", "text": "Prawns", "polarity": "likes"}).json()
    answer = api.patch(f"/api/v1/preferences/{liked['id']}/", {"category": "allergy"})
    assert answer.status_code == 400 and "polarity" in answer.json()
    assert Preference.objects.get(pk=liked["id"]).category == "food"

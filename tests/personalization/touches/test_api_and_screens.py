"""GET /api/v1/touches/, the guest card's follow-ups, the managers' queue, the demo command."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from personalization.models import Touch, TouchKind, TouchStatus
from tests.factories import CustomerFactory, StaffFactory
from tests.personalization.touches.conftest import resolve_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(customer, property_):
    resolve_issue(customer, property_)
    return Touch.objects.get()


def test_the_api_lists_a_customers_touches_with_filters(api, follow_up, customer, organization, property_):
    other = CustomerFactory(organization=organization, email="")
    resolve_issue(other, property_)  # a staff task for the other one
    body = api.get(f"/api/v1/touches/?customer={customer.pk}").json()
    assert body["count"] == 1 and body["next"] is None
    [row] = body["results"]
    assert row["id"] == follow_up.pk and row["kind"] == "issue_follow_up" and row["channel"] == "email"
    assert row["status"] == "scheduled" and row["sent_at"] is None and row["due_at"]
    assert api.get("/api/v1/touches/?status=sent").json()["count"] == 0
    assert api.get("/api/v1/touches/?kind=staff_task").json()["count"] == 1
    assert api.get("/api/v1/touches/").json()["count"] == 2


@pytest.mark.parametrize(
    "query", ["status=nope", "customer=abc", "customer=-1", "kind=1", "customer=99999999999999999999"]
)
def test_bad_filters_are_a_400_naming_the_field(api, query):
    response = api.get(f"/api/v1/touches/?{query}")
    assert response.status_code == 400
    assert set(response.json()) == {query.split("=")[0]}


def test_another_organizations_touches_are_invisible(outsider_api, follow_up, customer):
    assert outsider_api.get(f"/api/v1/touches/?customer={customer.pk}").json()["count"] == 0
    assert outsider_api.get("/api/v1/touches/").json()["count"] == 0
    assert outsider_api.get("/api/v1/touches/").status_code == 200


def test_without_credentials_the_api_says_401():
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/touches/").status_code == 401


def test_the_guest_card_shows_scheduled_and_past_touches(client, frontdesk, customer, property_, organization):
    resolve_issue(customer, property_, summary="Cold shower")
    no_email = CustomerFactory(organization=organization, email="", given_name="Mei")
    resolve_issue(no_email, property_, summary="Lost key")
    client.force_login(frontdesk.user)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "Issue follow-up" in page and "Cold shower" in page and "Scheduled" in page
    page = client.get(f"/customers/{no_email.pk}/").content.decode()
    assert "Call them back" in page and "Lost key" in page


def test_managers_filter_cancel_and_send_now_front_desk_may_not(
    client, manager, frontdesk, follow_up, customer, property_, django_capture_on_commit_callbacks, monkeypatch
):
    client.force_login(frontdesk.user)
    assert client.get("/touches/").status_code == 403
    assert client.post(f"/touches/{follow_up.pk}/cancel/").status_code == 403

    client.force_login(manager.user)
    page = client.get("/touches/?status=scheduled&kind=issue_follow_up").content.decode()
    assert "Room too noisy" in page
    assert "Room too noisy" not in client.get("/touches/?status=sent").content.decode()

    enqueued = []
    monkeypatch.setattr("personalization.touches.services.manual.send_now_enqueue", enqueued.append)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/touches/{follow_up.pk}/send-now/", follow=True)
    assert response.status_code == 200
    follow_up.refresh_from_db()
    assert follow_up.status == TouchStatus.SENDING and enqueued == [[follow_up.pk]]  # a send_touches batch of one

    birthday = Touch.objects.create(
        organization=customer.organization,
        customer=customer,
        kind=TouchKind.BIRTHDAY,
        due_at=timezone.now() + timedelta(days=3),
        idempotency_key="birthday:x:2026",
    )
    client.post(f"/touches/{birthday.pk}/cancel/")
    birthday.refresh_from_db()
    assert birthday.status == TouchStatus.CANCELLED
    again = client.post(f"/touches/{birthday.pk}/cancel/", follow=True)
    assert "Only a touch that has not gone out" in again.content.decode()


def test_a_manager_of_another_organization_gets_404(client, other_property, follow_up):
    boss = StaffFactory(property=other_property, role="manager")
    client.force_login(boss.user)
    assert client.post(f"/touches/{follow_up.pk}/cancel/").status_code == 404


def test_the_demo_command_fast_forwards_and_writes_the_follow_up_to_the_outbox(follow_up, settings, tmp_path):
    settings.EMAIL_BACKEND = "config.outbox.EmlOutbox"  # what EMAIL_URL=filemail://… sets
    settings.EMAIL_FILE_PATH = str(tmp_path)
    call_command("dispatch_touches", "--now")
    assert list(tmp_path.iterdir()) == []  # due in two days
    call_command("dispatch_touches", "--fast-forward", "3d", "--ignore-quiet-hours")
    [mail] = list(Path(tmp_path).iterdir())
    assert mail.suffix == ".eml"
    assert "something was not as it should have been" in mail.read_text()  # the issue has no guest summary
    follow_up.refresh_from_db()
    assert follow_up.status == TouchStatus.SENT


def test_managers_read_touches_and_feedback_in_the_admin(client, admin_manager, follow_up):
    assert client.get("/admin/personalization/touch/").status_code == 200
    assert client.get(f"/admin/personalization/touch/{follow_up.pk}/change/").status_code == 200
    assert client.get("/admin/personalization/feedback/").status_code == 200
    # The schedules run every organization's follow-ups: the operator's alone (issue 11, finding 1).
    assert client.get("/admin/django_celery_beat/periodictask/").status_code == 403

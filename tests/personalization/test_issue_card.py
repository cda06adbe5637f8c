"""An issue's lifecycle on the guest card: acknowledge, tick the recovery steps, record compensation, resolve with
a guest-facing summary, reopen — through crm's services, with change records."""

from __future__ import annotations

import pytest

from crm import services
from crm.models import ChangeRecord
from personalization.models import Touch
from tests.factories import CustomerFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def issue(customer, property_):
    return services.issue_open(customer=customer, property=property_, summary="Charged twice for the minibar")


def _card(desk, customer) -> str:
    return desk.get(f"/customers/{customer.pk}/").content.decode()


def test_acknowledge_tick_and_the_next_step_moves_on(desk, frontdesk, customer, issue):
    assert "→ Listen" in _card(desk, customer)
    page = desk.post(f"/issues/{issue.pk}/acknowledge/", follow=True).content.decode()
    assert "is in progress" in page
    issue.refresh_from_db()
    assert issue.status == "in_progress" and issue.first_response_at is not None

    page = desk.post(
        f"/issues/{issue.pk}/steps/",
        {"steps_done": ["listen", "empathize"], "compensation": "Minibar on us"},
        follow=True,
    ).content.decode()
    assert "Steps saved" in page and "→ Apologize" in page
    assert 'value="listen" checked' in page and 'value="apologize" checked' not in page
    assert frontdesk.user.get_username() in page  # who ticked them
    issue.refresh_from_db()
    assert issue.steps_done == ["listen", "empathize"] and issue.compensation == "Minibar on us"
    assert ChangeRecord.objects.filter(action="issue.update", target_id=issue.pk, actor=frontdesk.user).count() == 2


def test_resolve_with_a_guest_summary_then_reopen(desk, customer, issue):
    page = desk.post(
        f"/issues/{issue.pk}/resolve/",
        {"resolution": "Refunded the second charge", "guest_summary": "a billing mistake", "compensation": ""},
        follow=True,
    ).content.decode()
    assert "Resolved" in page and "a billing mistake" in page
    issue.refresh_from_db()
    assert (issue.status, issue.guest_summary) == ("resolved", "a billing mistake")
    assert Touch.objects.filter(issue=issue, status="scheduled").count() == 1  # the follow-up

    page = desk.post(f"/issues/{issue.pk}/reopen/", follow=True).content.decode()
    assert "open again" in page
    issue.refresh_from_db()
    assert issue.status == "open"
    assert Touch.objects.get(issue=issue).status == "cancelled"


def test_resolving_without_a_resolution_shows_the_error_and_writes_nothing(desk, issue):
    response = desk.post(f"/issues/{issue.pk}/resolve/", {"resolution": " ", "guest_summary": "a billing mistake"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and 'value="a billing mistake"' in html  # what was typed stays
    issue.refresh_from_db()
    assert issue.status == "open" and issue.guest_summary == ""


def test_a_guest_summary_on_two_lines_is_refused_on_its_field(desk, issue):
    response = desk.post(
        f"/issues/{issue.pk}/resolve/", {"resolution": "Refunded", "guest_summary": "a billing\nmistake"}
    )
    assert response.status_code == 400
    issue.refresh_from_db()
    assert issue.status == "open"


def test_an_unknown_step_is_refused_on_screen(desk, issue):
    assert desk.post(f"/issues/{issue.pk}/steps/", {"steps_done": ["shrug"]}).status_code == 400
    issue.refresh_from_db()
    assert issue.steps_done == []


def test_a_guest_without_email_gets_a_call_back_on_the_desks_list(desk, organization, property_):
    guest = CustomerFactory(organization=organization, given_name="Jing", family_name="Chen", email="")
    issue = services.issue_open(customer=guest, property=property_, summary="Cold shower")
    desk.post(f"/issues/{issue.pk}/resolve/", {"resolution": "Fixed the boiler", "guest_summary": ""})
    assert "Jing Chen" in desk.get("/tasks/").content.decode()


def test_another_organizations_issue_is_404(client, other_property, issue):
    client.force_login(StaffFactory(property=other_property).user)
    for action in ("acknowledge", "steps", "resolve", "reopen"):
        assert client.post(f"/issues/{issue.pk}/{action}/", {"resolution": "x"}).status_code == 404
    issue.refresh_from_db()
    assert issue.status == "open"
